import { describe, expect, it } from '@jest/globals';
import { createHandler } from '../../../functions/capillary-v2';
import type { OutboundMessage } from '../../../shared/channels/types';
import { issue, verify } from '../../../shared/engine';
import { settle } from '../../../shared/engine/settle';
import type { EngineDeps } from '../../../shared/engine/types';
import {
  CodeExpiredError,
  CountryNotAllowedError,
  InvalidCodeError,
  RateLimitedError,
  TooManyAttemptsError,
} from '../../../shared/errors';
import { bounded } from '../../../shared/events/publisher';
import type { OtpEventDetail } from '../../../shared/events/schema';
import { apiEvent, appHarness, invoke } from '../../support/app-harness';
import { leaksIn, recordingEvents, schemaErrors } from '../../support/events';
import {
  captureLogger,
  engineHarness,
  lastCode,
  phoneDelivery,
  rejection,
  smsIssue,
  testTenant,
  verifyOf,
  wrongCodeFor,
} from '../../support/harness';

const PHONE = '+919812345670';
const EMAIL = 'tomsawyer@gmail.com';
const MINUTE = 60_000;

/** Every event and every message of this file (the lists themselves), for the scan at the end. */
const eventLists: OtpEventDetail[][] = [];
const messageLists: OutboundMessage[][] = [];

/** Engine deps with a recording events port; what it records also goes to the file-wide scan. */
const harness = async (options: Parameters<typeof engineHarness>[0] = {}) => {
  const h = await engineHarness(options);
  const rec = recordingEvents();
  const deps: EngineDeps = { ...h.deps, events: rec.publisher };
  eventLists.push(rec.events);
  messageLists.push(h.sent);
  return { ...h, deps, ...rec };
};

