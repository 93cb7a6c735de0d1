import {
  type AttributeValue,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  type TransactWriteItem,
  UpdateItemCommand,
  type UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { and, LIVE, not, SAME_CODE, STEP_DUE, UNDER_ATTEMPTS } from './conditions';
import { guard } from './dynamo';

/**
 * The challenge item: one live code per (tenant, purpose, subject). It never holds the code in
 * clear: `codeHash` is an HMAC bound to the key, `sealed` an AES-GCM copy for re-sends.
 */
export interface ChallengeItem {
  pk: string;
  sk: string;
  id: string;
  codeHash: string;
  sealed: string;
  expiresAt: number;
  /** Guesses reserved so far; a guess is compared only after it is counted here. */
  attempts: number;
  sendCount: number;
  lastSentAt: number;
  previousSentAt?: number;
  createdAt: number;
  consumedAt?: number;
  /** How a consumed code ended when not by a right guess: `canceled` or `approved` (settle.ts). */
  settledAs?: 'canceled' | 'approved';
  /** The client's name for the destination, sealed (IssueRequest.note). */
  note?: string;
  binding: Record<string, string>;
  channels: string[];
  /** Recipient partitions every send of this code went to: a wrong guess is charged to each. */
  recipients: Set<string>;
  /** Breaker partitions (region, scope) its phone messages were counted in: a verify credits each. */
  breakers?: Set<string>;
  /** A test destination's code (its tenant's fixed code): never sent, marked in logs and events. */
  test?: true;
  /**
   * The fallback workflow's plan, sealed (shared/engine/fallback.ts): its steps, the subject and
   * the destinations each step goes to, and the message texts. Absent without a workflow.
   */
  fallback?: string;
  /** Fallback steps done (sent or skipped); 0 at issue. A step runs only from the one before it. */
  fallbackStep?: number;
  ttl: number;
}

type Key = { pk: string; sk: string };

/**
 * Puts a fresh challenge unless a live one exists: an expired or used one is replaced. A code
 * locked by wrong attempts is live until it expires, so a regenerate cannot reset its attempts.
 * Parallel generates race here and exactly one wins; the losers get the live item back and take
 * the resend path.
 */
export const putFresh = (tableName: string, item: ChallengeItem, now: number): TransactWriteItem => ({
  Put: {
    TableName: tableName,
    Item: marshall(item, { removeUndefinedValues: true }),
    ConditionExpression: not(LIVE),
    ExpressionAttributeValues: marshall({ ':now': now }),
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  },
});

/** The item a refused conditional write returned (ALL_OLD), if any; anything but a refusal is rethrown. */
const refusedItem = (error: unknown): ChallengeItem | undefined => {
  if (!(error instanceof ConditionalCheckFailedException)) throw error;
  return error.Item ? (unmarshall(error.Item as Record<string, AttributeValue>) as ChallengeItem) : undefined;
};

/**
 * `putFresh` as one conditional PutItem, for a code with no counters to charge beside it (a test
 * destination's): parallel generates are serialised on the item instead of cancelling each
 * other's transactions (TransactionConflict), and the losers get the live item back.
 */
export const putFreshAlone = async (
  ddb: DynamoDBClient,
  tableName: string,
  item: ChallengeItem,
  now: number,
): Promise<Reservation> => {
  const { Put } = putFresh(tableName, item, now);
  try {
    await guard(() => ddb.send(new PutItemCommand(Put as NonNullable<typeof Put>)));
    return { ok: true, item };
  } catch (error) {
    return { ok: false, old: refusedItem(error) };
  }
};

/**
 * Counts one more send of the live code `old` (to `recipients`, adding to its sets). Two parallel
 * resends cannot both pass `lastSentAt <= :gapEdge`, so the resend gap holds under races.
 */
export const markResent = (
  tableName: string,
  old: ChallengeItem,
  added: { recipients: string[]; breakers: string[] },
  limits: { maxSends: number; gapEdge: number; maxAttempts: number },
  now: number,
): TransactWriteItem => ({
  Update: {
    TableName: tableName,
    Key: marshall({ pk: old.pk, sk: old.sk }),
    UpdateExpression: `SET sendCount = sendCount + :one, lastSentAt = :now, previousSentAt = lastSentAt ADD recipients :rs${added.breakers.length > 0 ? ', breakers :bs' : ''}`,
    ConditionExpression: and(
      SAME_CODE,
      LIVE,
      'sendCount < :maxSends',
      'lastSentAt <= :gapEdge',
      UNDER_ATTEMPTS,
    ),
    ExpressionAttributeValues: marshall({
      ':one': 1,
      ':now': now,
      ':id': old.id,
      ':maxSends': limits.maxSends,
      ':gapEdge': limits.gapEdge,
      ':maxAttempts': limits.maxAttempts,
      ':rs': new Set(added.recipients),
      ...(added.breakers.length > 0 && { ':bs': new Set(added.breakers) }),
    }),
  },
});

/** What a fallback step may write: the live code, still under its attempts and sends. */
const stepCondition = (
  old: ChallengeItem,
  step: number,
  limits: { maxSends: number; maxAttempts: number },
  now: number,
) => ({
  ConditionExpression: and(SAME_CODE, LIVE, UNDER_ATTEMPTS, 'sendCount < :maxSends', STEP_DUE),
  values: {
    ':id': old.id,
    ':now': now,
    ':maxAttempts': limits.maxAttempts,
    ':maxSends': limits.maxSends,
    ':prevStep': step - 1,
  },
});

/**
 * Counts fallback step `step` as a send of the live code `old` (like `markResent`, without the
 * resend gap: the wait is the tenant's own), only from the step before it. Returns the item as
 * it was when the condition failed, so a duplicate firing is told from a settled code.
 */
export const claimStep = (
  tableName: string,
  old: ChallengeItem,
  step: number,
  added: { recipients: string[]; breakers: string[] },
  limits: { maxSends: number; maxAttempts: number },
  now: number,
): TransactWriteItem => {
  const { ConditionExpression, values } = stepCondition(old, step, limits, now);
  return {
    Update: {
      TableName: tableName,
      Key: marshall({ pk: old.pk, sk: old.sk }),
      UpdateExpression: `SET sendCount = sendCount + :one, lastSentAt = :now, previousSentAt = lastSentAt, fallbackStep = :step ADD recipients :rs${added.breakers.length > 0 ? ', breakers :bs' : ''}`,
      ConditionExpression,
      ExpressionAttributeValues: marshall({
        ...values,
        ':one': 1,
        ':step': step,
        ':rs': new Set(added.recipients),
        ...(added.breakers.length > 0 && { ':bs': new Set(added.breakers) }),
      }),
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    },
  };
};

/**
 * Marks fallback step `step` done without a send (a limit refused it, or the request named no
 * destination for its channel), so it is never tried again. False when the code is no longer
 * live or the step was already done.
 */
export const skipStep = async (
  ddb: DynamoDBClient,
  tableName: string,
  old: ChallengeItem,
  step: number,
  limits: { maxAttempts: number },
  now: number,
): Promise<boolean> => {
  try {
    await guard(() =>
      ddb.send(
        new UpdateItemCommand({
          TableName: tableName,
          Key: marshall({ pk: old.pk, sk: old.sk }),
          UpdateExpression: 'SET fallbackStep = :step',
          ConditionExpression: and(SAME_CODE, LIVE, UNDER_ATTEMPTS, STEP_DUE),
          ExpressionAttributeValues: marshall({
            ':id': old.id,
            ':now': now,
            ':maxAttempts': limits.maxAttempts,
            ':prevStep': step - 1,
            ':step': step,
          }),
        }),
      ),
    );
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
};

/**
 * Undoes a send whose every channel failed: a fresh code is removed, a resend un-counted and the
 * recipients it added taken off again (`added`: those the code did not have before), so a failed
 * resend cannot make an address answer for wrong guesses on a code it never received.
 */
export const undoSend = (
  tableName: string,
  item: ChallengeItem,
  resent: boolean,
  added: { recipients: string[]; breakers: string[] } = { recipients: [], breakers: [] },
): TransactWriteItem => {
  const Key = marshall({ pk: item.pk, sk: item.sk });
  const removals = [
    ...(added.recipients.length > 0 ? ['recipients :rs'] : []),
    ...(added.breakers.length > 0 ? ['breakers :bs'] : []),
  ];
  return resent
    ? {
        Update: {
          TableName: tableName,
          Key,
          UpdateExpression: `SET sendCount = sendCount - :one, lastSentAt = previousSentAt${removals.length > 0 ? ` DELETE ${removals.join(', ')}` : ''}`,
          ConditionExpression: SAME_CODE,
          ExpressionAttributeValues: marshall({
            ':one': 1,
            ':id': item.id,
            ...(added.recipients.length > 0 && { ':rs': new Set(added.recipients) }),
            ...(added.breakers.length > 0 && { ':bs': new Set(added.breakers) }),
          }),
        },
      }
    : {
        Delete: {
          TableName: tableName,
          Key,
          ConditionExpression: SAME_CODE,
          ExpressionAttributeValues: marshall({ ':id': item.id }),
        },
      };
};

export type Reservation = { ok: true; item: ChallengeItem } | { ok: false; old: ChallengeItem | undefined };

/**
 * A conditional update of a challenge that returns the item as it is now, or as it was when the
 * condition failed (both in one round trip: ALL_NEW / ALL_OLD).
 */
const updateLive = async (
  ddb: DynamoDBClient,
  input: Omit<UpdateItemCommandInput, 'ReturnValues' | 'ReturnValuesOnConditionCheckFailure'>,
): Promise<Reservation> => {
  try {
    const out = await guard(() =>
      ddb.send(
        new UpdateItemCommand({
          ...input,
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      ),
    );
    return { ok: true, item: unmarshall(out.Attributes as Record<string, AttributeValue>) as ChallengeItem };
  } catch (error) {
    return { ok: false, old: refusedItem(error) };
  }
};

/**
 * Count before compare: reserves one guess on the live code and returns the item as it is now
 * (hash, binding, recipients), or the item as it was when none could be reserved. The
 * reservations of parallel guesses are serialised on the item, so of 200 guesses at once at most
 * `maxAttempts` get one, and only those are ever compared.
 */
export const reserveAttempt = async (
  ddb: DynamoDBClient,
  tableName: string,
  key: Key,
  maxAttempts: number,
  now: number,
): Promise<Reservation> =>
  updateLive(ddb, {
    TableName: tableName,
    Key: marshall(key),
    UpdateExpression: 'ADD attempts :one',
    ConditionExpression: and(LIVE, UNDER_ATTEMPTS),
    ExpressionAttributeValues: marshall({ ':one': 1, ':now': now, ':maxAttempts': maxAttempts }),
  });

/**
 * Gives a reserved guess back when it was refused without an answer (its recipient is locked),
 * so a refusal charges nothing. Never below zero; a replaced code is left alone.
 */
export const refundAttempt = async (
  ddb: DynamoDBClient,
  tableName: string,
  item: ChallengeItem,
): Promise<void> => {
  try {
    await guard(() =>
      ddb.send(
        new UpdateItemCommand({
          TableName: tableName,
          Key: marshall({ pk: item.pk, sk: item.sk }),
          UpdateExpression: 'ADD attempts :minus',
          ConditionExpression: and(SAME_CODE, 'attempts > :zero'),
          ExpressionAttributeValues: marshall({ ':minus': -1, ':id': item.id, ':zero': 0 }),
        }),
      ),
    );
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
  }
};

/**
 * Consumes the code after a right guess: single use rests on `attribute_not_exists(consumedAt)`,
 * so of parallel right guesses (each with its own reserved attempt) exactly one wins.
 */
export const consume = (tableName: string, item: ChallengeItem, now: number): TransactWriteItem => ({
  Update: {
    TableName: tableName,
    Key: marshall({ pk: item.pk, sk: item.sk }),
    UpdateExpression: 'SET consumedAt = :now',
    ConditionExpression: and(SAME_CODE, 'attribute_not_exists(consumedAt)'),
    ExpressionAttributeValues: marshall({ ':now': now, ':id': item.id }),
  },
});

/** The challenge at `key` as stored (consistent read), or undefined. */
export const getChallenge = async (
  ddb: DynamoDBClient,
  tableName: string,
  key: Key,
): Promise<ChallengeItem | undefined> => {
  const out = await guard(() =>
    ddb.send(new GetItemCommand({ TableName: tableName, Key: marshall(key), ConsistentRead: true })),
  );
  return out.Item ? (unmarshall(out.Item) as ChallengeItem) : undefined;
};

/**
 * Ends the live code without a guess (Twilio's `Status=canceled|approved`): consumed like a right
 * guess, so it never verifies again and the next generate makes a fresh code. Only a live code
 * with guesses left can be settled: a code locked by wrong guesses stays locked until it expires,
 * so a cancel cannot reset its attempts. One conditional write; of parallel settles and right
 * guesses exactly one wins (`attribute_not_exists(consumedAt)` inside LIVE).
 */
export const settleChallenge = async (
  ddb: DynamoDBClient,
  tableName: string,
  key: Key,
  outcome: 'canceled' | 'approved',
  limits: { maxAttempts: number },
  now: number,
): Promise<Reservation> =>
  updateLive(ddb, {
    TableName: tableName,
    Key: marshall(key),
    UpdateExpression: 'SET consumedAt = :now, settledAs = :outcome',
    ConditionExpression: and(LIVE, UNDER_ATTEMPTS),
    ExpressionAttributeValues: marshall({
      ':now': now,
      ':outcome': outcome,
      ':maxAttempts': limits.maxAttempts,
    }),
  });
