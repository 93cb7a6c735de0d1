import { randomInt } from 'node:crypto';
import { type AttributeValue, BatchGetItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { guard } from './dynamo';

/**
 * Write sharding of the counters a tenant's whole traffic writes (the tenant's day, a region's
 * conversion breaker). DynamoDB serves at most 1,000 write units per second per item and cancels
 * concurrent transactions on one item (TransactionConflict), so one such item would cap a tenant
 * at a few hundred requests per second. Each counter is split into `n` items (`<pk>#<i>`), each
 * write goes to one shard chosen at random, and the limit is split too: shard `i` enforces its
 * share, and the shares add up to exactly the limit. A shard's condition is evaluated on its own
 * committed value, so all shards together can never admit more than the limit, under any
 * concurrency — the promise stays exact.
 *
 * The price is refusing early: a shard can be full while others have room. When a shard refuses,
 * the engine reads every shard of that counter (one BatchGetItem) and retries on one with room
 * (`pickWithRoom`), so a request is refused only when no single shard can take it (a request
 * with more messages than any shard's remaining share, or shards filled by parallel requests
 * between the read and the retry, after `MAX_RESHARDS` tries). That costs two more round trips,
 * and only near the limit.
 *
 * Shares hold the limit only in a period whose every charge was judged by the same limit: each
 * charge stamps it (`lim`), and engine/whole-limits.ts judges by the whole sum (`periodKeys`,
 * `tallyPeriod`) in a period where a limit changed or the unsharded item of the code before
 * shards holds counts.
 */

/**
 * At most this many shards. At the design target of 10,000 generates/s for one tenant (DESIGN §4),
 * 64 shards put ~156 generates/s on each tenant-day shard (2 write units each in a transaction:
 * ~310 WCU/s) and ~310 generates plus verifies on each breaker shard (~625 WCU/s), under the
 * 1,000 WCU/s a DynamoDB item serves, and each shard sees ~1.6 % of the tenant's generates.
 */
export const MAX_SHARDS = 64;

/** How many times a request re-picks a shard after its shard refused, before it is refused. */
export const MAX_RESHARDS = 3;

/**
 * The number of shards of a counter with limit `limit`, keeping every share at least `minShare`
 * (so a request's messages fit an empty shard). A small limit gets fewer shards: a limit of L
 * admits at most L writes per period anyway, so its item cannot become hot.
 */
export const shardCount = (limit: number, minShare: number): number =>
  Math.max(1, Math.min(MAX_SHARDS, Math.floor(limit / minShare)));

/** Shard `i`'s share of `limit` over `n` shards: the shares add up to exactly `limit`. */
export const shareOf = (limit: number, n: number, i: number): number =>
  Math.floor(limit / n) + (i < limit % n ? 1 : 0);

/** The partition of shard `i` of the counter partition `base`. */
export const shardPk = (base: string, i: number): string => `${base}#${i}`;

/** The counter partition a shard partition belongs to (`T#acme#CC#IN#5` → `T#acme#CC#IN`). */
export const baseOf = (shard: string): string => shard.replace(/#\d+$/, '');

/** A shard chosen uniformly at random. */
export const randomShard = (n: number): number => randomInt(n);

/**
 * Every key a sharded counter's period can hold: shards `0 … MAX_SHARDS-1` of `base` (whatever
 * the limit, so shards a larger limit used earlier in the period are counted too) and `legacy`,
 * the one unsharded item the code before sharding wrote for that period (`T#<tenant>` `DAY#…`,
 * `T#<tenant>#CC#<region>` `HOUR#…`), which the deploy that introduced shards left behind.
 */
export const periodKeys = (base: string, legacyPk: string, sk: string) => ({
  shards: Array.from({ length: MAX_SHARDS }, (_, i) => ({ pk: shardPk(base, i), sk })),
  legacy: { pk: legacyPk, sk },
});

/** What a period's items add up to, and whether its shares can be trusted (`regular`). */
export interface PeriodTally {
  sends: number;
  balance: number;
  /**
   * True when every charge of the period so far was judged by the shares of `limit`: no shard is
   * stamped (`lim`) with another limit, none beyond the `n` shards of `limit` holds sends, and
   * no legacy item holds any. Only then do the shards' own conditions hold the whole limit.
   */
  regular: boolean;
}

/** Adds up the items of a period read by `readAll` and judges them against `limit` over `n` shards. */
export const tallyPeriod = (
  items: Map<string, Record<string, unknown>>,
  keys: ReturnType<typeof periodKeys>,
  limit: number,
  n: number,
): PeriodTally => {
  const at = (k: { pk: string; sk: string }) => items.get(`${k.pk}|${k.sk}`);
  const all = [...keys.shards.map(at), at(keys.legacy)];
  const sum = (attr: string) => all.reduce((total, item) => total + Number(item?.[attr] ?? 0), 0);
  const foreign = keys.shards.some((k, i) => {
    const item = at(k);
    return (
      (item?.lim !== undefined && Number(item.lim) !== limit) || (i >= n && Number(item?.sends ?? 0) > 0)
    );
  });
  return {
    sends: sum('sends'),
    balance: sum('balance'),
    regular: !foreign && Number(at(keys.legacy)?.sends ?? 0) === 0,
  };
};

/** BatchGetItem takes at most 100 keys per request. */
const BATCH_GET_MAX = 100;

/**
 * Reads items by key, in parallel BatchGetItems of up to 100 keys (one round trip). Strongly
 * consistent, so a shard just filled is not picked again. `complete` is false when the store left
 * keys unprocessed (they are missing from `items`): a caller that must see every item (a whole
 * sum) treats that as unknown; one that only looks for room may read them as absent, since the
 * retried transaction re-checks every shard's condition itself.
 */
export const readAllOf = async (
  ddb: DynamoDBClient,
  tableName: string,
  keys: { pk: string; sk: string }[],
): Promise<{ items: Map<string, Record<string, unknown>>; complete: boolean }> => {
  const chunks = Array.from({ length: Math.ceil(keys.length / BATCH_GET_MAX) }, (_, c) =>
    keys.slice(c * BATCH_GET_MAX, (c + 1) * BATCH_GET_MAX),
  );
  const outs = await Promise.all(
    chunks.map((chunk) =>
      guard(() =>
        ddb.send(
          new BatchGetItemCommand({
            RequestItems: { [tableName]: { Keys: chunk.map((k) => marshall(k)), ConsistentRead: true } },
          }),
        ),
      ),
    ),
  );
  const items = new Map<string, Record<string, unknown>>();
  for (const raw of outs.flatMap((out) => out.Responses?.[tableName] ?? [])) {
    const item = unmarshall(raw as Record<string, AttributeValue>);
    items.set(`${item.pk}|${item.sk}`, item);
  }
  const complete = outs.every((out) => (out.UnprocessedKeys?.[tableName]?.Keys?.length ?? 0) === 0);
  return { items, complete };
};

/** `readAllOf`'s items alone: keys left unprocessed read as absent. */
export const readAll = async (
  ddb: DynamoDBClient,
  tableName: string,
  keys: { pk: string; sk: string }[],
): Promise<Map<string, Record<string, unknown>>> => (await readAllOf(ddb, tableName, keys)).items;

/** One of the indices `0 … n-1` for which `fits(i)` holds, at random, or undefined when none does. */
export const pickWithRoom = (n: number, fits: (i: number) => boolean): number | undefined => {
  const open = Array.from({ length: n }, (_, i) => i).filter(fits);
  return open.length === 0 ? undefined : open[randomInt(open.length)];
};
