import type { TransactWriteItem } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { hmac } from '../crypto';
import type { Policy } from '../tenants';
import { hasRoom, or } from './conditions';
import { limitedSends, type Trust } from './counters';
import { HOUR_MS, hourCounterTtl, hourSk, utcHour } from './keys';
import { periodKeys, shardCount, shardPk, shareOf } from './shards';

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

/**
 * The breaker partition of one region (`T#acme#CC#IN`), the base of its shards
 * (`T#acme#CC#IN#<i>`); regions are not personal data.
 */
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

/**
 * The breaker of a region is write-sharded (shards.ts): every phone generate and every verify of
 * the tenant in that region writes it. `conversionMinSends` is split into per-shard shares of at
 * least `BREAKER_MIN_SHARE` sends, and each shard judges its own hour: it opens once it has its
 * share of sends and a negative balance. With no verifies at all the shards together admit
 * exactly `conversionMinSends` sends, as the single item did. A verify credits each region of its
 * code once, on a shard the code was charged to (the challenge records those partitions), so with
 * verifies each shard can go one message past its own ratio: the shards together admit at most
 * `n - 1` messages (under 10 % of `conversionMinSends`) more per hour than one item would.
 * A breaker with `conversionMinSends` under 20 has one shard and is exact; 640 and up get 64.
 * Where the shares cannot hold (the limit changed this hour or the last, the unsharded item of
 * the code before shards), engine/whole-limits.ts judges the whole sum.
 */
export const BREAKER_MIN_SHARE = 10;

export const breakerShards = (policy: Policy): number =>
  shardCount(policy.conversionMinSends, BREAKER_MIN_SHARE);

/**
 * The breaker (one shard's hour) is closed while it has room for `messages` more sends before it
 * judges (`sends <= share - messages`, missing is zero), or enough verifies for its sends. A
 * request of several messages is judged by all of them, so it cannot carry a shard past its share.
 */
const breakerClosedCondition = (edge: number) => or(hasRoom('sends', ':edge', edge), 'balance >= :zero');

/** The last `sends` a shard may hold and still take `messages` more (its share minus them). */
const edgeOf = (policy: Policy, shard: number, messages: number) =>
  shareOf(policy.conversionMinSends, breakerShards(policy), shard) - messages;

/**
 * `breakerClosedCondition` on an item read back (absent means closed), to find a shard that
 * admits `messages` more.
 */
export const breakerClosed = (
  item: Record<string, unknown> | undefined,
  policy: Policy,
  shard: number,
  messages = 1,
) => Number(item?.sends ?? 0) <= edgeOf(policy, shard, messages) || Number(item?.balance ?? 0) >= 0;

/** The current and previous hour's keys of shard `shard` of a region's breaker. */
export const breakerKeys = (base: string, shard: number, now: number) => ({
  current: { pk: shardPk(base, shard), sk: hourSk(utcHour(now)) },
  previous: { pk: shardPk(base, shard), sk: hourSk(utcHour(now - HOUR_MS)) },
});

/**
 * Every key a region's breaker can hold in the current and the previous hour, whatever the limit:
 * all shard indices and the unsharded item of the code before sharding (shards.ts `periodKeys`).
 */
export const breakerPeriods = (base: string, now: number) => ({
  current: periodKeys(base, base, hourSk(utcHour(now))),
  previous: periodKeys(base, base, hourSk(utcHour(now - HOUR_MS))),
});

/**
 * Charges (`messages` > 0) or refunds shard `shard` of a region's current hour; a charge needs it
 * closed for all its messages, and stamps the limit it was judged by (`lim`).
 */
export const breakerHour = (
  tableName: string,
  base: string,
  shard: number,
  messages: number,
  policy: Policy,
  now: number,
): TransactWriteItem => {
  const charge = messages > 0;
  const edge = edgeOf(policy, shard, messages);
  return {
    Update: {
      TableName: tableName,
      Key: marshall(breakerKeys(base, shard, now).current),
      UpdateExpression: `ADD sends :n, balance :cost SET #ttl = if_not_exists(#ttl, :ttl)${charge ? ', lim = :lim' : ''}`,
      ...(charge && { ConditionExpression: breakerClosedCondition(edge) }),
      ExpressionAttributeNames: { '#ttl': 'ttl' },
      ExpressionAttributeValues: marshall({
        ':n': messages,
        ':cost': -messages * Math.round(CREDIT * policy.minConversionRatio),
        ':ttl': hourCounterTtl(now),
        ...(charge && { ':edge': edge, ':zero': 0, ':lim': policy.conversionMinSends }),
      }),
    },
  };
};

/**
 * The previous hour's verdict (of the same shard) holds through the current hour, so a tripped
 * breaker stays open for at least one whole hour instead of closing at the first turn of the
 * clock. Credits always go to the current hour, so the previous hour's items are only read.
 */
export const breakerPreviousHour = (
  tableName: string,
  base: string,
  shard: number,
  policy: Policy,
  now: number,
): TransactWriteItem => ({
  ConditionCheck: {
    TableName: tableName,
    Key: marshall(breakerKeys(base, shard, now).previous),
    ConditionExpression: breakerClosedCondition(edgeOf(policy, shard, 1)),
    ExpressionAttributeValues: marshall({ ':edge': edgeOf(policy, shard, 1), ':zero': 0 }),
  },
});

/**
 * A verified code credits each region its messages went to, once, in the current hour: `pk` is
 * one shard of the region the code's messages were charged to (the engine picks one per region).
 */
export const breakerCredit = (tableName: string, pk: string, now: number): TransactWriteItem => ({
  Update: {
    TableName: tableName,
    Key: hourKey(pk, now),
    UpdateExpression: 'ADD verified :one, balance :credit SET #ttl = if_not_exists(#ttl, :ttl)',
    ExpressionAttributeNames: { '#ttl': 'ttl' },
    ExpressionAttributeValues: marshall({ ':one': 1, ':credit': CREDIT, ':ttl': hourCounterTtl(now) }),
  },
});
