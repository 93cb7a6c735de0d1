import { createHmac } from 'node:crypto';
import { BatchGetItemCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { describe, expect, it } from '@jest/globals';
import { mockClient } from 'aws-sdk-client-mock';
import { HOUR_MS, hourSk, utcHour } from '../../shared/store/keys';
import { breakerClosed, breakerKeys, breakerPeriods, countryPk, prefixPk } from '../../shared/store/pumping';
import {
  baseOf,
  MAX_SHARDS,
  periodKeys,
  pickWithRoom,
  readAllOf,
  shardCount,
  shardPk,
  shareOf,
  tallyPeriod,
} from '../../shared/store/shards';
import { testTenant } from '../support/harness';

/**
 * The arithmetic of write-sharded counters (shared/store/shards.ts) and of the pumping breaker's
 * keys and verdict (shared/store/pumping.ts) on their own. The engine's tests run them against
 * DynamoDB Local (sms-pumping, whole-limits); these pin the values a wrong share, a wrong key or
 * a misread batch would change without any limit test noticing at once.
 */

describe('store › shards', () => {
  it('splits a limit into shares that differ by at most one and add up to it exactly', () => {
    expect([0, 1, 2].map((i) => shareOf(10, 3, i))).toEqual([4, 3, 3]);
    expect([0, 1, 2, 3].map((i) => shareOf(8, 4, i))).toEqual([2, 2, 2, 2]);
    for (const [limit, n] of [
      [640, 64],
      [641, 64],
      [99, 7],
      [5, 1],
    ] as const) {
      const shares = Array.from({ length: n }, (_, i) => shareOf(limit, n, i));
      expect(shares.reduce((a, b) => a + b, 0)).toBe(limit);
      expect(Math.max(...shares) - Math.min(...shares)).toBeLessThanOrEqual(1);
    }
  });

  it('gives a limit as many shards as keep each share at least the minimum, one at least, 64 at most', () => {
    expect(shardCount(5, 10)).toBe(1);
    expect(shardCount(19, 10)).toBe(1);
    expect(shardCount(20, 10)).toBe(2);
    expect(shardCount(640, 10)).toBe(64);
    expect(shardCount(100_000, 10)).toBe(MAX_SHARDS);
  });

  it("names a shard's partition and finds its base again, whatever digits the base holds", () => {
    expect(shardPk('T#acme#CC#IN', 5)).toBe('T#acme#CC#IN#5');
    expect(baseOf('T#acme#CC#IN#5')).toBe('T#acme#CC#IN');
    expect(baseOf('T#acme#CC#IN#63')).toBe('T#acme#CC#IN');
    expect(baseOf('T#123#CC#IN#12')).toBe('T#123#CC#IN');
  });

  it("tallies a period's shards and legacy item, and calls it regular only when the shares of this limit held it", () => {
    const keys = periodKeys('T#a#TD', 'T#a', 'DAY#2026-12-05');
    const items = (entries: [{ pk: string; sk: string }, Record<string, unknown>][]) =>
      new Map(entries.map(([k, v]) => [`${k.pk}|${k.sk}`, { ...k, ...v }]));
    const shard = (i: number) => keys.shards[i] as { pk: string; sk: string };
    const regular = tallyPeriod(
      items([
        [shard(0), { sends: 3, balance: -2, lim: 20 }],
        [shard(1), { sends: 4, balance: 5, lim: 20 }],
        // A shard beyond this limit's two that took nothing is no sign of another limit.
        [shard(7), { sends: 0 }],
      ]),
      keys,
      20,
      2,
    );
    expect(regular).toEqual({ sends: 7, balance: 3, regular: true });
    // A shard stamped with another limit.
    expect(tallyPeriod(items([[shard(1), { sends: 1, lim: 30 }]]), keys, 20, 2).regular).toBe(false);
    // Sends on a shard a larger limit used (index 2 of a limit of two shards).
    expect(tallyPeriod(items([[shard(2), { sends: 1 }]]), keys, 20, 2)).toEqual({
      sends: 1,
      balance: 0,
      regular: false,
    });
    // The last shard of this limit is its own.
    expect(tallyPeriod(items([[shard(1), { sends: 1 }]]), keys, 20, 2).regular).toBe(true);
    // The unsharded item of the code before shards.
    expect(tallyPeriod(items([[keys.legacy, { sends: 2 }]]), keys, 20, 2)).toEqual({
      sends: 2,
      balance: 0,
      regular: false,
    });
  });

  it('picks only among the indices with room, and none when none has', () => {
    for (let i = 0; i < 50; i++) expect([1, 3]).toContain(pickWithRoom(5, (s) => s === 1 || s === 3));
    expect(new Set(Array.from({ length: 200 }, () => pickWithRoom(4, () => true)))).toEqual(
      new Set([0, 1, 2, 3]),
    );
    expect(pickWithRoom(4, () => false)).toBeUndefined();
  });
});

describe('store › readAllOf', () => {
  const key = (i: number) => ({ pk: `P#${i}`, sk: 'S' });

  it('reads 100 keys a request, strongly consistent, and is incomplete when any request left keys', async () => {
    const ddb = new DynamoDBClient({ region: 'us-east-1' });
    const mock = mockClient(ddb);
    mock
      .on(BatchGetItemCommand)
      .resolvesOnce({ Responses: { t: [marshall({ ...key(0), sends: 1 })] }, UnprocessedKeys: {} })
      .resolvesOnce({ UnprocessedKeys: { t: { Keys: [marshall(key(150))] } } });
    const keys = Array.from({ length: 160 }, (_, i) => key(i));
    const { items, complete } = await readAllOf(ddb, 't', keys);
    expect(complete).toBe(false);
    expect([...items.values()]).toEqual([{ ...key(0), sends: 1 }]);
    const requests = mock.commandCalls(BatchGetItemCommand).map((c) => c.args[0].input.RequestItems?.t);
    expect(requests.map((r) => [r?.Keys?.length, r?.ConsistentRead])).toEqual([
      [100, true],
      [60, true],
    ]);
  });

  it('is complete when no request left keys', async () => {
    const ddb = new DynamoDBClient({ region: 'us-east-1' });
    mockClient(ddb)
      .on(BatchGetItemCommand)
      .resolves({ Responses: { t: [] } });
    await expect(readAllOf(ddb, 't', [key(1)])).resolves.toEqual({ items: new Map(), complete: true });
  });
});

describe('store › pumping keys and verdict', () => {
  it('keeps anonymous traffic in partitions of its own, and a prefix only as a fixed-length keyed hash', () => {
    const pepper = Buffer.from('p'.repeat(32));
    expect(countryPk('t1', 'authenticated', 'IN')).toBe('T#t1#CC#IN');
    expect(countryPk('t1', 'anonymous', 'IN')).toBe('T#t1#anon#CC#IN');
    const own = prefixPk(pepper, 't1', 'authenticated', '+919955');
    const anon = prefixPk(pepper, 't1', 'anonymous', '+919955');
    expect(own).toMatch(/^T#t1#PX#[\w-]{32}$/);
    expect(anon).toMatch(/^T#t1#anon#PX#[\w-]{32}$/);
    expect(own).not.toContain('9955');
    expect(prefixPk(pepper, 't1', 'authenticated', '+919956')).not.toBe(own);
    // Stable across deploys (store-keys.test.ts): HMAC-SHA256 of the labelled parts joined by NUL.
    const mac = createHmac('sha256', pepper)
      .update(['prefix', 't1', 'authenticated', '+919955'].join('\u0000'))
      .digest('base64url');
    expect(own).toBe(`T#t1#PX#${mac.slice(0, 32)}`);
  });

  it("keys a breaker shard's current and previous UTC hour", () => {
    const now = Date.parse('2026-12-05T12:30:00Z');
    expect(breakerKeys('T#t1#CC#IN', 3, now)).toEqual({
      current: { pk: 'T#t1#CC#IN#3', sk: hourSk(utcHour(now)) },
      previous: { pk: 'T#t1#CC#IN#3', sk: 'HOUR#2026-12-05T11' },
    });
    expect(hourSk(utcHour(now - HOUR_MS))).toBe('HOUR#2026-12-05T11');
    // Every key of both hours, for a whole sum: all shard indices and the unsharded item.
    const periods = breakerPeriods('T#t1#CC#IN', now);
    expect(periods.current.legacy).toEqual({ pk: 'T#t1#CC#IN', sk: 'HOUR#2026-12-05T12' });
    expect(periods.previous.legacy).toEqual({ pk: 'T#t1#CC#IN', sk: 'HOUR#2026-12-05T11' });
    expect(periods.previous.shards).toHaveLength(MAX_SHARDS);
    expect(periods.previous.shards[63]).toEqual({ pk: 'T#t1#CC#IN#63', sk: 'HOUR#2026-12-05T11' });
  });

  it('calls a breaker shard closed while it has room for the messages or its balance is not negative', () => {
    // conversionMinSends 10: one shard whose share is 10.
    const { policy } = testTenant({ policy: { conversionMinSends: 10, minConversionRatio: 0.5 } });
    expect(breakerClosed(undefined, policy, 0)).toBe(true);
    expect(breakerClosed({ sends: 9, balance: -1 }, policy, 0)).toBe(true);
    expect(breakerClosed({ sends: 10, balance: -1 }, policy, 0)).toBe(false);
    expect(breakerClosed({ sends: 10, balance: 0 }, policy, 0)).toBe(true);
    expect(breakerClosed({ sends: 10, balance: 1 }, policy, 0)).toBe(true);
    // Room for one message is not room for two.
    expect(breakerClosed({ sends: 9, balance: -1 }, policy, 0, 2)).toBe(false);
    expect(breakerClosed({ sends: 8, balance: -1 }, policy, 0, 2)).toBe(true);
  });
});
