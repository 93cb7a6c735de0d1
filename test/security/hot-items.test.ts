import { describe, expect, it } from '@jest/globals';
import { issue, verify } from '../../shared/engine';
import { InvalidCodeError, ServiceUnavailableError } from '../../shared/errors';
import { tenantDayShards } from '../../shared/store/counters';
import { breakerShards } from '../../shared/store/pumping';
import { CONFLICT_RETRY } from '../../shared/timeouts';
import {
  breakerTotals,
  dayCounters,
  engineHarness,
  lastCode,
  smsIssue,
  testTenant,
  verifyOf,
  wrongCodeFor,
} from '../support/harness';
import { burst, indianMobiles, pool } from '../support/sharded';
import { injectConflicts, recordItemWrites, simulateTransactionConflicts } from '../support/store-traffic';

/**
 * DESIGN §4, no hot items: no counter that a tenant's whole traffic writes may be one item
 * (DynamoDB serves 1,000 write units per second per item and cancels concurrent transactions on
 * it). The tenant's day and a region's conversion breaker are write-sharded (shared/store/shards.ts)
 * with the limit split into shares that add up to it, so sharding never admits more than the limit.
 */

describe('security › hot items (DynamoDB Local)', () => {
  describe('engine › a 10,000-operation trace of one tenant in one country', () => {
    it('writes no item key with more than 5 % of the writes', async () => {
      const h = await engineHarness();
      // A tenant at the design target: its breaker judges from 1,000 sends (at 10,000 generates/s
      // that is a tenth of a second of traffic) and so has 64 shards, as has its day.
      const tenant = testTenant({ policy: { conversionMinSends: 1_000 } });
      expect(tenantDayShards(tenant.policy)).toBe(64);
      expect(breakerShards(tenant.policy)).toBe(64);
      const record = recordItemWrites(h.ddb);
      const ops = { generate: 0, resend: 0, right: 0, wrong: 0 };

      // 40 waves of 100 recipients: 100 fresh generates, then (past the resend gap) 25 resends,
      // 25 wrong guesses and 100 right ones: 250 operations a wave, 10,000 in all.
      const phones = indianMobiles(4_000);
      for (let wave = 0; wave < 40; wave++) {
        const reqs = phones.slice(wave * 100, wave * 100 + 100).map((p) => smsIssue(tenant, p));
        await pool(reqs, 16, async (req) => {
          await issue(h.deps, req);
          ops.generate++;
        });
        h.clock.advance(31_000);
        await pool(reqs.slice(0, 25), 16, async (req) => {
          await expect(issue(h.deps, req)).resolves.toMatchObject({ resent: true });
          ops.resend++;
        });
        await pool(reqs.slice(25, 50), 16, async (req) => {
          const wrong = wrongCodeFor(lastCode(h.sent, req.subject));
          await expect(verify(h.deps, verifyOf(req, wrong))).rejects.toBeInstanceOf(InvalidCodeError);
          ops.wrong++;
        });
        await pool(reqs, 16, async (req) => {
          await verify(h.deps, verifyOf(req, lastCode(h.sent, req.subject)));
          ops.right++;
        });
      }

      expect(ops).toEqual({ generate: 4_000, resend: 1_000, right: 4_000, wrong: 1_000 });
      const total = record.totalWrites();
      const [hotKey, hotWrites] = record.hottest();
      const [, hotChecks] = record.hottest(record.checks);
      // The hottest key is one of the sharded counters or a per-recipient item, never a whole tenant's.
      expect(hotKey).not.toBe('');
      // Control: the tenant's day alone, as one item, would hold ~10 % of the writes. A resend
      // writes it twice: the fresh attempt (cancelled by the live code) and the resend itself.
      const tenantDayWrites = [...record.writes]
        .filter(([k]) => k.startsWith(`T#${tenant.tenantId}#TD#`))
        .reduce((sum, [, n]) => sum + n, 0);
      expect(tenantDayWrites).toBe(6_000);
      expect(tenantDayWrites / total).toBeGreaterThan(0.05);
      // No item written by more than 5 % of the writes (or checked by 5 % of them).
      expect(hotWrites / total).toBeLessThanOrEqual(0.05);
      expect(hotChecks / total).toBeLessThanOrEqual(0.05);
      // (Measured against the generates alone instead of all writes, the hottest item sits at
      // 4.5-5.2 % from run to run: a margin too thin to assert; the issue's bound is all writes.)
      // Every counter still adds up.
      expect(
        (await dayCounters(h.ddb, h.tableName, tenant, phones[0] as string, h.clock.now())).tenantSends,
      ).toBe(5_000);
    }, 900_000);
  });

  describe('engine › TransactionConflict on the shared items', () => {
    const shared = (key: string) => key.includes('#TD#') || key.includes('#CC#');

    it('answers a generate and a verify after conflicts on every shared item, within the retry budget', async () => {
      const h = await engineHarness();
      const tenant = testTenant();
      // Three conflicts in a row on each transaction that touches the tenant's day or a breaker.
      const stats = injectConflicts(h.ddb, shared, 3);
      const req = smsIssue(tenant, '+919812345670');

      const started = Date.now();
      await expect(issue(h.deps, req)).resolves.toMatchObject({ resent: false });
      await expect(verify(h.deps, verifyOf(req, lastCode(h.sent)))).resolves.toBeDefined();

      // Both transactions (the generate's charges, the verify's breaker credit) met 3 conflicts.
      expect(stats.conflicts).toBe(6);
      expect([...stats.attempts.values()]).toEqual([4, 4]);
      // Three full-jitter backoffs are at most 20 + 40 + 80 ms each: far inside the budget.
      expect(Date.now() - started).toBeLessThan(CONFLICT_RETRY.budgetMs);
      expect(h.sent).toHaveLength(1);
    });

    it('answers 503 with nothing charged when the conflicts outlast the retry budget', async () => {
      const h = await engineHarness();
      const tenant = testTenant();
      injectConflicts(h.ddb, shared, Number.POSITIVE_INFINITY);
      const req = smsIssue(tenant, '+919812345670');

      const error = await issue(h.deps, req).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ServiceUnavailableError);
      expect((error as ServiceUnavailableError).fault).toBe('store-conflict');
      expect(h.sent).toHaveLength(0);
      expect(await dayCounters(h.ddb, h.tableName, tenant, req.subject, h.clock.now())).toEqual({
        sends: 0,
        failures: 0,
        tenantSends: 0,
      });
    }, 30_000);
  });

  describe('engine › sharded limits under 200 concurrent generates', () => {
    const modes = [
      ['on DynamoDB Local', false],
      ['with TransactionConflict simulated', true],
    ] as const;

    it.each(modes)(
      "never admits more than the tenant's daily cap, split over its shards (%s)",
      async (_, conflicts) => {
        const h = await engineHarness();
        if (conflicts) simulateTransactionConflicts(h.ddb);
        // A cap of 60 messages: 6 shards of 10 (the breaker off, so only the cap refuses).
        const tenant = testTenant({ policy: { maxDailySendsPerTenant: 60, minConversionRatio: 0 } });
        expect(tenantDayShards(tenant.policy)).toBe(6);
        const reqs = indianMobiles(200).map((p) => smsIssue(tenant, p));

        const { admitted, unavailable, reasons } = await burst(h, reqs);

        expect(admitted).toBeLessThanOrEqual(60);
        expect(h.sent).toHaveLength(admitted);
        expect(reasons).toEqual(admitted + unavailable < 200 ? ['tenant-daily'] : []);
        const subject = reqs[0]?.subject ?? '';
        expect((await dayCounters(h.ddb, h.tableName, tenant, subject, h.clock.now())).tenantSends).toBe(
          admitted,
        );
        // Refusing early is the price of the split, but only by what parallel requests took between
        // a shard's read and its retry: most of the cap is used.
        if (unavailable === 0) expect(admitted).toBeGreaterThanOrEqual(50);
      },
      120_000,
    );

    it.each(modes)(
      'never admits more unverified sends than conversionMinSends, split over the breaker shards (%s)',
      async (_, conflicts) => {
        const h = await engineHarness();
        if (conflicts) simulateTransactionConflicts(h.ddb);
        // A breaker that judges from 40 sends: 4 shards of 10; no verify ever comes.
        const tenant = testTenant({ policy: { conversionMinSends: 40, maxSendsPerPrefixPerHour: 1_000 } });
        expect(breakerShards(tenant.policy)).toBe(4);
        const reqs = indianMobiles(200).map((p) => smsIssue(tenant, p));

        const { admitted, unavailable, reasons } = await burst(h, reqs);

        expect(admitted).toBeLessThanOrEqual(40);
        expect(h.sent).toHaveLength(admitted);
        expect(reasons).toEqual(admitted + unavailable < 200 ? ['conversion-breaker'] : []);
        expect((await breakerTotals(h.ddb, h.tableName, tenant, 'IN', h.clock.now())).sends).toBe(admitted);
        if (unavailable === 0) expect(admitted).toBeGreaterThanOrEqual(30);
      },
      120_000,
    );
  });
});