describe('lifecycle events', () => {
  describe('issue', () => {
    it('tells otp.issued once and otp.sent per channel, with the masked recipient and its country', async () => {
      const h = await harness();
      const req = smsIssue(testTenant(), PHONE, 'v2:REGISTRATION', {
        deliveries: [phoneDelivery('SMS', PHONE), { channel: 'EMAIL', to: EMAIL }],
      });
      const issued = await issue(h.deps, req);
      expect(h.types()).toEqual(['otp.issued', 'otp.sent', 'otp.sent']);
      expect(h.ofType('otp.issued')[0]).toMatchObject({
        verificationId: issued.challengeId,
        tenantId: req.tenant.tenantId,
        dialect: 'capillary-v2',
        purpose: 'v2:REGISTRATION',
        channels: ['SMS', 'EMAIL'],
        expiresAt: new Date(issued.expiresAt).toISOString(),
      });
      expect(h.ofType('otp.sent')).toEqual([
        expect.objectContaining({ channel: 'SMS', recipient: '+91*******670', country: 'IN', sendCount: 1 }),
        expect.objectContaining({
          channel: 'EMAIL',
          recipient: 'to***@gmail.com',
          resent: false,
          attempts: 0,
        }),
      ]);
      expect(h.ofType('otp.sent')[1]).not.toHaveProperty('country');
    });

    it('tells a resend as otp.sent with resent and its send count, and no second otp.issued', async () => {
      const h = await harness();
      const req = smsIssue(testTenant(), PHONE);
      await issue(h.deps, req);
      h.clock.advance(MINUTE);
      await issue(h.deps, req);
      expect(h.types()).toEqual(['otp.issued', 'otp.sent', 'otp.sent']);
      expect(h.ofType('otp.sent')[1]).toMatchObject({ resent: true, sendCount: 2 });
    });

    it('tells a channel the provider refused as otp.delivery_failed at the send stage', async () => {
      const h = await harness({ fail: ['VOICE'] });
      const req = smsIssue(testTenant(), PHONE, 'test:login', {
        deliveries: [phoneDelivery('SMS', PHONE), phoneDelivery('VOICE', PHONE)],
      });
      await issue(h.deps, req);
      expect(h.types()).toEqual(['otp.issued', 'otp.sent', 'otp.delivery_failed']);
      expect(h.ofType('otp.issued')[0]?.channels).toEqual(['SMS']);
      expect(h.ofType('otp.delivery_failed')[0]).toMatchObject({
        channel: 'VOICE',
        stage: 'send',
        reason: 'provider-error',
      });
    });

    it('tells no otp.issued for a code no channel took (it is rolled back)', async () => {
      const h = await harness({ fail: ['SMS'] });
      await expect(issue(h.deps, smsIssue(testTenant(), PHONE))).rejects.toThrow('No channel');
      expect(h.types()).toEqual(['otp.delivery_failed']);
    });
  });

  describe('refusals', () => {
    it('tells otp.refused with the rule for a resend inside the gap, a closed country and pumping', async () => {
      const h = await harness();
      const tenant = testTenant({ policy: { maxSendsPerPrefixPerHour: 1 } });
      const email = smsIssue(tenant, EMAIL, 'test:login', { deliveries: [{ channel: 'EMAIL', to: EMAIL }] });
      await issue(h.deps, email);
      await rejection(issue(h.deps, email), RateLimitedError);
      await rejection(issue(h.deps, smsIssue(tenant, '+447911123456')), CountryNotAllowedError);
      await issue(h.deps, smsIssue(tenant, PHONE));
      // Same prefix (+91 9812), another subscriber: the velocity limit of 1 per hour refuses it.
      await rejection(issue(h.deps, smsIssue(tenant, '+919812345671')), RateLimitedError);
      const refused = h.ofType('otp.refused');
      expect(refused.map((e) => [e.reason, e.detail])).toEqual([
        ['limits', 'resend-gap'],
        ['number-policy', 'country-not-allowed'],
        ['pumping', 'prefix-velocity'],
      ]);
      expect(refused[0]).toMatchObject({ recipient: 'to***@gmail.com', retryAfterSeconds: 30 });
      expect(refused[2]).toMatchObject({ recipient: '+91*******671' });
      expect(h.types().filter((t) => t === 'otp.issued')).toHaveLength(2);
    });
  });

  describe('settle (Twilio Verify update)', () => {
    it('tells otp.canceled once for a cancel and otp.approved for an approve, with the Twilio dialect', async () => {
      const h = await harness();
      const tenant = testTenant();
      const canceled = await issue(h.deps, smsIssue(tenant, PHONE, 'tw:VAcancel'));
      await settle(h.deps, { tenant, purpose: 'tw:VAcancel', subject: PHONE }, 'canceled');
      expect(h.ofType('otp.canceled')).toEqual([
        expect.objectContaining({
          verificationId: canceled.challengeId,
          dialect: 'twilio-verify',
          attempts: 0,
        }),
      ]);
      const approved = await issue(h.deps, smsIssue(tenant, '+919812345671', 'tw:VAapprove'));
      await settle(h.deps, { tenant, purpose: 'tw:VAapprove', subject: '+919812345671' }, 'approved');
      expect(h.ofType('otp.approved')).toEqual([
        expect.objectContaining({ verificationId: approved.challengeId, recipient: '+91*******671' }),
      ]);
      // A second cancel of the settled code is refused and tells nothing more.
      await expect(
        settle(h.deps, { tenant, purpose: 'tw:VAcancel', subject: PHONE }, 'canceled'),
      ).rejects.toThrow();
      expect(h.ofType('otp.canceled')).toHaveLength(1);
    });
  });

  describe('verify', () => {
    it('tells otp.approved once, with the attempts used', async () => {
      const h = await harness();
      const req = smsIssue(testTenant(), PHONE);
      const issued = await issue(h.deps, req);
      await rejection(verify(h.deps, verifyOf(req, wrongCodeFor(lastCode(h.sent)))), InvalidCodeError);
      await verify(h.deps, verifyOf(req, lastCode(h.sent)));
      expect(h.types().slice(2)).toEqual(['otp.attempt_failed', 'otp.approved']);
      expect(h.ofType('otp.approved')[0]).toMatchObject({ verificationId: issued.challengeId, attempts: 2 });
    });

    it('tells otp.attempt_failed per wrong guess and otp.max_attempts_reached once, of 20 parallel guesses', async () => {
      const h = await harness();
      const req = smsIssue(testTenant(), PHONE);
      await issue(h.deps, req);
      const wrong = wrongCodeFor(lastCode(h.sent));
      await Promise.allSettled(Array.from({ length: 20 }, () => verify(h.deps, verifyOf(req, wrong))));
      await rejection(verify(h.deps, verifyOf(req, wrong)), TooManyAttemptsError);
      const failed = h.ofType('otp.attempt_failed');
      expect(failed.map((e) => e.attemptsLeft).sort()).toEqual([0, 1, 2, 3, 4]);
      expect(h.ofType('otp.max_attempts_reached')).toHaveLength(1);
      expect(h.ofType('otp.max_attempts_reached')[0]?.attempts).toBe(5);
    });

    it('tells otp.expired once, however many verifies find the code expired', async () => {
      const h = await harness();
      const req = smsIssue(testTenant(), PHONE);
      const issued = await issue(h.deps, req);
      h.clock.advance(11 * MINUTE);
      const results = await Promise.allSettled(
        Array.from({ length: 5 }, () => verify(h.deps, verifyOf(req, lastCode(h.sent)))),
      );
      expect(results.every((r) => r.status === 'rejected' && r.reason instanceof CodeExpiredError)).toBe(
        true,
      );
      await rejection(verify(h.deps, verifyOf(req, lastCode(h.sent))), CodeExpiredError);
      expect(h.ofType('otp.expired')).toHaveLength(1);
      expect(h.ofType('otp.expired')[0]).toMatchObject({ verificationId: issued.challengeId, attempts: 0 });
    });
  });

  describe('the events port', () => {
    it('answers the request when the publisher throws or never settles', async () => {
      const h = await engineHarness();
      const { logger, lines } = captureLogger();
      const req = smsIssue(testTenant(), PHONE);
      const throwing = bounded({ publish: () => Promise.reject(new Error('bus down')) }, logger, 50);
      const hanging = bounded({ publish: () => new Promise<void>(() => {}) }, logger, 50);
      await issue({ ...h.deps, events: throwing }, req);
      await verify({ ...h.deps, events: hanging }, verifyOf(req, lastCode(h.sent)));
      expect(lines.join('\n')).toContain('lifecycle events not published');
      expect(lines.join('\n')).toContain('lifecycle events not published in time');
    });
  });

  describe('through a dialect handler', () => {
    it('tells the capillary-v2 generate and validate with its dialect and purpose', async () => {
      const t = await appHarness();
      const rec = recordingEvents();
      const handler = createHandler({ ...t.deps, events: rec.publisher });
      eventLists.push(rec.events);
      messageLists.push(t.sent);
      const post = (path: string, body: unknown) =>
        invoke(handler, apiEvent('POST', path, { body, headers: { authorization: t.basic } }));
      const body = {
        entityType: 'EMAIL',
        entityValue: EMAIL,
        action: 'REGISTRATION',
        channels: [{ type: 'EMAIL', value: EMAIL }],
      };
      expect((await post('/v2/otp/generate', body)).status).toBe(200);
      const code = lastCode(t.sent);
      const ok = await post('/v2/otp/validate', {
        entityType: 'EMAIL',
        entityValue: EMAIL,
        action: 'REGISTRATION',
        code,
      });
      expect(ok.status).toBe(200);
      expect(rec.types()).toEqual(['otp.issued', 'otp.sent', 'otp.approved']);
      expect(rec.events.every((e) => e.dialect === 'capillary-v2' && e.purpose === 'v2:REGISTRATION')).toBe(
        true,
      );
    });
  });
});

describe('every event of this file', () => {
  it('validates against its committed schema and holds no code and no destination in clear', () => {
    const everyEvent = eventLists.flat();
    const everyMessage = messageLists.flat();
    expect(everyEvent.length).toBeGreaterThan(20);
    const codes = [...new Set(everyMessage.map((m) => m.code))];
    const destinations = [PHONE, EMAIL, '+447911123456', '+919812345671', '9812345670'];
    for (const event of everyEvent) {
      expect({ type: event.type, errors: schemaErrors(event) }).toEqual({ type: event.type, errors: [] });
      expect({ event, leaks: leaksIn(event, { codes, destinations }) }).toEqual({
        event,
        leaks: [],
      });
    }
    expect(new Set(everyEvent.map((e) => e.type))).toEqual(
      new Set([
        'otp.issued',
        'otp.sent',
        'otp.delivery_failed',
        'otp.refused',
        'otp.approved',
        'otp.attempt_failed',
        'otp.max_attempts_reached',
        'otp.expired',
        'otp.canceled',
      ]),
    );
  });
});
