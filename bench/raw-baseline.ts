import { createHash } from 'node:crypto';
import {
  type AttributeValue,
  type DynamoDBClient,
  TransactionCanceledException,
  type TransactWriteItem,
  TransactWriteItemsCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';

/**
 * The physical floor of the engine's operations: only the DynamoDB requests a generate and a
 * verify need, with the engine's condition expressions and items of the same size, built from
 * literals (no marshalling, hashing, parsing, auth, routing or logging). What the engine costs
 * above this is its own overhead.
 */
export interface RawBaseline {
  /**
   * One TransactWriteItems: destination day counter, tenant day counter, challenge put (the
   * 3 items of DESIGN §4), plus counter updates up to `items` when the engine's transaction is
   * larger (the SMS-pumping counters), so both sides ask DynamoDB for the same work.
   */
  generate: (i: number, now: number, items?: number) => Promise<void>;
  /** One TransactWriteItems: ConditionCheck on the day's failures + conditional consume (+ counters up to `items`). */
  verify: (i: number, now: number, items?: number) => Promise<void>;
  /** One conditional UpdateItem: the cheapest write a verify could be. */
  singleUpdate: (i: number, now: number) => Promise<void>;
}

const S = (s: string): AttributeValue => ({ S: s });
const N = (n: number): AttributeValue => ({ N: String(n) });

/** 64 hex characters, the size of the engine's code hash. */
const hex = (seed: string) => createHash('sha256').update(seed).digest('hex');

export const rawBaseline = (ddb: DynamoDBClient, tableName: string, run: string): RawBaseline => {
  const tenantPk = `T#bench-raw-${run}`;
  const pk = (i: number) => `${tenantPk}#D#${hex(`${run}:${i}`).slice(0, 32)}`;
  const day = (now: number) => `DAY#${new Date(now).toISOString().slice(0, 10)}`;
  const ttl = (now: number) => Math.ceil(now / 1000) + 2 * 86_400;
  const codeHash = (i: number) => hex(`code:${run}:${i}`);
  // Same shape and size as a sealed code (base64 of iv + tag + ciphertext).
  const sealed = Buffer.alloc(34, 7).toString('base64');
  const hour = (now: number) => `HOUR#${new Date(now).toISOString().slice(0, 13)}`;
  /** `count` hourly counter updates of the tenant, like the pumping counters. */
  const counters = (count: number, now: number, attribute: string): TransactWriteItem[] =>
    Array.from({ length: Math.max(0, count) }, (_, k) => ({
      Update: {
        TableName: tableName,
        Key: { pk: S(`${tenantPk}#X${k}`), sk: S(hour(now)) },
        UpdateExpression: `ADD ${attribute} :delta SET #ttl = if_not_exists(#ttl, :ttl)`,
        ConditionExpression: `attribute_not_exists(${attribute}) OR ${attribute} < :max`,
        ExpressionAttributeNames: { '#ttl': 'ttl' },
        ExpressionAttributeValues: { ':delta': N(1), ':ttl': N(ttl(now)), ':max': N(10_000_000) },
      },
    }));

  return {
    generate: async (i, now, items = 3) => {
      await ddb.send(
        new TransactWriteItemsCommand({
          TransactItems: [
            {
              Update: {
                TableName: tableName,
                Key: { pk: S(pk(i)), sk: S(day(now)) },
                UpdateExpression: 'ADD sends :delta SET #ttl = if_not_exists(#ttl, :ttl)',
                ConditionExpression:
                  '(attribute_not_exists(sends) OR sends < :maxSends) AND (attribute_not_exists(failures) OR failures < :maxFailures)',
                ExpressionAttributeNames: { '#ttl': 'ttl' },
                ExpressionAttributeValues: {
                  ':delta': N(1),
                  ':ttl': N(ttl(now)),
                  ':maxSends': N(100_000),
                  ':maxFailures': N(1000),
                },
                ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
              },
            },
            {
              Update: {
                TableName: tableName,
                Key: { pk: S(tenantPk), sk: S(day(now)) },
                UpdateExpression: 'ADD sends :delta SET #ttl = if_not_exists(#ttl, :ttl)',
                ConditionExpression: 'attribute_not_exists(sends) OR sends < :maxSends',
                ExpressionAttributeNames: { '#ttl': 'ttl' },
                ExpressionAttributeValues: {
                  ':delta': N(1),
                  ':ttl': N(ttl(now)),
                  ':maxSends': N(10_000_000),
                },
              },
            },
            {
              Put: {
                TableName: tableName,
                Item: {
                  pk: S(pk(i)),
                  sk: S('CH#v2:REGISTRATION'),
                  id: S(hex(`id:${run}:${i}`).slice(0, 22)),
                  codeHash: S(codeHash(i)),
                  sealed: S(sealed),
                  expiresAt: N(now + 600_000),
                  attempts: N(0),
                  sendCount: N(1),
                  lastSentAt: N(now),
                  createdAt: N(now),
                  binding: { M: {} },
                  channels: { L: [S('SMS')] },
                  ttl: N(Math.ceil((now + 600_000) / 1000) + 60),
                },
                ConditionExpression:
                  'attribute_not_exists(pk) OR expiresAt <= :now OR attribute_exists(consumedAt)',
                ExpressionAttributeValues: { ':now': N(now) },
                ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
              },
            },
            ...counters(items - 3, now, 'sends'),
          ],
        }),
      );
    },
    verify: async (i, now, items = 2) => {
      await ddb.send(
        new TransactWriteItemsCommand({
          TransactItems: [
            {
              ConditionCheck: {
                TableName: tableName,
                Key: { pk: S(pk(i)), sk: S(day(now)) },
                ConditionExpression: 'attribute_not_exists(failures) OR failures < :maxFailures',
                ExpressionAttributeValues: { ':maxFailures': N(1000) },
              },
            },
            {
              Update: {
                TableName: tableName,
                Key: { pk: S(pk(i)), sk: S('CH#v2:REGISTRATION') },
                UpdateExpression: 'SET consumedAt = :now',
                ConditionExpression:
                  'attribute_exists(pk) AND codeHash = :hash AND attribute_not_exists(consumedAt) AND expiresAt > :now AND attempts < :maxAttempts',
                ExpressionAttributeValues: { ':hash': S(codeHash(i)), ':now': N(now), ':maxAttempts': N(5) },
                ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
              },
            },
            ...counters(items - 2, now, 'verified'),
          ],
        }),
      );
    },
    singleUpdate: async (i, now) => {
      await ddb.send(
        new UpdateItemCommand({
          TableName: tableName,
          Key: { pk: S(pk(i)), sk: S('CH#single') },
          UpdateExpression: 'SET consumedAt = :now, #ttl = :ttl',
          ConditionExpression: 'attribute_not_exists(consumedAt)',
          ExpressionAttributeNames: { '#ttl': 'ttl' },
          ExpressionAttributeValues: { ':now': N(now), ':ttl': N(ttl(now)) },
        }),
      );
    },
  };
};

/**
 * Whether the store cancels concurrent transactions on one item, as DynamoDB does
 * (TransactionConflict): `parallel` transactions at once, each updating the same counter and
 * putting its own item, `rounds` times. Every generate of a tenant updates that tenant's daily
 * counter, so this decides whether a load test can show contention on it.
 */
export const conflictProbe = async (
  ddb: DynamoDBClient,
  tableName: string,
  options: { parallel: number; rounds: number },
): Promise<{ attempts: number; conflicts: number }> => {
  let conflicts = 0;
  for (let round = 0; round < options.rounds; round++) {
    await Promise.all(
      Array.from({ length: options.parallel }, async (_, i) => {
        try {
          await ddb.send(
            new TransactWriteItemsCommand({
              TransactItems: [
                {
                  Update: {
                    TableName: tableName,
                    Key: { pk: S('T#bench-conflict'), sk: S('DAY#probe') },
                    UpdateExpression: 'ADD sends :one',
                    ExpressionAttributeValues: { ':one': N(1) },
                  },
                },
                {
                  Put: {
                    TableName: tableName,
                    Item: { pk: S(`T#bench-conflict#${round}-${i}`), sk: S('CH#probe') },
                  },
                },
              ],
            }),
          );
        } catch (error) {
          const conflict =
            error instanceof TransactionCanceledException &&
            error.CancellationReasons?.some((r) => r.Code === 'TransactionConflict');
          if (!conflict) throw error;
          conflicts++;
        }
      }),
    );
  }
  return { attempts: options.parallel * options.rounds, conflicts };
};
