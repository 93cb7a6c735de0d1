import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { describe, expect, it } from '@jest/globals';
import { BoundedCache } from '../../shared/bounded-cache';
import { auditCounters, countersOf, VERDICT_TTL_MS } from '../../shared/engine/whole-limits';
import { JWKS_CACHE_MAX_ENTRIES, jwksCacheSize, jwksFor } from '../../shared/http/auth';
import {
  BRAND_CACHE_MAX_ENTRIES,
  brandCacheSize,
  brandPointer,
} from '../../shared/store/capillary-auth-sessions';
import { contactSk, tenantPk } from '../../shared/store/keys';
import { TENANT_CACHE_MAX_ENTRIES, TenantDirectory } from '../../shared/tenant-directory';
import { tenantSchema } from '../../shared/tenants';

/**
 * A DynamoDB client that answers GetItem from a map (by `pk|sk`) and counts reads: 100k lookups take
 * a second here, where DynamoDB Local would take minutes. Only the caches are under test.
 */
const stubTable = (items: Record<string, Record<string, unknown>> = {}) => {
  const stub = { reads: 0 };
  const ddb = {
    send: async (command: { input: { Key: Parameters<typeof unmarshall>[0] } }) => {
      stub.reads += 1;
      const { pk, sk } = unmarshall(command.input.Key);
      const item = items[`${pk}|${sk}`];
      return item ? { Item: marshall(item) } : {};
    },
  } as unknown as DynamoDBClient;
  return { ddb, stub };
};

/** No tenant here has sealed secrets, so the key is never asked for. */
const KEY = { tenantKey: async () => Buffer.alloc(32, 7) };

const manualClock = () => {
  const clock = { ms: 1_000_000, now: () => clock.ms };
  return clock;
};

describe('tenant-directory', () => {
  describe('TenantDirectory cache', () => {
    it('stays at its bound after 100k lookups of distinct unknown credential ids', async () => {
      const { ddb, stub } = stubTable();
      const directory = new TenantDirectory(ddb, 'table', { ...KEY, cacheSeconds: 60 });
      let refused = 0;
      for (let i = 0; i < 100_000; i++)
        if ((await directory.authenticate('v2-basic', `unknown-${i}`, 'secret')) === undefined) refused += 1;
      // Two reads per unknown id: its item under the current kind and under the pre-scoping one.
      expect({ refused, reads: stub.reads }).toEqual({ refused: 100_000, reads: 200_000 });
      expect(directory.cacheSize).toBe(TENANT_CACHE_MAX_ENTRIES);
      expect(TENANT_CACHE_MAX_ENTRIES).toBeLessThanOrEqual(10_000);
    });

    it('stays at a bound given to the constructor: 1000 entries after 5000 lookups', async () => {
      const { ddb } = stubTable();
      const directory = new TenantDirectory(ddb, 'table', {
        ...KEY,
        cacheSeconds: 60,
        maxCacheEntries: 1000,
      });
      for (let i = 0; i < 5000; i++)
        await directory.authenticate('loginradius-apikey', `unknown-${i}`, 'secret');
      expect(directory.cacheSize).toBe(1000);
    });

    it('keeps an unknown id for 5 s and a known one for cacheSeconds, as before', async () => {
      const known = { pk: tenantPk('t1'), sk: contactSk('u1'), userId: 'u1', phone: '+15550100' };
      const { ddb, stub } = stubTable({ [`${known.pk}|${known.sk}`]: known });
      const clock = manualClock();
      const directory = new TenantDirectory(ddb, 'table', { ...KEY, cacheSeconds: 60, now: clock.now });
      const both = async () => [await directory.contact('t1', 'u1'), await directory.contact('t1', 'nobody')];

      expect(await both()).toEqual([expect.objectContaining({ userId: 'u1' }), undefined]);
      expect(stub.reads).toBe(2);
      clock.ms += 4_999;
      await both();
      expect(stub.reads).toBe(2);
      clock.ms += 2;
      await both();
      expect(stub.reads).toBe(3); // the unknown id was read again, the known one was not
      clock.ms += 54_999;
      await directory.contact('t1', 'u1');
      expect(stub.reads).toBe(3); // 60 s less 1 ms: the known one is still cached
      clock.ms += 2;
      await directory.contact('t1', 'u1');
      expect(stub.reads).toBe(4); // past 60 s it is read again
    });

    it('caches nothing when cacheSeconds is 0', async () => {
      const { ddb, stub } = stubTable();
      const directory = new TenantDirectory(ddb, 'table', { ...KEY, cacheSeconds: 0 });
      await directory.contact('t1', 'nobody');
      await directory.contact('t1', 'nobody');
      expect(stub.reads).toBe(2);
      expect(directory.cacheSize).toBe(0);
    });
  });
});

