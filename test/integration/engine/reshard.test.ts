import { beforeEach, describe, expect, it } from '@jest/globals';
import { issue } from '../../../shared/engine';
import { RateLimitedError } from '../../../shared/errors';
import type { ChallengeItem } from '../../../shared/store/challenges';
import { tenantDay, tenantDayKey, tenantDayShards } from '../../../shared/store/counters';
import { HOUR_MS } from '../../../shared/store/keys';
import { breakerHour, breakerKeys, breakerShards, countryPk } from '../../../shared/store/pumping';
import { MAX_RESHARDS, shardPk } from '../../../shared/store/shards';
import type { Tenant } from '../../../shared/tenants';
import {
  emptyBatchGets,
  engineHarness,
  keysFor,
  phoneDelivery,
  readItem,
  rejection,
  smsIssue,
  testTenant,
  writeCharge,
} from '../../support/harness';
import { indianMobiles } from '../../support/sharded';

/**
 * The re-pick of a refusing shard (shared/engine/issue.ts `reshard`), send by send: which refusals
 * move a send to another shard, which stand, what the move costs in round trips, and which shard
 * the code records. A counter with 64 shards of 10 messages each (a cap of 640) is filled on all
 * shards but one, so a send's random first pick lands on a full shard 63 times in 64 and only the
 * re-pick can save it; the assertions hold whichever shard was picked first.
 *
 * The counters are filled with the charges the engine itself writes (`tenantDay`,
 * `breakerHour`), so each full shard carries its `lim` stamp and the whole-limit audit
 * (whole-limits.ts) sees a regular period.
 */

type Harness = Awaited<ReturnType<typeof engineHarness>>;

/** 64 shards of 10 (shards.ts: `MAX_SHARDS` and a minimum share of 10 messages). */
const CAP = 640;
const LAST = 63;

/** The `sends` an item holds (a missing item holds none). */
const sendsAt = async (h: Harness, key: { pk: string; sk: string }) =>
  Number((await readItem(h.ddb, h.tableName, key))?.sends ?? 0);

/** Fills the tenant's day shards `shards` to their share (10). */
const fillTenantDay = async (h: Harness, tenant: Tenant, shards: number[], now = h.clock.now()) => {
  for (const s of shards) {
    const room = 10 - (await sendsAt(h, tenantDayKey(tenant.tenantId, s, now)));
    if (room > 0) await writeCharge(h, tenantDay(h.tableName, tenant.tenantId, s, room, tenant.policy, now));
  }
};

/** The authenticated Indian breaker of the tenant (every number of `indianMobiles` is in it). */
const indiaBreaker = (tenant: Tenant) => countryPk(tenant.tenantId, 'authenticated', 'IN');

/** Opens breaker shards `shards` of India in the hour of `now`: 10 sends each, none verified. */
const openBreaker = async (h: Harness, tenant: Tenant, shards: number[], now: number) => {
  for (const s of shards) {
    const room = 10 - (await sendsAt(h, breakerKeys(indiaBreaker(tenant), s, now).current));
    if (room > 0)
      await writeCharge(h, breakerHour(h.tableName, indiaBreaker(tenant), s, room, tenant.policy, now));
  }
};

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** DynamoDB requests of one kind since the last reset. */
const count = (h: Harness, command: 'BatchGetItemCommand' | 'TransactWriteItemsCommand') =>
  h.requests.counts[command] ?? 0;

const phones = indianMobiles(40);
let next = 0;
/** A number no other send of this file used. */
const freshPhone = () => {
  const p = phones[next++];
  if (!p) throw new Error('out of test numbers');
  return p;
};

/** A first send to a new number (and subject) of `tenant`. */
const send = (h: Harness, tenant: Tenant, phone = freshPhone()) => issue(h.deps, smsIssue(tenant, phone));

/** The stored day charge of tenant-day shard `s`. */
const daySends = (h: Harness, tenant: Tenant, s: number) =>
  sendsAt(h, tenantDayKey(tenant.tenantId, s, h.clock.now()));

