import type { TransactWriteItem } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { hmac, normalizeCode } from '../crypto';
import { challengeSk, dayCounterTtl, daySk, destinationPk, tenantPk, utcDay } from '../store/keys';
import type { Policy } from '../tenants';

/** The keys one engine call touches, derived once per request. */
export interface ChallengeKeys {
  challenge: { pk: string; sk: string };
  destinationDay: { pk: string; sk: string };
  tenantDay: { pk: string; sk: string };
  day: string;
}

/** The stored challenge (a row of the table). Never holds the code in clear. */
export interface ChallengeItem {
  pk: string;
  sk: string;
  id: string;
  codeHash: string;
  /** AES-GCM sealed code, so a resend can send the same code again. */
  sealed: string;
  expiresAt: number;
  attempts: number;
  sendCount: number;
  lastSentAt: number;
  createdAt: number;
  consumedAt?: number;
  binding: Record<string, string>;
  channels: string[];
  /** Dialling code whose conversion breaker counted this code's sends; a verify credits it. */
  breakerCountry?: string;
  ttl: number;
}

/** Destination keys are HMACs: the table never names a phone number or an e-mail. */
export const challengeKeys = (
  pepper: Buffer,
  tenantId: string,
  purpose: string,
  subject: string,
  now: number,
) => {
  const pk = destinationPk(tenantId, hmac(pepper, 'destination', tenantId, subject).slice(0, 32));
  const day = utcDay(now);
  return {
    challenge: { pk, sk: challengeSk(purpose) },
    destinationDay: { pk, sk: daySk(day) },
    tenantDay: { pk: tenantPk(tenantId), sk: daySk(day) },
    day,
  } satisfies ChallengeKeys;
};

/** The stored hash of a code, bound to its challenge key so it is useless anywhere else. */
export const codeHash = (pepper: Buffer, keys: ChallengeKeys, code: string): string =>
  hmac(pepper, 'code', keys.challenge.pk, keys.challenge.sk, normalizeCode(code));

/** The associated data that binds a sealed code to its challenge. */
export const sealAad = (keys: ChallengeKeys, id: string): string =>
  `${keys.challenge.pk}|${keys.challenge.sk}|${id}`;

const key = (k: { pk: string; sk: string }) => marshall(k);

/**
 * Charges one send to the destination's and the tenant's daily counters. The conditions close
 * the race of parallel generates: DynamoDB evaluates them against the committed count, so 600
 * parallel requests for one destination charge exactly `maxDailySendsPerDestination`.
 */
export const chargeSends = (
  tableName: string,
  keys: ChallengeKeys,
  policy: Policy,
  now: number,
  delta: 1 | -1,
): TransactWriteItem[] => {
  const ttl = dayCounterTtl(now);
  const charge = delta > 0;
  return [
    {
      Update: {
        TableName: tableName,
        Key: key(keys.destinationDay),
        UpdateExpression: 'ADD sends :delta SET #ttl = if_not_exists(#ttl, :ttl)',
        // Refuse once the day's sends are used up, or once the day's failed verifies lock the
        // destination (NIST: a lock on failed attempts must also stop new codes).
        ...(charge && {
          ConditionExpression:
            '(attribute_not_exists(sends) OR sends < :maxSends) AND (attribute_not_exists(failures) OR failures < :maxFailures)',
        }),
        ExpressionAttributeNames: { '#ttl': 'ttl' },
        ExpressionAttributeValues: marshall({
          ':delta': delta,
          ':ttl': ttl,
          ...(charge && {
            ':maxSends': policy.maxDailySendsPerDestination,
            ':maxFailures': policy.maxDailyFailuresPerDestination,
          }),
        }),
        ...(charge && { ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const }),
      },
    },
    {
      Update: {
        TableName: tableName,
        Key: key(keys.tenantDay),
        UpdateExpression: 'ADD sends :delta SET #ttl = if_not_exists(#ttl, :ttl)',
        ...(charge && { ConditionExpression: 'attribute_not_exists(sends) OR sends < :maxSends' }),
        ExpressionAttributeNames: { '#ttl': 'ttl' },
        ExpressionAttributeValues: marshall({
          ':delta': delta,
          ':ttl': ttl,
          ...(charge && { ':maxSends': policy.maxDailySendsPerTenant }),
        }),
      },
    },
  ];
};

/** A challenge is live while unexpired, unused and under its attempt limit. */
export const isLive = (item: ChallengeItem, now: number, policy: Policy): boolean =>
  item.consumedAt === undefined && item.expiresAt > now && item.attempts < policy.maxAttemptsPerCode;

export { key as marshallKey };
