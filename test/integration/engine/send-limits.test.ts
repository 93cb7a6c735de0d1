import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { describe, expect, it } from '@jest/globals';
import { issue, verify } from '../../../shared/engine';
import { RateLimitedError } from '../../../shared/errors';
import {
  dayCounters,
  engineHarness,
  keysFor,
  lastCode,
  readItem,
  rejection,
  smsIssue,
  testTenant,
  verifyOf,
} from '../../support/harness';

const PHONE = '+919955882233';
const OTHER = '+919876543219';
const DAY = 86_400_000;

/** Seconds from `now` to the next 00:00 UTC, when the daily counters roll over. */
const secondsToMidnight = (now: number) => {
  const d = new Date(now);
  return Math.ceil((Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1) - now) / 1000);
};

/** Settled results as `fresh`, `resent` or the error's reason/name. */
const outcomes = (results: PromiseSettledResult<{ resent: boolean }>[]) => {
  const counts: Record<string, number> = {};
  for (const r of results) {
    const key =
      r.status === 'fulfilled'
        ? r.value.resent
          ? 'resent'
          : 'fresh'
        : r.reason instanceof RateLimitedError
          ? r.reason.reason
          : (r.reason as Error).name;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
};

describe('engine', () => {
  describe('issue › daily send limits', () => {
    it('refuses sends past maxDailySendsPerDestination with destination-daily, charging nothing', async () => {
      const h = await engineHarness();
      const tenant = testTenant({ policy: { maxDailySendsPerDestination: 3 } });
      for (const purpose of ['a', 'b', 'c']) await issue(h.deps, smsIssue(tenant, PHONE, purpose));
      const before = await dayCounters(h.ddb, h.tableName, tenant, PHONE, h.clock.now());
      expect(before).toEqual({ sends: 3, failures: 0, tenantSends: 3 });

      const refused = await rejection(issue(h.deps, smsIssue(tenant, PHONE, 'd')), RateLimitedError);
      expect(refused).toMatchObject({
        reason: 'destination-daily',
        retryAfterSeconds: secondsToMidnight(h.clock.now()),
      });
      expect(await dayCounters(h.ddb, h.tableName, tenant, PHONE, h.clock.now())).toEqual(before);
      const keys = keysFor(tenant, 'd', PHONE, h.clock.now());
      expect(await readItem(h.ddb, h.tableName, keys.challenge)).toBeUndefined();
      expect(h.sent).toHaveLength(3);
      // Another destination of the tenant still gets codes.
      await expect(issue(h.deps, smsIssue(tenant, OTHER, 'd'))).resolves.toMatchObject({ resent: false });
    });

    it('refuses a resend past the destination limit without counting the send on the code', async () => {
      const h = await engineHarness();
      const tenant = testTenant({ policy: { maxDailySendsPerDestination: 2 } });
      const a = smsIssue(tenant, PHONE, 'a');
      await issue(h.deps, a);
      await issue(h.deps, smsIssue(tenant, PHONE, 'b'));
      h.clock.advance(30_000);
      const refused = await rejection(issue(h.deps, a), RateLimitedError);
      expect(refused.reason).toBe('destination-daily');
      const item = await readItem(h.ddb, h.tableName, keysFor(tenant, 'a', PHONE, h.clock.now()).challenge);
      expect(item).toMatchObject({ sendCount: 1, lastSentAt: h.clock.now() - 30_000 });
      expect((await dayCounters(h.ddb, h.tableName, tenant, PHONE, h.clock.now())).sends).toBe(2);
      // The code itself is still good.
      await expect(verify(h.deps, verifyOf(a, h.sent[0]?.code ?? ''))).resolves.toBeDefined();
    });

    it('opens the destination again on the next UTC day', async () => {
      const h = await engineHarness();
      const tenant = testTenant({ policy: { maxDailySendsPerDestination: 1 } });
      await issue(h.deps, smsIssue(tenant, PHONE, 'a'));
      await rejection(issue(h.deps, smsIssue(tenant, PHONE, 'b')), RateLimitedError);
      h.clock.advance(DAY);
      await expect(issue(h.deps, smsIssue(tenant, PHONE, 'b'))).resolves.toMatchObject({ resent: false });
      expect((await dayCounters(h.ddb, h.tableName, tenant, PHONE, h.clock.now())).sends).toBe(1);
    });

    it('holds the default 500 sends a day exactly under parallel issues', async () => {
      const h = await engineHarness();
      const tenant = testTenant();
      expect(tenant.policy.maxDailySendsPerDestination).toBe(500);
      // Start the day at 497 sends (500 real issues take seconds and prove nothing more).
      const keys = keysFor(tenant, 'any', PHONE, h.clock.now());
      await h.ddb.send(
        new PutItemCommand({
          TableName: h.tableName,
          Item: marshall({ ...keys.destinationDay, sends: 497 }),
        }),
      );
      const results = await Promise.allSettled(
        Array.from({ length: 6 }, (_, i) => issue(h.deps, smsIssue(tenant, PHONE, `p${i}`))),
      );
      expect(outcomes(results)).toEqual({ fresh: 3, 'destination-daily': 3 });
      expect(h.sent).toHaveLength(3);
      expect(await dayCounters(h.ddb, h.tableName, tenant, PHONE, h.clock.now())).toMatchObject({
        sends: 500,
        tenantSends: 3,
      });
    });

    it('refuses sends past maxDailySendsPerTenant with tenant-daily, charging nothing', async () => {
      const h = await engineHarness();
      const tenant = testTenant({ policy: { maxDailySendsPerTenant: 2 } });
      await issue(h.deps, smsIssue(tenant, PHONE));
      await issue(h.deps, smsIssue(tenant, OTHER));
      const third = '+14155552671';
      const refused = await rejection(issue(h.deps, smsIssue(tenant, third)), RateLimitedError);
      expect(refused).toMatchObject({
        reason: 'tenant-daily',
        retryAfterSeconds: secondsToMidnight(h.clock.now()),
      });
      expect(await dayCounters(h.ddb, h.tableName, tenant, third, h.clock.now())).toEqual({
        sends: 0,
        failures: 0,
        tenantSends: 2,
      });
      expect(
        await readItem(h.ddb, h.tableName, keysFor(tenant, 'test:login', third, h.clock.now()).challenge),
      ).toBeUndefined();
      // The cap is the tenant's: another tenant is not affected.
      await expect(issue(h.deps, smsIssue(testTenant(), third))).resolves.toMatchObject({ resent: false });
    });
  });

  describe('issue › parallel generates', () => {
    it('never leaves two live codes: 10 parallel issues give one fresh code, the rest refused', async () => {
      const h = await engineHarness();
      const tenant = testTenant();
      const req = smsIssue(tenant, PHONE);
      const results = await Promise.allSettled(Array.from({ length: 10 }, () => issue(h.deps, req)));
      expect(outcomes(results)).toEqual({ fresh: 1, 'resend-gap': 9 });
      expect(h.sent).toHaveLength(1);
      expect((await dayCounters(h.ddb, h.tableName, tenant, PHONE, h.clock.now())).sends).toBe(1);
      await expect(verify(h.deps, verifyOf(req, lastCode(h.sent)))).resolves.toBeDefined();
    });

    it('resends once among 10 parallel resends past the gap, all with the same code', async () => {
      const h = await engineHarness();
      const tenant = testTenant();
      const req = smsIssue(tenant, PHONE);
      const first = await issue(h.deps, req);
      h.clock.advance(30_000);
      const results = await Promise.allSettled(Array.from({ length: 10 }, () => issue(h.deps, req)));
      expect(outcomes(results)).toEqual({ resent: 1, 'resend-gap': 9 });
      const ok = results.find((r) => r.status === 'fulfilled');
      expect(ok?.status === 'fulfilled' && ok.value).toMatchObject({
        challengeId: first.challengeId,
        sendCount: 2,
      });
      expect(h.sent).toHaveLength(2);
      expect(new Set(h.sent.map((m) => m.code)).size).toBe(1);
      expect((await dayCounters(h.ddb, h.tableName, tenant, PHONE, h.clock.now())).sends).toBe(2);
    });

    it('sends the same code to every caller when parallel issues pass at different times', async () => {
      const h = await engineHarness();
      const tenant = testTenant({ policy: { resendGapSeconds: 0 } });
      const req = smsIssue(tenant, PHONE);
      const results = await Promise.allSettled(Array.from({ length: 10 }, () => issue(h.deps, req)));
      const counts = outcomes(results);
      // With no gap every request either wins the fresh write or resends it (up to 5 sends a code).
      expect(counts.fresh).toBe(1);
      expect((counts.resent ?? 0) + (counts['sends-per-code'] ?? 0) + (counts['resend-gap'] ?? 0)).toBe(9);
      expect(h.sent.length).toBeLessThanOrEqual(5);
      expect(new Set(h.sent.map((m) => m.code)).size).toBe(1);
      const ids = new Set(results.flatMap((r) => (r.status === 'fulfilled' ? [r.value.challengeId] : [])));
      expect(ids.size).toBe(1);
    });
  });
});
