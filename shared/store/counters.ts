import type { TransactWriteItem } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { Policy } from '../tenants';
import { and, below, hasRoom, or } from './conditions';
import { dayCounterTtl, daySk, RECIPIENT_WINDOW_SK, tenantPk, utcDay } from './keys';
import { periodKeys, shardCount, shardPk, shareOf } from './shards';

/**
 * The counters of sends and guesses. Each charge is one item of the caller's transaction, so a
 * refusal anywhere in it charges nothing, and each condition is evaluated on the committed value:
 * parallel charges cannot overshoot a limit together.
 *
 * A recipient's day item holds `sends` and `failures` for all traffic and `anonSends` and
 * `anonFailures` for anonymous traffic (which counts in both). Its window item holds the times of
 * its last messages, newest first: `t0 … t<N-1>` for all traffic and `a0 …` for anonymous.
 */

/** Whether a charge comes from an anonymous entry point (counted in its own share too). */
export type Trust = 'authenticated' | 'anonymous';

const key = (pk: string, sk: string) => marshall({ pk, sk });

/**
 * Charges `messages` to a recipient's day: refused when its messages would pass the daily limit
 * or when failed guesses have locked it (NIST: a lock on failed attempts must also stop new
 * codes). Anonymous charges also stay within the anonymous share.
 */
export const chargeRecipientDay = (
  tableName: string,
  pk: string,
  messages: number,
  policy: Policy,
  trust: Trust,
  now: number,
): TransactWriteItem => {
  const anonymous = trust === 'anonymous';
  return {
    Update: {
      TableName: tableName,
      Key: key(pk, daySk(utcDay(now))),
      UpdateExpression: `ADD sends :n${anonymous ? ', anonSends :n' : ''} SET #ttl = if_not_exists(#ttl, :ttl)`,
      ConditionExpression: and(
        hasRoom('sends', ':room', policy.maxDailySendsPerDestination - messages),
        below('failures', ':maxFailures'),
        ...(anonymous
          ? [
              hasRoom('anonSends', ':anonRoom', policy.anonymous.maxDailyMessages - messages),
              below('anonFailures', ':anonMaxFailures'),
            ]
          : []),
      ),
      ExpressionAttributeNames: { '#ttl': 'ttl' },
      ExpressionAttributeValues: marshall({
        ':n': messages,
        ':ttl': dayCounterTtl(now),
        ':room': policy.maxDailySendsPerDestination - messages,
        ':maxFailures': policy.maxDailyFailuresPerDestination,
        ...(anonymous && {
          ':anonRoom': policy.anonymous.maxDailyMessages - messages,
          ':anonMaxFailures': policy.anonymous.maxDailyFailures,
        }),
      }),
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    },
  };
};

/** Gives back a day charge whose every channel failed. */
export const refundRecipientDay = (
  tableName: string,
  pk: string,
  messages: number,
  trust: Trust,
  now: number,
): TransactWriteItem => ({
  Update: {
    TableName: tableName,
    Key: key(pk, daySk(utcDay(now))),
    UpdateExpression: `ADD sends :n${trust === 'anonymous' ? ', anonSends :n' : ''}`,
    ExpressionAttributeValues: marshall({ ':n': -messages }),
  },
});

/** `t<k>`-style slot names of a sliding window of `size` slots. */
const slots = (prefix: 't' | 'a', size: number) => Array.from({ length: size }, (_, i) => `${prefix}${i}`);

/**
 * Shifts `count` new message times into a window of slots, newest first: `t<i> = t<i-count>`,
 * the first `count` slots get `:now`. All right-hand sides read the item as it was, so the shift
 * is one atomic SET. Returns the SET clauses and the condition that the window has room: the
 * slot `size - count` (the oldest time that stays counted) must be outside the window, and then
 * every later slot is too.
 */
const shiftIn = (prefix: 't' | 'a', size: number, count: number) => {
  const names = slots(prefix, size);
  const sets = names.map((name, i) =>
    i < count ? `${name} = :now` : `${name} = if_not_exists(${names[i - count]}, :zero)`,
  );
  const edgeSlot = names[size - count];
  return { sets, condition: edgeSlot ? or(`attribute_not_exists(${edgeSlot})`, `${edgeSlot} <= :edge`) : '' };
};

