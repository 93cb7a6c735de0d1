import { describe, expect, it, jest } from '@jest/globals';
import { emit, envelope, refusalEvents, verifyEvents } from '../../shared/engine/lifecycle';
import type { EngineDeps, IssueRequest, VerifyRequest } from '../../shared/engine/types';
import {
  CountryNotAllowedError,
  DestinationLockedError,
  InvalidInputError,
  RateLimitedError,
  TooManyAttemptsError,
} from '../../shared/errors';
import type { OtpEventDetail } from '../../shared/events/schema';
import type { ChallengeItem } from '../../shared/store/challenges';
import { phoneDelivery, smsIssue, testTenant } from '../support/harness';

/**
 * The lifecycle events the engine builds (shared/engine/lifecycle.ts), on their own: the envelope,
 * `otp.refused` for each kind of refusal, and the events of each verify outcome. The engine's and
 * the events' integration tests publish them through the real paths.
 */

const NOW = Date.parse('2026-12-05T12:00:00Z');
const PHONE = '+919812345670';
const tenant = testTenant({ tenantId: 'acme' });

const depsWith = (publish = jest.fn(async (_events: OtpEventDetail[]) => undefined)) =>
  ({ now: () => NOW, events: { publish } }) as unknown as EngineDeps & {
    events: { publish: typeof publish };
  };

const item = { id: 'c-1', attempts: 3, expiresAt: NOW - 1 } as ChallengeItem;
const verifyReq = (extra: Partial<VerifyRequest> = {}): VerifyRequest => ({
  tenant,
  purpose: 'v2:REGISTRATION:extra',
  subject: PHONE,
  code: '123456',
  ...extra,
});

describe('engine › lifecycle events', () => {
  it('puts the scope in every envelope: the caller and a test flag only when there is one', () => {
    const bare = envelope('otp.approved', NOW, { tenantId: 'acme', purpose: 'tw:VAxx:more' });
    expect(bare).toMatchObject({
      type: 'otp.approved',
      occurredAt: '2026-12-05T12:00:00.000Z',
      tenantId: 'acme',
      dialect: 'twilio-verify',
      purpose: 'tw:VAxx',
    });
    expect(bare).not.toHaveProperty('caller');
    expect(bare).not.toHaveProperty('test');
    expect(
      envelope('otp.approved', NOW, { tenantId: 'a', purpose: 'zz:x', caller: 'anonymous', test: true }),
    ).toMatchObject({ caller: 'anonymous', test: true, dialect: 'unknown' });
  });

  it('tells otp.refused for each refusal of a generate, naming one recipient masked and a fan-out none', () => {
    const req = smsIssue(tenant, PHONE);
    const refused = (error: unknown, r: IssueRequest = req) => refusalEvents(depsWith(), r, error, false)[0];
    expect(refused(new RateLimitedError('prefix-velocity', 60))).toMatchObject({
      reason: 'pumping',
      detail: 'prefix-velocity',
      retryAfterSeconds: 60,
      caller: 'authenticated',
      recipient: expect.stringMatching(/^\+91\*+\d{0,3}$/),
    });
    expect(refused(new RateLimitedError('tenant-daily', 5))).toMatchObject({
      reason: 'limits',
      detail: 'tenant-daily',
    });
    expect(refused(new CountryNotAllowedError('no'))).toMatchObject({
      reason: 'number-policy',
      detail: 'country-not-allowed',
    });
    expect(refused(new InvalidInputError('phone', 'type'))).toMatchObject({
      reason: 'number-policy',
      detail: 'number-type',
    });
    expect(refused(new DestinationLockedError('locked'))).toMatchObject({
      reason: 'locked',
      detail: 'destination-locked',
    });
    expect(refused(new TooManyAttemptsError('locked'))).toMatchObject({
      reason: 'locked',
      detail: 'code-locked',
    });
    // Not refusals: a bad template, a bug.
    expect(refusalEvents(depsWith(), req, new InvalidInputError('template', 'bad'), false)).toEqual([]);
    expect(refusalEvents(depsWith(), req, new TypeError('bug'), false)).toEqual([]);
    const fanOut = {
      ...req,
      deliveries: [phoneDelivery('SMS', PHONE), phoneDelivery('SMS', '+919812345671')],
    };
    expect(refused(new RateLimitedError('tenant-daily', 5), fanOut)).not.toHaveProperty('recipient');
    const anonymousTest = refusalEvents(
      depsWith(),
      { ...req, caller: 'anonymous' },
      new DestinationLockedError('x'),
      true,
    );
    expect(anonymousTest[0]).toMatchObject({ caller: 'anonymous', test: true });
  });

  it('tells each verify outcome', () => {
    const deps = depsWith();
    const max = tenant.policy.maxAttemptsPerCode;
    expect(verifyEvents(deps, verifyReq(), item, 'verified')).toEqual([
      expect.objectContaining({
        type: 'otp.approved',
        verificationId: 'c-1',
        attempts: 3,
        caller: 'authenticated',
      }),
    ]);
    expect(
      verifyEvents(deps, verifyReq(), { ...item, attempts: max - 1 }, 'wrong').map((e) => e.type),
    ).toEqual(['otp.attempt_failed']);
    expect(verifyEvents(deps, verifyReq(), { ...item, attempts: max }, 'wrong')).toEqual([
      expect.objectContaining({ type: 'otp.attempt_failed', attemptsLeft: 0 }),
      expect.objectContaining({ type: 'otp.max_attempts_reached' }),
    ]);
    expect(verifyEvents(deps, verifyReq({ caller: 'anonymous' }), item, 'locked')).toEqual([
      expect.objectContaining({
        type: 'otp.refused',
        verificationId: 'c-1',
        recipient: expect.stringMatching(/^\+91\*+/),
        reason: 'locked',
        detail: 'destination-locked',
        caller: 'anonymous',
      }),
    ]);
    expect(verifyEvents(deps, verifyReq(), item, 'expired')).toEqual([
      expect.objectContaining({ type: 'otp.expired', expiresAt: new Date(NOW - 1).toISOString() }),
    ]);
    expect(verifyEvents(deps, verifyReq(), item, 'consumed-by-another')).toEqual([]);
  });

  it('publishes only when there is something to tell and somewhere to tell it', async () => {
    const deps = depsWith();
    await emit(deps, []);
    expect(deps.events.publish).not.toHaveBeenCalled();
    const events = verifyEvents(deps, verifyReq(), item, 'verified');
    await emit(deps, events);
    expect(deps.events.publish).toHaveBeenCalledWith(events);
    await expect(emit({ now: () => NOW } as EngineDeps, events)).resolves.toBeUndefined();
  });
});
