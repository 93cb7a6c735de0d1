import { describe, expect, it } from '@jest/globals';
import { issue, verify } from '../../../shared/engine';
import {
  DestinationLockedError,
  InvalidCodeError,
  NoActiveCodeError,
  TooManyAttemptsError,
} from '../../../shared/errors';
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
  wrongCodeFor,
} from '../../support/harness';

const PHONE = '+919812345670';
const MINUTE = 60_000;

/** The error names of settled promises, counted. */
const tally = (results: PromiseSettledResult<unknown>[]) => {
  const counts: Record<string, number> = {};
  for (const r of results) {
    const name = r.status === 'fulfilled' ? 'ok' : (r.reason as Error).name;
    counts[name] = (counts[name] ?? 0) + 1;
  }
  return counts;
};

describe('engine', () => {
  describe('verify › wrong attempts', () => {
    it('counts remaining attempts down 4,3,2,1,0 then refuses even the right code', async () => {
      const h = await engineHarness();
      const tenant = testTenant();
      const req = smsIssue(tenant, PHONE);
      await issue(h.deps, req);
      const code = lastCode(h.sent);
      const remaining: number[] = [];
      for (let i = 0; i < 5; i++) {
        remaining.push(
          (await rejection(verify(h.deps, verifyOf(req, wrongCodeFor(code))), InvalidCodeError))
            .remainingAttempts,
        );
      }
      expect(remaining).toEqual([4, 3, 2, 1, 0]);
      await rejection(verify(h.deps, verifyOf(req, code)), TooManyAttemptsError);
      await rejection(verify(h.deps, verifyOf(req, wrongCodeFor(code))), TooManyAttemptsError);
      const item = await readItem(
        h.ddb,
        h.tableName,
        keysFor(tenant, req.purpose, PHONE, h.clock.now()).challenge,
      );
      expect(item).toMatchObject({ attempts: 5 });
      expect(item?.consumedAt).toBeUndefined();
      // Guesses against a dead code are not counted again.
      expect((await dayCounters(h.ddb, h.tableName, tenant, PHONE, h.clock.now())).failures).toBe(5);
    });

    it('refuses a regenerate while the code is locked, keeping the count, until it expires', async () => {
      const h = await engineHarness();
      const tenant = testTenant();
      const req = smsIssue(tenant, PHONE);
      const first = await issue(h.deps, req);
      const code = lastCode(h.sent);
      for (let i = 0; i < 5; i++)
        await rejection(verify(h.deps, verifyOf(req, wrongCodeFor(code))), InvalidCodeError);
      h.clock.advance(60_000);
      await rejection(issue(h.deps, req), TooManyAttemptsError);
      const keys = keysFor(tenant, req.purpose, PHONE, h.clock.now());
      expect(await readItem(h.ddb, h.tableName, keys.challenge)).toMatchObject({
        id: first.challengeId,
        attempts: 5,
        sendCount: 1,
      });
      expect(h.sent).toHaveLength(1);
      await rejection(verify(h.deps, verifyOf(req, code)), TooManyAttemptsError);
      h.clock.set(first.expiresAt);
      const fresh = await issue(h.deps, req);
      expect(fresh.resent).toBe(false);
      expect(fresh.challengeId).not.toBe(first.challengeId);
      await expect(verify(h.deps, verifyOf(req, lastCode(h.sent)))).resolves.toBeDefined();
    });
  });

  describe('verify › daily failures per destination', () => {
    it('locks verify (even the right code) and issue after 20 failures a UTC day, until the next day', async () => {
      const h = await engineHarness();
      const tenant = testTenant();
      const start = h.clock.now();
      // 23:55 UTC, so the code issued now is still live after midnight.
      h.clock.set(
        Date.UTC(
          new Date(start).getUTCFullYear(),
          new Date(start).getUTCMonth(),
          new Date(start).getUTCDate(),
          23,
          55,
        ),
      );
      const live = smsIssue(tenant, PHONE, 'live');
      await issue(h.deps, live);
      const liveCode = lastCode(h.sent);
      // Four codes, five wrong guesses each: 20 failures across codes.
      for (const purpose of ['p1', 'p2', 'p3', 'p4']) {
        const req = smsIssue(tenant, PHONE, purpose);
        await issue(h.deps, req);
        const wrong = verifyOf(req, wrongCodeFor(lastCode(h.sent)));
        for (let i = 0; i < 5; i++) await rejection(verify(h.deps, wrong), InvalidCodeError);
      }
      expect((await dayCounters(h.ddb, h.tableName, tenant, PHONE, h.clock.now())).failures).toBe(20);

      await rejection(verify(h.deps, verifyOf(live, liveCode)), DestinationLockedError);
      await rejection(verify(h.deps, verifyOf(live, wrongCodeFor(liveCode))), DestinationLockedError);
      await rejection(issue(h.deps, smsIssue(tenant, PHONE, 'p5')), DestinationLockedError);
      h.clock.advance(30_000);
      await rejection(issue(h.deps, live), DestinationLockedError);
      const locked = await dayCounters(h.ddb, h.tableName, tenant, PHONE, h.clock.now());
      expect(locked).toMatchObject({ failures: 20, sends: 5 });
      // The live code was neither consumed nor charged an attempt by the refusals.
      const liveItem = await readItem(
        h.ddb,
        h.tableName,
        keysFor(tenant, 'live', PHONE, h.clock.now()).challenge,
      );
      expect(liveItem).toMatchObject({ attempts: 0, sendCount: 1 });
      // Another destination of the same tenant is not affected.
      await expect(issue(h.deps, smsIssue(tenant, '+919955882233', 'p5'))).resolves.toMatchObject({
        resent: false,
      });

      h.clock.advance(6 * MINUTE); // 00:01:30 the next UTC day; the live code has 3.5 minutes left
      await expect(verify(h.deps, verifyOf(live, liveCode))).resolves.toEqual({ verifiedAt: h.clock.now() });
      await expect(issue(h.deps, smsIssue(tenant, PHONE, 'p5'))).resolves.toMatchObject({ resent: false });
    });
  });

  describe('verify › bindings', () => {
    it('counts a wrong binding as a wrong attempt and accepts the right one', async () => {
      const h = await engineHarness();
      const tenant = testTenant();
      const req = smsIssue(tenant, PHONE, 'app:register', { binding: { authCode: '123456789' } });
      await issue(h.deps, req);
      const code = lastCode(h.sent);
      const wrongBinding = await rejection(
        verify(h.deps, verifyOf(req, code, { authCode: '987654321' })),
        InvalidCodeError,
      );
      expect(wrongBinding.remainingAttempts).toBe(4);
      const unknownKey = await rejection(verify(h.deps, verifyOf(req, code, { txn: 'x' })), InvalidCodeError);
      expect(unknownKey.remainingAttempts).toBe(3);
      // A verify that leaves the binding out is not let through (size(binding) must match).
      const omitted = await rejection(verify(h.deps, verifyOf(req, code, {})), InvalidCodeError);
      expect(omitted.remainingAttempts).toBe(2);
      const counters = await dayCounters(h.ddb, h.tableName, tenant, PHONE, h.clock.now());
      expect(counters.failures).toBe(3);
      await expect(verify(h.deps, verifyOf(req, code, { authCode: '123456789' }))).resolves.toBeDefined();
    });
  });

  describe('verify › single use', () => {
    it('refuses a second verify of a used code with NoActiveCodeError', async () => {
      const h = await engineHarness();
      const req = smsIssue(testTenant(), PHONE);
      await issue(h.deps, req);
      const code = lastCode(h.sent);
      await verify(h.deps, verifyOf(req, code));
      await rejection(verify(h.deps, verifyOf(req, code)), NoActiveCodeError);
      await rejection(verify(h.deps, verifyOf(req, wrongCodeFor(code))), NoActiveCodeError);
    });

    it('refuses a verify when no code was ever issued with NoActiveCodeError', async () => {
      const h = await engineHarness();
      await rejection(verify(h.deps, verifyOf(smsIssue(testTenant(), PHONE), '123456')), NoActiveCodeError);
    });

    // Parallel right codes (exactly one success) are proven with 50 verifies in
    // test/security/races.test.ts.

    it('counts exactly 5 of 20 parallel wrong verifies and refuses the rest', async () => {
      const h = await engineHarness();
      const tenant = testTenant();
      const req = smsIssue(tenant, PHONE);
      await issue(h.deps, req);
      const wrong = verifyOf(req, wrongCodeFor(lastCode(h.sent)));
      const results = await Promise.allSettled(Array.from({ length: 20 }, () => verify(h.deps, wrong)));
      expect(tally(results)).toEqual({ InvalidCodeError: 5, TooManyAttemptsError: 15 });
      // Each counted guess reports its own place in the count, as sequential guesses would.
      const remaining = results.flatMap((r) =>
        r.status === 'rejected' && r.reason instanceof InvalidCodeError ? [r.reason.remainingAttempts] : [],
      );
      expect(remaining.sort()).toEqual([0, 1, 2, 3, 4]);
      const item = await readItem(
        h.ddb,
        h.tableName,
        keysFor(tenant, req.purpose, PHONE, h.clock.now()).challenge,
      );
      expect(item?.attempts).toBe(5);
      expect((await dayCounters(h.ddb, h.tableName, tenant, PHONE, h.clock.now())).failures).toBe(5);
      await rejection(verify(h.deps, verifyOf(req, lastCode(h.sent))), TooManyAttemptsError);
    });
  });
});