/**
 * Charges `messages` to a recipient's sliding window (`maxMessagesPerRecipientWindow` per
 * `recipientWindowSeconds`, exact for any 10 minutes, not per clock bucket). The caller refuses
 * a request with more messages for one recipient than the window holds before building this.
 */
export const chargeRecipientWindow = (
  tableName: string,
  pk: string,
  messages: number,
  policy: Policy,
  trust: Trust,
  now: number,
): TransactWriteItem => {
  const all = shiftIn('t', policy.maxMessagesPerRecipientWindow, messages);
  const anon =
    trust === 'anonymous' ? shiftIn('a', policy.anonymous.maxMessagesPerWindow, messages) : undefined;
  return {
    Update: {
      TableName: tableName,
      Key: key(pk, RECIPIENT_WINDOW_SK),
      UpdateExpression: `SET ${[...all.sets, ...(anon?.sets ?? []), '#ttl = :ttl'].join(', ')}`,
      ConditionExpression: and(...[all.condition, anon?.condition ?? ''].filter(Boolean)),
      ExpressionAttributeNames: { '#ttl': 'ttl' },
      ExpressionAttributeValues: marshall({
        ':now': now,
        // Only a shift that keeps older slots reads :zero; a request that fills the whole window
        // (as many messages as it holds) has none, and DynamoDB refuses an unused value.
        ...([...all.sets, ...(anon?.sets ?? [])].some((x) => x.includes(':zero')) && { ':zero': 0 }),
        ':edge': now - policy.recipientWindowSeconds * 1000,
        // Once every slot is older than the window the item says nothing: TTL may take it.
        ':ttl': Math.ceil(now / 1000) + policy.recipientWindowSeconds + 60,
      }),
    },
  };
};

/**
 * Takes `messages` times back out of a window whose every channel failed: `t<i> = t<i+count>`,
 * the last `count` slots emptied. Under a parallel charge the times removed may be the other
 * request's (sent in the same instant): the count stays exact.
 */
export const refundRecipientWindow = (
  tableName: string,
  pk: string,
  messages: number,
  policy: Policy,
  trust: Trust,
): TransactWriteItem => {
  const shiftOut = (prefix: 't' | 'a', size: number) => {
    const names = slots(prefix, size);
    return names.map((name, i) =>
      i + messages < size ? `${name} = if_not_exists(${names[i + messages]}, :zero)` : `${name} = :zero`,
    );
  };
  const sets = [
    ...shiftOut('t', policy.maxMessagesPerRecipientWindow),
    ...(trust === 'anonymous' ? shiftOut('a', policy.anonymous.maxMessagesPerWindow) : []),
  ];
  return {
    Update: {
      TableName: tableName,
      Key: key(pk, RECIPIENT_WINDOW_SK),
      UpdateExpression: `SET ${sets.join(', ')}`,
      ExpressionAttributeValues: marshall({ ':zero': 0 }),
    },
  };
};

/** The failure condition of a recipient's day: under the daily lock (and the anonymous share). */
const underFailureLimit = (trust: Trust) =>
  and(
    below('failures', ':maxFailures'),
    ...(trust === 'anonymous' ? [below('anonFailures', ':anonMaxFailures')] : []),
  );

const failureValues = (policy: Policy, trust: Trust) => ({
  ':maxFailures': policy.maxDailyFailuresPerDestination,
  ...(trust === 'anonymous' && { ':anonMaxFailures': policy.anonymous.maxDailyFailures }),
});

/**
 * Reserves one failed guess on a recipient's day, refused once the day's failures lock it. A
 * wrong guess is answered only after this commits, so at most `maxDailyFailuresPerDestination`
 * wrong guesses per recipient per day are ever answered, however many arrive at once.
 */
export const chargeFailure = (
  tableName: string,
  pk: string,
  policy: Policy,
  trust: Trust,
  now: number,
): TransactWriteItem => ({
  Update: {
    TableName: tableName,
    Key: key(pk, daySk(utcDay(now))),
    UpdateExpression: `ADD failures :one${trust === 'anonymous' ? ', anonFailures :one' : ''} SET #ttl = if_not_exists(#ttl, :ttl)`,
    ConditionExpression: underFailureLimit(trust),
    ExpressionAttributeNames: { '#ttl': 'ttl' },
    ExpressionAttributeValues: marshall({
      ':one': 1,
      ':ttl': dayCounterTtl(now),
      ...failureValues(policy, trust),
    }),
  },
});

