import type { TransactWriteItem } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { hmac } from '../crypto';
import type { Policy } from '../tenants';
import { or } from './conditions';
import { limitedSends, type Trust } from './counters';
import { HOUR_MS, hourCounterTtl, hourSk, utcHour } from './keys';

/**
 * The SMS-pumping counters (docs/SMS-PUMPING.md): phone messages per number prefix per hour, and
 * a conversion breaker per region per hour. Anonymous traffic has counters of its own (`#anon`),
 * so an anonymous flood can trip only the anonymous breaker, never the one the tenant's
 * authenticated apps depend on.
 */

/**
 * The breaker's fixed-point scale: a verify adds `CREDIT` to an hour's `balance`, a message takes
 * `round(CREDIT * minConversionRatio)`. Condition expressions cannot multiply, so the ratio test
 * `verified / sends >= ratio` is kept as the sign of one number, `balance >= 0`.
 */
export const CREDIT = 1000;

const scopeOf = (tenantId: string, trust: Trust) => (trust === 'anonymous' ? `${tenantId}#anon` : tenantId);

/** The hourly counter partition of one number prefix (an HMAC: a long prefix nearly names a number). */
export const prefixPk = (pepper: Buffer, tenantId: string, trust: Trust, prefix: string): string =>
  `T#${scopeOf(tenantId, trust)}#PX#${hmac(pepper, 'prefix', tenantId, trust, prefix).slice(0, 32)}`;

/** The breaker partition of one region (`T#acme#CC#IN`); regions are not personal data. */
export const countryPk = (tenantId: string, trust: Trust, region: string): string =>
  `T#${scopeOf(tenantId, trust)}#CC#${region}`;

const hourKey = (pk: string, ms: number) => marshall({ pk, sk: hourSk(utcHour(ms)) });

/** Charges (`messages` > 0) or refunds one prefix's hour; a charge is refused past the limit. */
export const prefixHour = (
  tableName: string,
  pk: string,
  messages: number,
  policy: Policy,
  now: number,
): TransactWriteItem =>
  limitedSends(
    tableName,
    { pk, sk: hourSk(utcHour(now)) },
    messages,
    policy.maxSendsPerPrefixPerHour,
    hourCounterTtl(now),
  );

/** The breaker is closed while an hour has too few sends to judge, or enough verifies for them. */
const BREAKER_CLOSED = or('attribute_not_exists(sends)', 'sends < :minSends', 'balance >= :zero');

const judge = (policy: Policy) => ({ ':minSends': policy.conversionMinSends, ':zero': 0 });

/** Charges (`messages` > 0) or refunds a region's current hour; a charge needs the breaker closed. */
export const breakerHour = (
  tableName: string,
  pk: string,
  messages: number,
  policy: Policy,
  now: number,
): TransactWriteItem => {
  const charge = messages > 0;
  return {
    Update: {
      TableName: tableName,
      Key: hourKey(pk, now),
      UpdateExpression: 'ADD sends :n, balance :cost SET #ttl = if_not_exists(#ttl, :ttl)',
      ...(charge && { ConditionExpression: BREAKER_CLOSED }),
      ExpressionAttributeNames: { '#ttl': 'ttl' },
      ExpressionAttributeValues: marshall({
        ':n': messages,
        ':cost': -messages * Math.round(CREDIT * policy.minConversionRatio),
        ':ttl': hourCounterTtl(now),
        ...(charge && judge(policy)),
      }),
    },
  };
};

/**
 * The previous hour's verdict holds through the current hour, so a tripped breaker stays open for
 * at least one whole hour instead of closing at the first turn of the clock.
 */
export const breakerPreviousHour = (
  tableName: string,
  pk: string,
  policy: Policy,
  now: number,
): TransactWriteItem => ({
  ConditionCheck: {
    TableName: tableName,
    Key: hourKey(pk, now - HOUR_MS),
    ConditionExpression: BREAKER_CLOSED,
    ExpressionAttributeValues: marshall(judge(policy)),
  },
});

/** A verified code credits each region its messages went to, in the current hour. */
export const breakerCredit = (tableName: string, pk: string, now: number): TransactWriteItem => ({
  Update: {
    TableName: tableName,
    Key: hourKey(pk, now),
    UpdateExpression: 'ADD verified :one, balance :credit SET #ttl = if_not_exists(#ttl, :ttl)',
    ExpressionAttributeNames: { '#ttl': 'ttl' },
    ExpressionAttributeValues: marshall({ ':one': 1, ':credit': CREDIT, ':ttl': hourCounterTtl(now) }),
  },
});
