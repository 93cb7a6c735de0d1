import { describe, expect, it } from '@jest/globals';
import { issue, verify } from '../../../shared/engine';
import {
  CodeExpiredError,
  InvalidCodeError,
  RateLimitedError,
  TooManyAttemptsError,
} from '../../../shared/errors';
import {
  dayCounters,
  engineHarness,
  lastCode,
  readChallenge,
  rejection,
  smsIssue,
  testTenant,
  verifyOf,
  wrongCodeFor,
} from '../../support/harness';

const PHONE = '+919876543219';
const MINUTE = 60_000;

describe('engine', () => {
  describe('expiry', () => {
    it('gives a code 10 minutes by default', async () => {
      const h = await engineHarness();
      const issued = await issue(h.deps, smsIssue(testTenant(), PHONE));
      expect(issued.expiresAt - h.clock.now()).toBe(10 * MINUTE);
    });

    it('accepts the code up to the last millisecond before expiresAt', async () => {
      const h = await engineHarness();
      const req = smsIssue(testTenant(), PHONE);
      await issue(h.deps, req);
      h.clock.advance(10 * MINUTE - 1);
      await expect(verify(h.deps, verifyOf(req, lastCode(h.sent)))).resolves.toEqual({
        verifiedAt: h.clock.now(),
      });
    });

    it('refuses the right code at expiresAt with CodeExpiredError while the item still exists', async () => {
      const h = await engineHarness();
      const tenant = testTenant();
      const req = smsIssue(tenant, PHONE);
      const issued = await issue(h.deps, req);
      h.clock.set(issued.expiresAt);
      await rejection(verify(h.deps, verifyOf(req, lastCode(h.sent))), CodeExpiredError);
      // TTL is not relied on: the row is still there, unconsumed, and the clock alone refused it.
      const item = await readChallenge(h, tenant, req.purpose, PHONE);
      expect(item).toMatchObject({ id: issued.challengeId, attempts: 0 });
      expect(item?.consumedAt).toBeUndefined();
    });

    it('refuses a wrong code after expiry with CodeExpiredError and does not count it', async () => {
      const h = await engineHarness();
      const tenant = testTenant();
      const req = smsIssue(tenant, PHONE);
      await issue(h.deps, req);
      h.clock.advance(11 * MINUTE);
      await rejection(verify(h.deps, verifyOf(req, wrongCodeFor(lastCode(h.sent)))), CodeExpiredError);
      expect((await dayCounters(h.ddb, h.tableName, tenant, PHONE, h.clock.now())).failures).toBe(0);
    });

    it('issues a new code with a new challenge id after expiry', async () => {
      const h = await engineHarness();
      const req = smsIssue(testTenant(), PHONE);
      const first = await issue(h.deps, req);
      h.clock.advance(10 * MINUTE);
      const second = await issue(h.deps, req);
      expect(second).toMatchObject({ resent: false, sendCount: 1 });
      expect(second.challengeId).not.toBe(first.challengeId);
      expect(second.expiresAt).toBe(h.clock.now() + 10 * MINUTE);
      expect(h.sent).toHaveLength(2);
      await expect(verify(h.deps, verifyOf(req, lastCode(h.sent)))).resolves.toBeDefined();
    });
  });

  describe('resend', () => {
    it('re-sends the same code, challenge id, expiry and first binding within expiry', async () => {
      const h = await engineHarness();
      const req = smsIssue(testTenant(), PHONE, 'app:register', { binding: { authCode: 'first' } });
      const first = await issue(h.deps, req);
      h.clock.advance(30_000);
      const again = await issue(h.deps, { ...req, binding: { authCode: 'second' } });
      expect(first.resent).toBe(false);
      expect(again).toMatchObject({
        challengeId: first.challengeId,
        expiresAt: first.expiresAt,
        resent: true,
        sendCount: 2,
        binding: { authCode: 'first' },
      });
      expect(h.sent).toHaveLength(2);
      expect(h.sent[1]?.code).toBe(h.sent[0]?.code);
      await expect(
        verify(h.deps, verifyOf(req, lastCode(h.sent), { authCode: 'first' })),
      ).resolves.toBeDefined();
    });

    it('keeps the wrong-attempt count across a resend', async () => {
      const h = await engineHarness();
      const tenant = testTenant();
      const req = smsIssue(tenant, PHONE);
      await issue(h.deps, req);
      const code = lastCode(h.sent);
      const wrong = verifyOf(req, wrongCodeFor(code));
      expect((await rejection(verify(h.deps, wrong), InvalidCodeError)).remainingAttempts).toBe(4);
      expect((await rejection(verify(h.deps, wrong), InvalidCodeError)).remainingAttempts).toBe(3);
      h.clock.advance(30_000);
      const again = await issue(h.deps, req);
      expect(again.resent).toBe(true);
      expect(lastCode(h.sent)).toBe(code);
      const item = await readChallenge(h, tenant, req.purpose, PHONE);
      expect(item?.attempts).toBe(2);
      for (const remaining of [2, 1, 0]) {
        expect((await rejection(verify(h.deps, wrong), InvalidCodeError)).remainingAttempts).toBe(remaining);
      }
      await rejection(verify(h.deps, verifyOf(req, code)), TooManyAttemptsError);
    });

    it('refuses a send within 30 s with resend-gap and the seconds left, charging nothing', async () => {
      const h = await engineHarness();
      const tenant = testTenant();
      const req = smsIssue(tenant, PHONE);
      await issue(h.deps, req);
      const before = await dayCounters(h.ddb, h.tableName, tenant, PHONE, h.clock.now());
      h.clock.advance(10_000);
      const early = await rejection(issue(h.deps, req), RateLimitedError);
      expect(early).toMatchObject({ reason: 'resend-gap', retryAfterSeconds: 20 });
      h.clock.advance(19_999);
      const last = await rejection(issue(h.deps, req), RateLimitedError);
      expect(last).toMatchObject({ reason: 'resend-gap', retryAfterSeconds: 1 });
      expect(await dayCounters(h.ddb, h.tableName, tenant, PHONE, h.clock.now())).toEqual(before);
      expect(before).toMatchObject({ sends: 1, tenantSends: 1 });
      const item = await readChallenge(h, tenant, req.purpose, PHONE);
      expect(item?.sendCount).toBe(1);
      expect(h.sent).toHaveLength(1);
      h.clock.advance(1);
      await expect(issue(h.deps, req)).resolves.toMatchObject({ resent: true, sendCount: 2 });
    });

    it('lets 10 parallel resends past the gap send once: the gap is held by the write, not the read', async () => {
      const h = await engineHarness();
      const tenant = testTenant({
        policy: { maxMessagesPerRecipientWindow: 20, maxDailySendsPerDestination: 50 },
      });
      const req = smsIssue(tenant, PHONE);
      await issue(h.deps, req);
      h.clock.advance(30_000);
      // Every request reads lastSentAt before any of them writes: only the condition can refuse.
      const answers = await Promise.allSettled(Array.from({ length: 10 }, () => issue(h.deps, req)));
      const sent = answers.filter((a) => a.status === 'fulfilled');
      expect(sent).toHaveLength(1);
      for (const a of answers)
        if (a.status === 'rejected') expect(a.reason).toMatchObject({ reason: 'resend-gap' });
      expect(h.sent).toHaveLength(2);
      expect(await dayCounters(h.ddb, h.tableName, tenant, PHONE, h.clock.now())).toMatchObject({ sends: 2 });
    });

    it('lets parallel resends past the gap never exceed sends-per-code', async () => {
      const h = await engineHarness();
      const tenant = testTenant({
        policy: { resendGapSeconds: 0, maxMessagesPerRecipientWindow: 20, maxDailySendsPerDestination: 50 },
      });
      const req = smsIssue(tenant, PHONE);
      await issue(h.deps, req);
      h.clock.advance(1_000);
      const answers = await Promise.allSettled(Array.from({ length: 10 }, () => issue(h.deps, req)));
      expect(answers.filter((a) => a.status === 'fulfilled')).toHaveLength(4);
      expect(h.sent).toHaveLength(5);
      expect(new Set(h.sent.map((m) => m.code)).size).toBe(1);
    });

    it('refuses the 6th send of one code with sends-per-code, charging nothing', async () => {
      const h = await engineHarness();
      const tenant = testTenant();
      const req = smsIssue(tenant, PHONE);
      const issued = await issue(h.deps, req);
      for (let send = 2; send <= 5; send++) {
        h.clock.advance(30_000);
        await expect(issue(h.deps, req)).resolves.toMatchObject({ sendCount: send, resent: true });
      }
      h.clock.advance(30_000);
      const refused = await rejection(issue(h.deps, req), RateLimitedError);
      expect(refused.reason).toBe('sends-per-code');
      // Retry when this code has expired (then a new code may go out).
      expect(refused.retryAfterSeconds).toBe((issued.expiresAt - h.clock.now()) / 1000);
      expect(new Set(h.sent.map((m) => m.code)).size).toBe(1);
      expect(h.sent).toHaveLength(5);
      expect(await dayCounters(h.ddb, h.tableName, tenant, PHONE, h.clock.now())).toMatchObject({
        sends: 5,
        tenantSends: 5,
      });
    });
  });
});
