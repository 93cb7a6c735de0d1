import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { tenantDayPeriod, tenantDayShards } from '../store/counters';
import { breakerPeriods, breakerShards, CREDIT } from '../store/pumping';
import { type PeriodTally, type periodKeys, readAllOf, tallyPeriod } from '../store/shards';
import type { Policy } from '../tenants';
import type { SendPlan } from './plan';

/**
 * The whole limit of a sharded counter, where its shares alone cannot hold it (SECURITY.md H1).
 *
 * The shards' shares add up to the limit only while every charge of the period (the tenant's UTC
 * day, a breaker's hour and the hour before) was judged by the same limit over the same shards.
 * Two things break that: an operator editing `maxDailySendsPerTenant` or `conversionMinSends`
 * mid-period (the shard count and shares change; shards a larger limit used are no longer
 * picked), and the deploy that introduced shards (the period's unsharded item holds what the
 * code before counted). Such a period is *irregular*: there, every send is judged by the whole
 * sum after its charge commits, and given back (charges refunded, code undone, nothing sent) if
 * the sum passes the limit as configured now.
 *
 * Whether a period is regular is read once per process, period and limit (a BatchGetItem of
 * every shard index and the legacy item, started beside the send's own transaction, so it adds
 * no round trip), from the limit each shard charge stamps (`lim`). A regular period costs
 * nothing more; an irregular one costs one read of the whole sum per send until the period ends.
 *
 * Judging after the commit holds the limit under any concurrency: each kept send read a sum that
 * included its own charge and every send kept before it started reading, so the one kept last
 * read at least every kept charge, and that sum was within the limit. Sends judged by an older
 * limit in another process (its tenant cache, up to 60 s) are judged by that limit.
 */

type Period = ReturnType<typeof periodKeys>;

/** One sharded counter a send charged: its periods (the day; or this hour and the previous). */
interface Counter {
  kind: 'tenantDay' | 'breaker';
  periods: Period[];
  limit: number;
  shards: number;
  /** The breaker's balance this send took (its messages' cost), to judge the balance before it. */
  cost: number;
}

/** At most this many periods' verdicts are kept per process (oldest dropped first). */
const MEMO_MAX = 10_000;
/**
 * How long a verdict is trusted: as long as a tenant record is cached (TENANT_CACHE_SECONDS,
 * 60 s). A limit raised and set back within one period leaves shards stamped with the raised
 * limit; a process that judged the period regular before the raise sees them within this time
 * instead of trusting the shares for the rest of the period (stop-20 review, L5).
 */
export const VERDICT_TTL_MS = 60_000;
const memo = new Map<string, { read: Promise<boolean>; until: number }>();

/** Reads the periods of `counter` and tells whether they are all regular (unknown reads as not). */
const readRegular = async (ddb: DynamoDBClient, tableName: string, counter: Counter): Promise<boolean> => {
  const { items, complete } = await readAllOf(
    ddb,
    tableName,
    counter.periods.flatMap((p) => [...p.shards, p.legacy]),
  );
  return (
    complete && counter.periods.every((p) => tallyPeriod(items, p, counter.limit, counter.shards).regular)
  );
};

const memoKey = (tableName: string, counter: Counter) =>
  [tableName, counter.kind, counter.periods[0]?.legacy.pk, counter.periods[0]?.legacy.sk, counter.limit].join(
    '|',
  );

/** Whether `counter`'s periods are regular: read at most once per process, period and limit a minute. */
const regular = (ddb: DynamoDBClient, tableName: string, counter: Counter, now: number): Promise<boolean> => {
  const key = memoKey(tableName, counter);
  const known = memo.get(key);
  if (known && now < known.until) return known.read;
  memo.delete(key);
  const read = readRegular(ddb, tableName, counter);
  memo.set(key, { read, until: now + VERDICT_TTL_MS });
  // A failed read is not remembered (and is seen by whoever awaits it, not as an unhandled one).
  read.catch(() => {
    if (memo.get(key)?.read === read) memo.delete(key);
  });
  if (memo.size > MEMO_MAX) memo.delete(memo.keys().next().value as string);
  return read;
};

/** The sharded counters a send charges: the tenant's day and every breaker region of its plan. */
export const countersOf = (tenantId: string, policy: Policy, plan: SendPlan, now: number): Counter[] => [
  {
    kind: 'tenantDay',
    periods: [tenantDayPeriod(tenantId, now)],
    limit: policy.maxDailySendsPerTenant,
    shards: tenantDayShards(policy),
    cost: 0,
  },
  ...plan.breakers.map((b): Counter => {
    const { current, previous } = breakerPeriods(b.pk, now);
    return {
      kind: 'breaker',
      periods: [current, previous],
      limit: policy.conversionMinSends,
      shards: breakerShards(policy),
      cost: b.messages * Math.round(CREDIT * policy.minConversionRatio),
    };
  }),
];

/**
 * Starts finding out which of `counters` are irregular (memoised per process); the promise
 * resolves to the irregular ones. Call it before the send's transaction so the read overlaps it.
 */
export const auditCounters = (
  ddb: DynamoDBClient,
  tableName: string,
  counters: Counter[],
  now: number,
): Promise<Counter[]> => {
  // A period that could not be read is judged whole this time (and read again next time).
  const verdicts = counters.map((c) => regular(ddb, tableName, c, now).catch(() => false));
  return Promise.all(verdicts).then((ok) => counters.filter((_, i) => !ok[i]));
};

/** Why a committed send passes a whole limit: the tenant's day, this hour's breaker or the last one's. */
export type WholeRefusal = 'tenant-daily' | 'breaker-current' | 'breaker-previous';

const tally = (items: Map<string, Record<string, unknown>>, counter: Counter, i: number): PeriodTally => {
  const period = counter.periods[i] as Period;
  return tallyPeriod(items, period, counter.limit, counter.shards);
};

/**
 * Judges a committed send against the whole sum of each irregular counter (one round trip):
 * the tenant's day must hold at most its cap; a breaker is judged as the one item before
 * sharding was, on this send's messages: this hour has at most `conversionMinSends` sends or had
 * a non-negative balance before this send, and the previous hour was closed.
 */
export const wholeRefusal = async (
  ddb: DynamoDBClient,
  tableName: string,
  irregular: Counter[],
): Promise<WholeRefusal | undefined> => {
  if (irregular.length === 0) return undefined;
  const { items, complete } = await readAllOf(
    ddb,
    tableName,
    irregular.flatMap((c) => c.periods.flatMap((p) => [...p.shards, p.legacy])),
  );
  // A sum with items missing proves nothing: refused, on the safe side.
  if (!complete) return irregular[0]?.kind === 'tenantDay' ? 'tenant-daily' : 'breaker-current';
  for (const counter of irregular) {
    const current = tally(items, counter, 0);
    if (counter.kind === 'tenantDay') {
      if (current.sends > counter.limit) return 'tenant-daily';
      continue;
    }
    if (current.sends > counter.limit && current.balance + counter.cost < 0) return 'breaker-current';
    const previous = tally(items, counter, 1);
    if (previous.sends >= counter.limit && previous.balance < 0) return 'breaker-previous';
  }
  return undefined;
};
