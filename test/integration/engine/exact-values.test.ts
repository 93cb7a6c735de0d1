import { describe, expect, it } from '@jest/globals';
import { issue, verify } from '../../../shared/engine';
import { DestinationLockedError, InvalidCodeError, RateLimitedError } from '../../../shared/errors';
import {
  breakerTotals,
  engineHarness,
  lastCode,
  logsOf,
  phoneDelivery,
  readChallenge,
  rejection,
  smsIssue,
  testTenant,
  verifyOf,
  wrongCodeFor,
} from '../../support/harness';

/**
 * Values the engine must get exactly, each of which a mutant once changed without any test
 * noticing (docs/MUTATION.md): the challenge's ttl, every key of a binding, the length of the
 * velocity prefix, the country a breaker charges, and the fields of the log lines operators
 * alarm on.
 */

const PHONE = '+919812345670';
const US_PHONE = '+12015550123';

describe('engine › exact values', () => {
  it('sets the challenge ttl after expiresAt, so AWS TTL never deletes a live code and its attempts', async () => {
    const h = await engineHarness();
    const tenant = testTenant({ policy: { ttlSeconds: 300 } });
    const req = smsIssue(tenant, PHONE);
    const issued = await issue(h.deps, req);
    const item = await readChallenge(h, tenant, req.purpose, PHONE);
    expect(item?.expiresAt).toBe(h.clock.now() + 300_000);
    expect(issued.expiresAt).toBe(h.clock.now() + 300_000);
    // TTL is in epoch seconds; it must not fall before the code's last live millisecond, and
    // lags it by a minute at most so the table does not keep dead codes long.
    expect(Number(item?.ttl) * 1000).toBeGreaterThanOrEqual(Number(item?.expiresAt));
    expect(Number(item?.ttl) * 1000 - Number(item?.expiresAt)).toBeLessThanOrEqual(61_000);
  });

  it('compares every key of a two-key binding: a wrong second key is a wrong attempt', async () => {
    const h = await engineHarness();
    const tenant = testTenant();
    const binding = { authCode: '123456', device: 'device-a' };
    const req = smsIssue(tenant, PHONE, 'test:login', { binding });
    await issue(h.deps, req);
    const code = lastCode(h.sent);
    const wrongSecond = await rejection(
      verify(h.deps, verifyOf(req, code, { authCode: '123456', device: 'device-b' })),
      InvalidCodeError,
    );
    expect(wrongSecond.remainingAttempts).toBe(4);
    await rejection(
      verify(h.deps, verifyOf(req, code, { device: 'device-a', authCode: '654321' })),
      InvalidCodeError,
    );
    await rejection(verify(h.deps, verifyOf(req, code, { authCode: '123456' })), InvalidCodeError);
    await rejection(verify(h.deps, verifyOf(req, code, { ...binding, extra: 'x' })), InvalidCodeError);
    await expect(
      verify(h.deps, verifyOf(req, code, { device: 'device-a', authCode: '123456' })),
    ).resolves.toEqual({
      verifiedAt: h.clock.now(),
    });
  });

  it('buckets the velocity limit by exactly velocityPrefixDigits national digits', async () => {
    const h = await engineHarness();
    const tenant = testTenant({ policy: { velocityPrefixDigits: 4, maxSendsPerPrefixPerHour: 2 } });
    // Same first four national digits (9812), different fifth: one bucket.
    const numbers = ['+919812345670', '+919812445670', '+919812545670'];
    await issue(h.deps, smsIssue(tenant, numbers[0] ?? ''));
    await issue(h.deps, smsIssue(tenant, numbers[1] ?? ''));
    const refused = await rejection(issue(h.deps, smsIssue(tenant, numbers[2] ?? '')), RateLimitedError);
    expect(refused.reason).toBe('prefix-velocity');
    // A different fourth digit is another bucket.
    await expect(issue(h.deps, smsIssue(tenant, '+919813545670'))).resolves.toBeDefined();
  });

  it("charges the breaker of the country each SMS goes to, not the subject's", async () => {
    const h = await engineHarness();
    const tenant = testTenant();
    const now = h.clock.now();
    // An Indian subject whose code goes to a US number.
    await issue(
      h.deps,
      smsIssue(tenant, PHONE, 'test:login', { deliveries: [phoneDelivery('SMS', US_PHONE)] }),
    );
    expect((await breakerTotals(h.ddb, h.tableName, tenant, 'US', now)).sends).toBe(1);
    expect((await breakerTotals(h.ddb, h.tableName, tenant, 'IN', now)).sends).toBe(0);
    // One request to both countries charges each once.
    await issue(
      h.deps,
      smsIssue(tenant, 'someone', 'test:both', {
        deliveries: [phoneDelivery('SMS', '+919812345671'), phoneDelivery('SMS', '+12015550124')],
      }),
    );
    expect((await breakerTotals(h.ddb, h.tableName, tenant, 'US', now)).sends).toBe(2);
    expect((await breakerTotals(h.ddb, h.tableName, tenant, 'IN', now)).sends).toBe(1);
  });

  it('logs each issue and verify outcome with its fields, the subject masked', async () => {
    const h = await engineHarness();
    const tenant = testTenant({ policy: { maxDailyFailuresPerDestination: 2 } });
    const req = smsIssue(tenant, PHONE);
    const issued = await issue(h.deps, req);
    const code = lastCode(h.sent);
    expect(logsOf(h.logLines, 'otp issued')).toEqual([
      expect.objectContaining({
        tenant: tenant.tenantId,
        purpose: req.purpose,
        subject: '+91*******670',
        challengeId: issued.challengeId,
        caller: 'authenticated',
        resent: false,
        sendCount: 1,
        delivered: 1,
        failed: 0,
      }),
    ]);
    await rejection(verify(h.deps, verifyOf(req, wrongCodeFor(code))), InvalidCodeError);
    await rejection(
      verify(h.deps, { ...verifyOf(req, wrongCodeFor(code)), caller: 'anonymous' }),
      InvalidCodeError,
    );
    await rejection(verify(h.deps, verifyOf(req, code)), DestinationLockedError);
    const base = {
      tenant: tenant.tenantId,
      purpose: req.purpose,
      subject: '+91*******670',
      challengeId: issued.challengeId,
    };
    expect(logsOf(h.logLines, 'otp rejected')).toEqual([
      expect.objectContaining({ ...base, caller: 'authenticated', attempt: 1, outcome: 'wrong' }),
      expect.objectContaining({ ...base, caller: 'anonymous', attempt: 2, outcome: 'wrong' }),
      expect.objectContaining({ ...base, caller: 'authenticated', attempt: 3, outcome: 'locked' }),
    ]);
    expect(h.logLines.join('\n')).not.toContain(PHONE);
    expect(h.logLines.join('\n')).not.toContain(code);
  });

  it('logs a right guess as verified', async () => {
    const h = await engineHarness();
    const tenant = testTenant();
    const req = smsIssue(tenant, PHONE);
    const issued = await issue(h.deps, req);
    await verify(h.deps, verifyOf(req, lastCode(h.sent)));
    expect(logsOf(h.logLines, 'otp verified')).toEqual([
      expect.objectContaining({
        challengeId: issued.challengeId,
        attempt: 1,
        outcome: 'verified',
        subject: '+91*******670',
      }),
    ]);
  });
});
