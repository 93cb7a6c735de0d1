import { PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { describe, expect, it } from '@jest/globals';
import { issue, verify } from '../../shared/engine';
import { RateLimitedError } from '../../shared/errors';
import type { ChallengeItem } from '../../shared/store/challenges';
import { tenantDayShards } from '../../shared/store/counters';
import { daySk, HOUR_MS, hourSk, tenantPk, utcDay, utcHour } from '../../shared/store/keys';
import { breakerShards, countryPk } from '../../shared/store/pumping';
import type { Tenant } from '../../shared/tenants';
import {
  breakerTotals,
  engineHarness,
  keysFor,
  lastCode,
  phoneDelivery,
  readItem,
  smsIssue,
  sumOf,
  testTenant,
  verifyOf,
} from '../support/harness';
import { burst, indianMobiles, pool } from '../support/sharded';

/**
 * The sharded counters (shared/store/shards.ts) across what their shares cannot see: a limit
 * edited mid-period, the unsharded item the deploy that introduced shards left behind, a request
 * of several messages to one region, a code whose resends land on several breaker shards
 * (SECURITY.md H1, findings of an adversarial review). An attacker sends 200 requests at once.
 */

type Harness = Awaited<ReturnType<typeof engineHarness>>;

/** The same tenant with `policy` changed, as the directory serves it after an operator's edit. */
const edited = (tenant: Tenant, policy: Partial<Tenant['policy']>): Tenant => ({
  ...tenant,
  policy: { ...tenant.policy, ...policy },
});

/**
 * Every key a sharded counter's period can hold, spelled out here (not taken from the code under
 * test): the 64 shard indices of `base` and the unsharded item the code before shards wrote.
 */
const everyKey = (base: string, legacyPk: string, sk: string) => [
  ...Array.from({ length: 64 }, (_, i) => ({ pk: `${base}#${i}`, sk })),
  { pk: legacyPk, sk },
];

/** The unsharded tenant-day item of the code before shards. */
const legacyDay = (h: Harness, tenant: Tenant) => ({
  pk: tenantPk(tenant.tenantId),
  sk: daySk(utcDay(h.clock.now())),
});

/** Every message the tenant's day holds: all shard indices and the unsharded item. */
const tenantDayTotal = async (h: Harness, tenant: Tenant) => {
  const { pk, sk } = legacyDay(h, tenant);
  return (await sumOf(h.ddb, h.tableName, everyKey(`${pk}#TD`, pk, sk))).sends;
};

/** Every send a region's breaker holds this hour: all shard indices and the unsharded item. */
const breakerTotal = async (h: Harness, tenant: Tenant, region: string) => {
  const base = countryPk(tenant.tenantId, 'authenticated', region);
  return sumOf(h.ddb, h.tableName, everyKey(base, base, hourSk(utcHour(h.clock.now()))));
};

/** Sends one SMS to each of `phones`, 16 at a time; every one must go out. */
const sendAll = async (h: Harness, tenant: Tenant, phones: string[]) => {
  await pool(phones, 16, async (p) => {
    await issue(h.deps, smsIssue(tenant, p));
  });
  expect(h.sent).toHaveLength(phones.length);
};

const put = (h: Harness, item: Record<string, unknown>) =>
  h.ddb.send(new PutItemCommand({ TableName: h.tableName, Item: marshall(item) }));

describe('security › sharded limits across changes (DynamoDB Local)', () => {
  describe('a limit edited mid-period (finding 1)', () => {
    /** The two sharded limits: the field an operator edits, and how to read what it counted. */
    const limits = [
      {
        name: "the tenant's daily cap",
        field: 'maxDailySendsPerTenant',
        // The breaker off, so only the cap refuses.
        others: { minConversionRatio: 0 },
        reason: 'tenant-daily',
        shards: tenantDayShards,
        total: tenantDayTotal,
      },
      {
        name: 'the breaker (conversionMinSends, no verifies)',
        field: 'conversionMinSends',
        others: { maxSendsPerPrefixPerHour: 1_000 },
        reason: 'conversion-breaker',
        shards: breakerShards,
        total: async (h: Harness, tenant: Tenant) => (await breakerTotal(h, tenant, 'IN')).sends,
      },
    ] as const;
    const named = limits.map((l) => [l.name, l] as const);

    it.each(named)(
      'holds %s lowered from 640 to 100 after 300 sends: 200 concurrent generates admit none',
      async (_, limit) => {
        const h = await engineHarness();
        const before = testTenant({ policy: { [limit.field]: 640, ...limit.others } });
        await sendAll(h, before, indianMobiles(300));
        const after = edited(before, { [limit.field]: 100 });
        expect([limit.shards(before.policy), limit.shards(after.policy)]).toEqual([64, 10]);

        const { admitted, reasons } = await burst(
          h,
          indianMobiles(200, 300).map((p) => smsIssue(after, p)),
        );

        // Before: the 10 shards of 100 had room beside the ~4.7 sends each held (about 53 more).
        expect(admitted).toBe(0);
        expect(reasons).toEqual([limit.reason]);
        expect(h.sent).toHaveLength(300);
        expect(await limit.total(h, after)).toBe(300);
      },
      300_000,
    );

    it.each(named)(
      'holds %s raised from 19 to 20 after 19 sends: 200 concurrent generates admit at most 1',
      async (_, limit) => {
        const h = await engineHarness();
        const before = testTenant({ policy: { [limit.field]: 19, ...limit.others } });
        await sendAll(h, before, indianMobiles(19));
        const after = edited(before, { [limit.field]: 20 });
        expect([limit.shards(before.policy), limit.shards(after.policy)]).toEqual([1, 2]);

        const { admitted } = await burst(
          h,
          indianMobiles(200, 19).map((p) => smsIssue(after, p)),
        );

        // Before: the new second shard took its share of 10.
        expect(admitted).toBeLessThanOrEqual(1);
        expect(h.sent).toHaveLength(19 + admitted);
        expect(await limit.total(h, after)).toBe(19 + admitted);
      },
      300_000,
    );
  });

  describe('a limit raised and set back within one period, in a warm process (review L5)', () => {
    it("holds the tenant's daily cap set back from 640 to 100 once the process's period verdict is a minute old", async () => {
      const h = await engineHarness();
      const others = { minConversionRatio: 0 };
      const low = testTenant({ policy: { maxDailySendsPerTenant: 100, ...others } });
      // This process judges the day regular under 100 (10 shards) and remembers that verdict.
      await sendAll(h, low, indianMobiles(20));
      const high = edited(low, { maxDailySendsPerTenant: 640 });
      await pool(indianMobiles(300, 20), 16, async (p) => {
        await issue(h.deps, smsIssue(high, p));
      });
      expect(h.sent).toHaveLength(320);
      // Set back: shards 0-9 hold about 67 of their 100 in all, the day 320. Trusting the old
      // verdict would let the shares admit about 33 more; a minute later it is read again.
      h.clock.advance(61_000);
      const { admitted, reasons } = await burst(
        h,
        indianMobiles(200, 320).map((p) => smsIssue(low, p)),
      );
      expect(admitted).toBe(0);
      expect(reasons).toEqual(['tenant-daily']);
      expect(await tenantDayTotal(h, low)).toBe(320);
    }, 300_000);
  });

  describe('the unsharded items of the deploy that introduced shards (finding 2)', () => {
    it("counts the day's unsharded tenant item: 55 of a cap of 60 sent before, 200 concurrent generates admit at most 5", async () => {
      const h = await engineHarness();
      const tenant = testTenant({ policy: { maxDailySendsPerTenant: 60, minConversionRatio: 0 } });
      const legacy = legacyDay(h, tenant);
      await put(h, { ...legacy, sends: 55 });

      const { admitted } = await burst(
        h,
        indianMobiles(200).map((p) => smsIssue(tenant, p)),
      );

      expect(admitted).toBeLessThanOrEqual(5);
      expect(h.sent).toHaveLength(admitted);
      expect(await tenantDayTotal(h, tenant)).toBe(55 + admitted);
    }, 300_000);

    it("keeps a region's breaker open when the unsharded item of the previous hour tripped it", async () => {
      const h = await engineHarness();
      const tenant = testTenant({ policy: { conversionMinSends: 40 } });
      const base = countryPk(tenant.tenantId, 'authenticated', 'IN');
      await put(h, { pk: base, sk: hourSk(utcHour(h.clock.now() - HOUR_MS)), sends: 45, balance: -45_000 });

      const { admitted, reasons } = await burst(
        h,
        indianMobiles(20).map((p) => smsIssue(tenant, p)),
      );

      expect(admitted).toBe(0);
      expect(reasons).toEqual(['conversion-breaker']);
      expect(h.sent).toHaveLength(0);
    }, 300_000);

    it("counts this hour's unsharded breaker item: 35 of 40 unverified sends before, 200 concurrent generates admit at most 5", async () => {
      const h = await engineHarness();
      const tenant = testTenant({ policy: { conversionMinSends: 40, maxSendsPerPrefixPerHour: 1_000 } });
      const base = countryPk(tenant.tenantId, 'authenticated', 'IN');
      await put(h, { pk: base, sk: hourSk(utcHour(h.clock.now())), sends: 35, balance: -35_000 });

      const { admitted } = await burst(
        h,
        indianMobiles(200).map((p) => smsIssue(tenant, p)),
      );

      expect(admitted).toBeLessThanOrEqual(5);
      expect((await breakerTotal(h, tenant, 'IN')).sends).toBe(35 + admitted);
    }, 300_000);
  });

  describe('breaker credits and messages per region', () => {
    it('credits a region once per verify, however many of its shards the resends of the code were charged to (finding 3)', async () => {
      const h = await engineHarness();
      // 64 shards: five sends of one code land on one shard about once in 17 million.
      const tenant = testTenant({ policy: { conversionMinSends: 1_000 } });
      const req = smsIssue(tenant, '+919812345670');
      await issue(h.deps, req);
      for (let resend = 0; resend < 4; resend++) {
        h.clock.advance(31_000);
        await expect(issue(h.deps, req)).resolves.toMatchObject({ resent: true });
      }
      const challenge = (await readItem(
        h.ddb,
        h.tableName,
        keysFor(tenant, req.purpose, req.subject, h.clock.now()).challenge,
      )) as ChallengeItem | undefined;
      expect(challenge?.breakers?.size).toBeGreaterThan(1);

      await verify(h.deps, verifyOf(req, lastCode(h.sent)));

      const totals = await breakerTotals(h.ddb, h.tableName, tenant, 'IN', h.clock.now());
      expect(totals.verified).toBe(1);
      expect(totals.sends).toBe(5);
    });

    it('holds a breaker shard to its share for requests of several messages to one region (finding 4)', async () => {
      const h = await engineHarness();
      // 4 shards of 10 sends; every request carries 3 SMS to 3 Indian numbers, none ever verified.
      const tenant = testTenant({ policy: { conversionMinSends: 40, maxSendsPerPrefixPerHour: 1_000 } });
      const phones = indianMobiles(600);
      const reqs = Array.from({ length: 200 }, (_, i) => {
        const to = phones.slice(i * 3, i * 3 + 3);
        return smsIssue(tenant, to[0] as string, 'test:login', {
          deliveries: to.map((p) => phoneDelivery('SMS', p)),
        });
      });

      const { admitted } = await burst(h, reqs);

      // 10 per shard fits three 3-message requests (9), not a fourth (12): at most 36 in all.
      const { sends } = await breakerTotal(h, tenant, 'IN');
      expect(sends).toBe(admitted * 3);
      expect(sends).toBeLessThanOrEqual(40);
    }, 300_000);

    it('keeps a code within 90 recipients and breaker regions when a resend re-picks its breaker shard (finding 5)', async () => {
      const h = await engineHarness();
      // 2 breaker shards of 10 sends.
      const tenant = testTenant({ policy: { conversionMinSends: 20 } });
      const req = smsIssue(tenant, '+919812345670');
      await issue(h.deps, req);
      const key = keysFor(tenant, req.purpose, req.subject, h.clock.now()).challenge;
      const first = (await readItem(h.ddb, h.tableName, key)) as unknown as ChallengeItem;
      const shard = [...(first.breakers ?? [])][0] as string;
      // The code has gone to 89 recipients (88 more than this test sends to) and one IN shard,
      // and that shard has judged its share unverified: a resend must take the other shard.
      await h.ddb.send(
        new UpdateItemCommand({
          TableName: h.tableName,
          Key: marshall(key),
          UpdateExpression: 'ADD recipients :more',
          ExpressionAttributeValues: marshall({
            ':more': new Set(Array.from({ length: 88 }, (_, i) => `T#${tenant.tenantId}#R#fake${i}`)),
          }),
        }),
      );
      await h.ddb.send(
        new UpdateItemCommand({
          TableName: h.tableName,
          Key: marshall({ pk: shard, sk: hourSk(utcHour(h.clock.now())) }),
          UpdateExpression: 'SET sends = :ten, balance = :negative',
          ExpressionAttributeValues: marshall({ ':ten': 10, ':negative': -10_000 }),
        }),
      );
      h.clock.advance(31_000);

      // 89 recipients and one region: the resend fits, whichever shard it is first given.
      await expect(issue(h.deps, req)).resolves.toMatchObject({ resent: true });
      const after = (await readItem(h.ddb, h.tableName, key)) as unknown as ChallengeItem;
      expect(after.breakers?.size).toBe(2);

      // The verify writes 89 recipient checks and one credit for the region: 90, as the check said.
      await verify(h.deps, verifyOf(req, lastCode(h.sent)));
      const totals = await breakerTotals(h.ddb, h.tableName, tenant, 'IN', h.clock.now());
      expect(totals.verified).toBe(1);
    });
  });

  it('refuses with the limit itself, never another error, and sends nothing it refused', async () => {
    const h = await engineHarness();
    const tenant = testTenant({ policy: { maxDailySendsPerTenant: 60, minConversionRatio: 0 } });
    const legacy = legacyDay(h, tenant);
    await put(h, { ...legacy, sends: 60 });
    const error = await issue(h.deps, smsIssue(tenant, '+919812345670')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimitedError);
    expect((error as RateLimitedError).reason).toBe('tenant-daily');
    expect(h.sent).toHaveLength(0);
    expect(await tenantDayTotal(h, tenant)).toBe(60);
  });
});