/**
 * The daily lock also stops a right guess: checked only on wrong ones, a guesser past the limit
 * could keep guessing for free and a right guess would still pass.
 */
export const checkNotLocked = (
  tableName: string,
  pk: string,
  policy: Policy,
  trust: Trust,
  now: number,
): TransactWriteItem => ({
  ConditionCheck: {
    TableName: tableName,
    Key: key(pk, daySk(utcDay(now))),
    ConditionExpression: underFailureLimit(trust),
    ExpressionAttributeValues: marshall(failureValues(policy, trust)),
  },
});

/**
 * A `sends` counter with a limit: a charge (`messages` > 0) is refused once it would pass
 * `limit`; a refund (< 0) always applies. `ttl` is set when the item is created. A shard of a
 * sharded counter passes the whole limit it was judged by as `stamp` (kept as `lim`), so a later
 * request can tell a period whose limit changed (shards.ts `tallyPeriod`).
 */
export const limitedSends = (
  tableName: string,
  itemKey: { pk: string; sk: string },
  messages: number,
  limit: number,
  ttl: number,
  stamp?: number,
): TransactWriteItem => {
  const charge = messages > 0;
  const stamped = charge && stamp !== undefined;
  return {
    Update: {
      TableName: tableName,
      Key: key(itemKey.pk, itemKey.sk),
      UpdateExpression: `ADD sends :n SET #ttl = if_not_exists(#ttl, :ttl)${stamped ? ', lim = :lim' : ''}`,
      ...(charge && { ConditionExpression: hasRoom('sends', ':room', limit - messages) }),
      ExpressionAttributeNames: { '#ttl': 'ttl' },
      ExpressionAttributeValues: marshall({
        ':n': messages,
        ':ttl': ttl,
        ...(charge && { ':room': limit - messages }),
        ...(stamped && { ':lim': stamp }),
      }),
    },
  };
};

/**
 * The tenant's day is write-sharded (shards.ts): every generate of the tenant writes it, so one
 * item would cap the tenant at ~500 generates/s. Each shard's share is at least
 * `TENANT_DAY_MIN_SHARE` messages, so any request of up to that many messages fits an empty shard.
 */
export const TENANT_DAY_MIN_SHARE = 10;

/** How many shards the tenant's day has under `policy` (64 from a cap of 640 messages up). */
export const tenantDayShards = (policy: Policy): number =>
  shardCount(policy.maxDailySendsPerTenant, TENANT_DAY_MIN_SHARE);

/** The key of shard `shard` of the tenant's day at `now`. */
export const tenantDayKey = (tenantId: string, shard: number, now: number) => ({
  pk: shardPk(`${tenantPk(tenantId)}#TD`, shard),
  sk: daySk(utcDay(now)),
});

/**
 * Every key the tenant's day at `now` can hold, whatever the limit: all shard indices and the
 * unsharded item of the code before sharding (shards.ts `periodKeys`).
 */
export const tenantDayPeriod = (tenantId: string, now: number) =>
  periodKeys(`${tenantPk(tenantId)}#TD`, tenantPk(tenantId), daySk(utcDay(now)));

/** Every shard key of the tenant's day at `now` (to read the day's total, or to find room). */
export const tenantDayKeys = (tenantId: string, policy: Policy, now: number) =>
  Array.from({ length: tenantDayShards(policy) }, (_, i) => tenantDayKey(tenantId, i, now));

/** Shard `shard`'s share of the tenant's daily cap. */
export const tenantDayShare = (policy: Policy, shard: number): number =>
  shareOf(policy.maxDailySendsPerTenant, tenantDayShards(policy), shard);

/**
 * Charges (`messages` > 0) or refunds one shard of the tenant's day; a charge is refused past the
 * shard's share of the cap, so all shards together never pass the cap.
 */
export const tenantDay = (
  tableName: string,
  tenantId: string,
  shard: number,
  messages: number,
  policy: Policy,
  now: number,
): TransactWriteItem =>
  limitedSends(
    tableName,
    tenantDayKey(tenantId, shard, now),
    messages,
    tenantDayShare(policy, shard),
    dayCounterTtl(now),
    policy.maxDailySendsPerTenant,
  );
