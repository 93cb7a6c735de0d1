import { describe, expect, it } from '@jest/globals';
import { issue, readChallenge, settle, verify } from '../../../shared/engine';
import { CodeExpiredError, NoActiveCodeError, TooManyAttemptsError } from '../../../shared/errors';
import { tenantConfigSchema } from '../../../shared/tenant-config';
import {
  engineHarness,
  lastCode,
  logsOf,
  rejection,
  smsIssue,
  testTenant,
  verifyOf,
  wrongCodeFor,
} from '../../support/harness';

/**
 * A challenge as a status read shows it, and a settle (Twilio's cancel and approve) with its log
 * line (shared/engine/settle.ts), against DynamoDB Local: each field of the view, the status at
 * each edge, and which settles are refused.
 */

const PHONE = '+919812345670';
const SECOND = 1000;

const setUp = async () => {
  const h = await engineHarness();
  const tenant = testTenant({ policy: { maxAttemptsPerCode: 2 } });
  const req = smsIssue(tenant, PHONE);
  const ref = { tenant, purpose: req.purpose, subject: PHONE };
  return { h, tenant, req, ref };
};

describe('engine › challenge views and settles', () => {
  it('shows a fresh code, then its resend, field by field', async () => {
    const { h, req, ref } = await setUp();
    const sentAt = h.clock.now();
    await issue(h.deps, req);
    const fresh = await readChallenge(h.deps, ref);
    expect(fresh).toEqual({
      id: expect.any(String),
      status: 'pending',
      createdAt: sentAt,
      updatedAt: sentAt,
      expiresAt: expect.any(Number),
      lastSentAt: sentAt,
      sendCount: 1,
      attempts: 0,
      channels: ['SMS'],
    });
    expect(fresh).not.toHaveProperty('previousSentAt');
    expect(fresh).not.toHaveProperty('test');
    h.clock.advance(120 * SECOND);
    await issue(h.deps, req);
    expect(await readChallenge(h.deps, ref)).toMatchObject({
      updatedAt: sentAt + 120 * SECOND,
      lastSentAt: sentAt + 120 * SECOND,
      previousSentAt: sentAt,
      sendCount: 2,
    });
  });

  it('is max_attempts_reached once the guesses are used, even after expiry; expired at its expiry instant; approved when used', async () => {
    const { h, req, ref } = await setUp();
    await issue(h.deps, req);
    const { expiresAt } = (await readChallenge(h.deps, ref)) ?? { expiresAt: 0 };
    h.clock.set(expiresAt - 1);
    expect((await readChallenge(h.deps, ref))?.status).toBe('pending');
    h.clock.set(expiresAt);
    expect((await readChallenge(h.deps, ref))?.status).toBe('expired');

    const other = await setUp();
    await issue(other.h.deps, other.req);
    const otherCode = lastCode(other.h.sent);
    for (let i = 0; i < 2; i++)
      await verify(other.h.deps, verifyOf(other.req, wrongCodeFor(otherCode))).catch(() => undefined);
    expect((await readChallenge(other.h.deps, other.ref))?.status).toBe('max_attempts_reached');
    other.h.clock.advance(3600 * SECOND);
    expect((await readChallenge(other.h.deps, other.ref))?.status).toBe('max_attempts_reached');

    const third = await setUp();
    await issue(third.h.deps, third.req);
    third.h.clock.advance(5 * SECOND);
    await verify(third.h.deps, verifyOf(third.req, lastCode(third.h.sent)));
    expect(await readChallenge(third.h.deps, third.ref)).toMatchObject({
      status: 'approved',
      updatedAt: third.h.clock.now(),
    });
  });

  it('cancels a live code (logged with the subject masked) and refuses to settle a used, expired or locked one', async () => {
    const { h, req, ref } = await setUp();
    await issue(h.deps, req);
    h.clock.advance(SECOND);
    const canceled = await settle(h.deps, ref, 'canceled');
    expect(canceled).toMatchObject({ status: 'canceled', updatedAt: h.clock.now(), attempts: 0 });
    const [line] = logsOf(h.logLines, 'otp settled');
    expect(line).toMatchObject({
      outcome: 'canceled',
      challengeId: canceled.id,
      tenant: ref.tenant.tenantId,
    });
    expect(line?.subject).toEqual(expect.stringMatching(/^\+91\**\d{0,3}$/));
    expect(String(line?.subject)).not.toContain('12345670');
    expect(line).not.toHaveProperty('test');
    await rejection(settle(h.deps, ref, 'approved'), NoActiveCodeError);

    const locked = await setUp();
    await issue(locked.h.deps, locked.req);
    for (let i = 0; i < 2; i++)
      await verify(locked.h.deps, verifyOf(locked.req, wrongCodeFor(lastCode(locked.h.sent)))).catch(
        () => undefined,
      );
    await rejection(settle(locked.h.deps, locked.ref, 'canceled'), TooManyAttemptsError);

    const expired = await setUp();
    await issue(expired.h.deps, expired.req);
    expired.h.clock.advance(3600 * SECOND);
    await rejection(settle(expired.h.deps, expired.ref, 'approved'), CodeExpiredError);
  });

  it("approves a live code by the tenant's word", async () => {
    const { h, req, ref } = await setUp();
    await issue(h.deps, req);
    await expect(settle(h.deps, ref, 'approved')).resolves.toMatchObject({ status: 'approved' });
    expect(logsOf(h.logLines, 'otp settled')[0]).toMatchObject({ outcome: 'approved' });
  });

  it("shows a test destination's code as one, with the client's note opened, and logs its settle as a test", async () => {
    const h = await engineHarness();
    const US_TEST = '+12015550123';
    const tenant = tenantConfigSchema.parse({
      ...testTenant({ policy: { allowedRegions: ['US'] } }),
      testDestinations: [{ to: US_TEST, code: '123456' }],
    });
    const ref = { tenant, purpose: 'test:login', subject: US_TEST };
    await issue(h.deps, { ...smsIssue(tenant, US_TEST), note: "Ana's phone" });
    expect(await readChallenge(h.deps, ref)).toMatchObject({ test: true, note: "Ana's phone" });
    await settle(h.deps, ref, 'canceled');
    expect(logsOf(h.logLines, 'otp settled')[0]).toMatchObject({ test: true });
  });
});