describe('store/capillary-auth-sessions', () => {
  describe('brandPointer', () => {
    it('stays at its bound after 100k lookups of distinct unknown brands', async () => {
      const { ddb, stub } = stubTable();
      const ref = { ddb, tableName: `brands-${Date.now()}` };
      let unknown = 0;
      for (let i = 0; i < 100_000; i++)
        if ((await brandPointer(ref, `BRAND${i}`)) === undefined) unknown += 1;
      expect({ unknown, reads: stub.reads }).toEqual({ unknown: 100_000, reads: 100_000 });
      expect(brandCacheSize()).toBe(BRAND_CACHE_MAX_ENTRIES);
      expect(BRAND_CACHE_MAX_ENTRIES).toBeLessThanOrEqual(10_000);
    });
  });
});

describe('http/auth', () => {
  describe('jwksFor', () => {
    it('keeps at most its bound of key sets, one per URL', () => {
      const first = jwksFor('https://idp-0.example/jwks');
      expect(jwksFor('https://idp-0.example/jwks')).toBe(first);
      for (let i = 1; i < 2000; i++) jwksFor(`https://idp-${i}.example/jwks`);
      expect(jwksCacheSize()).toBe(JWKS_CACHE_MAX_ENTRIES);
      expect(jwksFor('https://idp-0.example/jwks')).not.toBe(first); // evicted, made again
    });
  });
});

describe('bounded-cache', () => {
  describe('BoundedCache', () => {
    it('expires each entry after its own TTL and tells a cached miss from no entry', () => {
      const clock = manualClock();
      const cache = new BoundedCache<string>({ maxEntries: 10, now: clock.now });
      cache.set('known', 'value', 60_000);
      cache.set('unknown', undefined, 5_000);
      expect(cache.get('unknown')).toEqual({ value: undefined });
      expect(cache.get('absent')).toBeUndefined();
      clock.ms += 5_001;
      expect(cache.get('unknown')).toBeUndefined();
      expect(cache.get('known')).toEqual({ value: 'value' });
      clock.ms += 55_000;
      expect(cache.get('known')).toBeUndefined();
    });

    it('evicts the least recently used entry at its bound', () => {
      const cache = new BoundedCache<number>({ maxEntries: 2 });
      cache.set('a', 1, 60_000);
      cache.set('b', 2, 60_000);
      cache.get('a');
      cache.set('c', 3, 60_000);
      expect([cache.get('a'), cache.get('b'), cache.get('c')]).toEqual([
        { value: 1 },
        undefined,
        { value: 3 },
      ]);
      expect(cache.size).toBe(2);
    });

    it('keeps nothing for a TTL of 0 (lru-cache would keep it forever)', () => {
      const cache = new BoundedCache<number>({ maxEntries: 2 });
      cache.set('a', 1, 0);
      expect(cache.get('a')).toBeUndefined();
      expect(cache.size).toBe(0);
    });
  });
});

describe('engine/whole-limits', () => {
  describe('the per-process memo of period verdicts', () => {
    /** A table that answers every BatchGetItem with nothing (every period regular) and counts them. */
    const emptyTable = () => {
      const stub = { reads: 0 };
      const ddb = {
        send: async () => {
          stub.reads += 1;
          return { Responses: {} };
        },
      } as unknown as DynamoDBClient;
      return { ddb, stub };
    };
    const policy = tenantSchema.shape.policy.parse({});
    const plan = { messages: 1, recipients: [], prefixes: [], breakers: [] };
    /** The tenant-day counter of tenant `i` (one verdict each). */
    const dayOf = (i: number, now: number) => countersOf(`t-memo-${i}`, policy, plan, now);

    it('holds at most 10,000 verdicts, dropping the one stored longest ago (a verdict read again counts as new)', async () => {
      const { ddb, stub } = emptyTable();
      const t0 = Date.UTC(2026, 0, 1, 12);
      const audit = async (i: number, now: number) => {
        const before = stub.reads;
        await auditCounters(ddb, 'memo', dayOf(i, t0), now);
        return stub.reads - before;
      };
      for (let i = 0; i < 10_000; i++) await audit(i, t0);
      expect(stub.reads).toBe(10_000);
      // Exactly at the bound: nothing dropped yet.
      expect(await audit(0, t0 + 1)).toBe(0);
      // One more verdict drops the oldest (tenant 0's), and only that one.
      expect(await audit(10_000, t0 + 1)).toBe(1);
      expect(await audit(1, t0 + 2)).toBe(0);
      expect(await audit(0, t0 + 2)).toBe(1);
      // Tenant 2's verdict expires and is read again: it is now the newest, so the next verdict
      // drops tenant 3's (the oldest left), not tenant 2's.
      expect(await audit(2, t0 + VERDICT_TTL_MS)).toBe(1);
      expect(await audit(10_001, t0 + VERDICT_TTL_MS)).toBe(1);
      expect(await audit(2, t0 + VERDICT_TTL_MS + 1)).toBe(0);
    });
  });
});