describe('engine › re-picking a refusing shard', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await engineHarness();
  });

  describe("the tenant's day", () => {
    /** 64 day shards of 10; the breaker unsharded, so only the tenant's day can re-pick. */
    const tenant = () => testTenant({ policy: { maxDailySendsPerTenant: CAP, conversionMinSends: 10 } });

    it('moves a send whose shard is full to the one shard with room, at one read and one transaction more', async () => {
      const t = tenant();
      expect(tenantDayShards(t.policy)).toBe(64);
      await send(h, t); // the whole-limit audit reads the period once per process: done here
      const before = await daySends(h, t, LAST);
      await fillTenantDay(h, t, range(LAST));
      h.requests.reset();
      await send(h, t);
      expect(await daySends(h, t, LAST)).toBe(before + 1);
      const reads = count(h, 'BatchGetItemCommand');
      // 63 times in 64 the first pick is full: then exactly one read and one retried transaction.
      expect(reads).toBeLessThanOrEqual(1);
      expect(count(h, 'TransactWriteItemsCommand')).toBe(1 + reads);
    });

    it('takes a shard with room for exactly the message, then refuses once every shard is full', async () => {
      const t = tenant();
      await fillTenantDay(h, t, range(LAST));
      // Shard 63 holds 9 of its 10: room for exactly one more.
      for (let i = 0; i < 9; i++)
        await writeCharge(h, tenantDay(h.tableName, t.tenantId, LAST, 1, t.policy, h.clock.now()));
      await send(h, t);
      expect(await daySends(h, t, LAST)).toBe(10);

      h.requests.reset();
      const refused = await rejection(send(h, t), RateLimitedError);
      expect(refused.reason).toBe('tenant-daily');
      // One transaction, one read of every shard, no retry: no shard had room.
      expect(count(h, 'TransactWriteItemsCommand')).toBe(1);
      expect(count(h, 'BatchGetItemCommand')).toBe(1);
      for (const s of [0, LAST]) expect(await daySends(h, t, s)).toBe(10);
    });

    it('does not re-pick when the send was refused by an unsharded counter too (its refusal stands)', async () => {
      const t = testTenant({ policy: { maxDailySendsPerTenant: CAP, maxMessagesPerRecipientWindow: 1 } });
      const phone = freshPhone();
      await send(h, t, phone);
      await fillTenantDay(h, t, range(LAST));
      h.requests.reset();
      // Other subjects, the same number: its window is full, and the tenant's day nearly.
      for (const subject of ['alice', 'bob', 'carol']) {
        const refused = await rejection(
          issue(h.deps, smsIssue(t, subject, 'test:login', { deliveries: [phoneDelivery('SMS', phone)] })),
          RateLimitedError,
        );
        expect(refused.reason).toBe('recipient-window');
      }
      expect(count(h, 'BatchGetItemCommand')).toBe(0);
      expect(count(h, 'TransactWriteItemsCommand')).toBe(3);
    });

    it('re-picks beside a live code, so its resend is not refused for a full shard', async () => {
      const t = tenant();
      const subjects = range(4).map(() => freshPhone());
      for (const phone of subjects) await send(h, t, phone);
      // Those first sends picked their shards at random: the last one may hold some of them.
      const before = await daySends(h, t, LAST);
      await fillTenantDay(h, t, range(LAST));
      h.clock.advance(t.policy.resendGapSeconds * 1000);
      // Each resend's first write fails on the live code, and (63 times in 64) on its shard too.
      for (const phone of subjects) expect((await send(h, t, phone)).resent).toBe(true);
      expect(await daySends(h, t, LAST)).toBe(before + subjects.length);
    });

    it('does not read a day of one shard: full is full', async () => {
      const t = testTenant({ policy: { maxDailySendsPerTenant: 5 } });
      expect(tenantDayShards(t.policy)).toBe(1);
      for (let i = 0; i < 5; i++) await send(h, t);
      h.requests.reset();
      const refused = await rejection(send(h, t), RateLimitedError);
      expect(refused.reason).toBe('tenant-daily');
      expect(count(h, 'TransactWriteItemsCommand')).toBe(1);
      expect(count(h, 'BatchGetItemCommand')).toBe(0);
    });

    it(`gives up after ${MAX_RESHARDS} re-picks that keep losing (here: a read that sees room that is not there)`, async () => {
      const t = tenant();
      await send(h, t); // the whole-limit audit's read of this period, before the reads lie
      await fillTenantDay(h, t, range(64));
      emptyBatchGets(h.ddb, { unprocessed: false });
      h.requests.reset();
      const refused = await rejection(send(h, t), RateLimitedError);
      expect(refused.reason).toBe('tenant-daily');
      expect(count(h, 'TransactWriteItemsCommand')).toBe(MAX_RESHARDS + 1);
      expect(count(h, 'BatchGetItemCommand')).toBe(MAX_RESHARDS);
    });
  });

  describe("a region's conversion breaker", () => {
    /** 64 breaker shards of 10; the tenant's day unsharded, so only the breaker can re-pick. */
    const tenant = () => testTenant({ policy: { conversionMinSends: CAP, maxDailySendsPerTenant: 15 } });

    it('moves a send off an open shard of this hour, and the code records the shard it charged', async () => {
      const t = tenant();
      expect(breakerShards(t.policy)).toBe(64);
      expect(tenantDayShards(t.policy)).toBe(1);
      await openBreaker(h, t, range(LAST), h.clock.now());
      const phone = freshPhone();
      await send(h, t, phone);
      const { challenge } = keysFor(t, 'test:login', phone, h.clock.now());
      const item = (await readItem(h.ddb, h.tableName, challenge)) as unknown as ChallengeItem;
      // A verify credits exactly the shard the send charged.
      expect([...(item.breakers ?? [])]).toEqual([shardPk(indiaBreaker(t), LAST)]);
    });

    it("moves a send off a shard whose previous hour tripped (the breaker's verdict holds an hour)", async () => {
      const t = tenant();
      await openBreaker(h, t, range(LAST), h.clock.now() - HOUR_MS);
      const phone = freshPhone();
      await send(h, t, phone);
      const { challenge } = keysFor(t, 'test:login', phone, h.clock.now());
      const item = (await readItem(h.ddb, h.tableName, challenge)) as unknown as ChallengeItem;
      expect([...(item.breakers ?? [])]).toEqual([shardPk(indiaBreaker(t), LAST)]);
    });

    it('refuses once every shard of the region is open, after one read and no retry', async () => {
      const t = tenant();
      await send(h, t); // the whole-limit audit's read of this period
      await openBreaker(h, t, range(64), h.clock.now());
      h.requests.reset();
      const refused = await rejection(send(h, t), RateLimitedError);
      expect(refused.reason).toBe('conversion-breaker');
      expect(count(h, 'TransactWriteItemsCommand')).toBe(1);
      // One read of 128 keys (64 shards, this hour and the last): two BatchGetItems of at most 100.
      expect(count(h, 'BatchGetItemCommand')).toBe(2);
    });

    it("spreads a region's sends over its shards at random", async () => {
      const t = tenant();
      for (let i = 0; i < 4; i++) await send(h, t);
      const charged = [];
      for (const s of range(64)) {
        if ((await sendsAt(h, breakerKeys(indiaBreaker(t), s, h.clock.now()).current)) > 0) charged.push(s);
      }
      // Four picks of 64 land on one shard once in 260,000 runs.
      expect(charged.length).toBeGreaterThan(1);
    });

    it('does not read a breaker of one shard: open is open', async () => {
      const t = testTenant({ policy: { conversionMinSends: 10 } });
      expect(breakerShards(t.policy)).toBe(1);
      await send(h, t); // the whole-limit audit's read of this period
      await openBreaker(h, t, [0], h.clock.now());
      h.requests.reset();
      const refused = await rejection(send(h, t), RateLimitedError);
      expect(refused.reason).toBe('conversion-breaker');
      expect(count(h, 'TransactWriteItemsCommand')).toBe(1);
      expect(count(h, 'BatchGetItemCommand')).toBe(0);
    });
  });
});
