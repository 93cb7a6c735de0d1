import { describe, expect, it } from '@jest/globals';
import { DEMO_AUTH } from '../../local/demo/capillary-auth';
import { SEED_GENERATE, SUMMITAI_DEMO } from '../../local/demo/summitai';
import { issue, verify } from '../../shared/engine';
import { RateLimitedError } from '../../shared/errors';
import type { Tenant } from '../../shared/tenants';
import {
  dayCounters,
  engineHarness,
  keysFor,
  phoneDelivery,
  readItem,
  rejection,
  smsIssue,
  testTenant,
  verifyOf,
  wrongCodeFor,
} from '../support/harness';
import { callDialect as call, type SecurityHarness, securityHarness } from '../support/security';

/**
 * Limits that follow the message and its recipient (DESIGN §3, issue 8), tried as an attacker
 * would: one request fanned out to many channels, many requests with different subjects aimed
 * at one phone or inbox, anonymous floods. Against DynamoDB Local through the dialects' handlers
 * (the demo tenant, with the default policy: 5 messages per recipient per 10 minutes).
 */

const MINUTE = 60_000;
const demo = (h: SecurityHarness): Tenant => h.tenant;

/** Messages the recording senders delivered to `to`. */
const deliveredTo = (h: SecurityHarness, to: string) => h.sent.filter((m) => m.to === to).length;

const v2Generate = (h: SecurityHarness, body: Record<string, unknown>) =>
  call(h, 'capillary-v2', 'POST', '/v2/otp/generate', { action: 'REGISTRATION', ...body });

/** An anonymous capillary-auth session and send for a mobile number (no credential at all). */
const anonymousSend = async (h: SecurityHarness, mobile: string, device: string) => {
  const who = { brand: DEMO_AUTH.brand, identifierType: 'MOBILE', identifierValue: mobile, deviceId: device };
  const session = await call(h, 'capillary-auth', 'POST', '/auth/v1/token/generate', who);
  const sessionId = (session.body.user as { sessionId: string }).sessionId;
  return call(h, 'capillary-auth', 'POST', '/auth/v1/otp/generate', { ...who, sessionId });
};

describe('security › recipient limits (DynamoDB Local)', () => {
  describe('per message', () => {
    it('charges a 10-channel generate as 10 messages to the tenant and 2 to each of 5 phones', async () => {
      const h = await securityHarness();
      const phones = [1, 2, 3, 4, 5].map((i) => `+9199558100${i}0`);
      const channels = phones.flatMap((p) => [
        { type: 'SMS', value: p },
        { type: 'PHONE', value: p },
      ]);
      const res = await v2Generate(h, { entityType: 'MOBILE', entityValue: phones[0], channels });
      expect(res.status).toBe(200);
      expect(h.sent).toHaveLength(10);
      const now = h.clock.now();
      const counters = await dayCounters(h.ddb, h.tableName, demo(h), phones[0] as string, now);
      expect(counters).toMatchObject({ sends: 2, tenantSends: 10 });
      for (const p of phones) expect((await dayCounters(h.ddb, h.tableName, demo(h), p, now)).sends).toBe(2);
    });

    it('refuses a request with more messages for one phone than its window holds, sending and charging nothing', async () => {
      const h = await securityHarness();
      const phone = '+919955820010';
      // SMS, voice and WhatsApp to one number, twice over (distinct values parse to the same number).
      const first = await v2Generate(h, {
        entityType: 'MOBILE',
        entityValue: phone,
        whatsappTemplateName: 'otp',
        channels: [
          { type: 'SMS', value: phone },
          { type: 'PHONE', value: phone },
          { type: 'WHATSAPP', value: phone },
        ],
      });
      expect(first.status).toBe(200);
      const second = await v2Generate(h, {
        entityType: 'MOBILE',
        entityValue: '+919955820011',
        action: 'POINTS',
        whatsappTemplateName: 'otp',
        channels: [
          { type: 'SMS', value: phone },
          { type: 'PHONE', value: phone },
          { type: 'WHATSAPP', value: phone },
        ],
      });
      // 3 + 3 > 5 in ten minutes: the whole second request is refused.
      expect(second.status).toBe(429);
      expect(deliveredTo(h, phone)).toBe(3);
      expect((await dayCounters(h.ddb, h.tableName, demo(h), phone, h.clock.now())).sends).toBe(3);
      expect((await dayCounters(h.ddb, h.tableName, demo(h), phone, h.clock.now())).tenantSends).toBe(3);
    });

    it('holds the per-prefix velocity to messages: 7 generates x 10 SMS into one prefix deliver at most 50', async () => {
      const h = await securityHarness();
      const statuses: number[] = [];
      for (let r = 0; r < 7; r++) {
        const channels = Array.from({ length: 10 }, (_, i) => ({
          type: 'SMS',
          value: `+9199558${String(r * 10 + i).padStart(5, '0')}`,
        }));
        const res = await v2Generate(h, { entityType: 'EMAIL', entityValue: `p${r}@example.com`, channels });
        statuses.push(res.status);
      }
      expect(h.sent.length).toBeLessThanOrEqual(50);
      expect(h.sent).toHaveLength(50);
      expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
    });

    it('holds the tenant daily cap to messages', async () => {
      const h = await engineHarness();
      const tenant = testTenant({ policy: { maxDailySendsPerTenant: 9 } });
      const deliveries = Array.from({ length: 10 }, (_, i) =>
        phoneDelivery('SMS', `+9198${String(10 + i)}543219`),
      );
      const refused = await rejection(
        issue(h.deps, smsIssue(tenant, 'user:1', 'p', { deliveries })),
        RateLimitedError,
      );
      expect(refused.reason).toBe('tenant-daily');
      expect(h.sent).toEqual([]);
      await issue(h.deps, smsIssue(tenant, 'user:1', 'p', { deliveries: deliveries.slice(0, 9) }));
      expect(h.sent).toHaveLength(9);
      expect((await dayCounters(h.ddb, h.tableName, tenant, 'x', h.clock.now())).tenantSends).toBe(9);
    });
  });

  describe('per recipient, whatever the subject', () => {
    it('lets 60 parallel generates with 60 subjects put at most 5 SMS on one phone in 10 minutes', async () => {
      const h = await securityHarness();
      const phone = '+919955830001';
      const answers = await Promise.all(
        Array.from({ length: 60 }, (_, i) =>
          v2Generate(h, {
            entityType: 'EMAIL',
            entityValue: `bomb${i}@example.com`,
            channels: [{ type: 'SMS', value: phone }],
          }),
        ),
      );
      expect(answers.filter((a) => a.status === 200)).toHaveLength(5);
      expect(answers.filter((a) => a.status === 429)).toHaveLength(55);
      expect(deliveredTo(h, phone)).toBe(5);
      // Sliding, not per clock bucket: still full 9 minutes on, open again after 10.
      h.clock.advance(9 * MINUTE);
      expect(
        (
          await v2Generate(h, {
            entityType: 'EMAIL',
            entityValue: 'late@example.com',
            channels: [{ type: 'SMS', value: phone }],
          })
        ).status,
      ).toBe(429);
      h.clock.advance(MINUTE + 1000);
      expect(
        (
          await v2Generate(h, {
            entityType: 'EMAIL',
            entityValue: 'later@example.com',
            channels: [{ type: 'SMS', value: phone }],
          })
        ).status,
      ).toBe(200);
      expect(deliveredTo(h, phone)).toBe(6);
    });

    it('lets 20 generates with 20 subjects put at most 5 e-mails in one inbox', async () => {
      const h = await securityHarness();
      const inbox = 'victim@example.com';
      for (let i = 0; i < 20; i++) {
        await v2Generate(h, {
          entityType: 'MOBILE',
          entityValue: `+9199558400${String(i).padStart(2, '0')}`,
          channels: [{ type: 'EMAIL', value: inbox }],
        });
      }
      expect(deliveredTo(h, inbox)).toBe(5);
    });

    it('keeps a phone locked by failed guesses locked for every subject and dialect, SummitAI included', async () => {
      const h = await securityHarness();
      const phone = SUMMITAI_DEMO.user.phone;
      const path = '/identity/v2/manage/account/smsotp/forgotpassword';
      // 20 wrong guesses through LoginRadius lock the phone for the day (codes in four windows).
      for (let round = 0; round < 4; round++) {
        h.clock.advance(11 * MINUTE);
        expect((await call(h, 'loginradius', 'POST', path, { Phone: phone })).status).toBe(200);
        for (let i = 0; i < 5; i++) {
          await call(h, 'loginradius', 'PUT', `${path}/verify`, { Phone: phone, Otp: '000000' });
        }
      }
      expect((await dayCounters(h.ddb, h.tableName, demo(h), phone, h.clock.now())).failures).toBe(20);
      h.clock.advance(11 * MINUTE);
      const sentBefore = deliveredTo(h, phone);
      // Another dialect, another subject: v2 with an e-mail entity and an SMS channel to the phone.
      const v2 = await v2Generate(h, {
        entityType: 'EMAIL',
        entityValue: 'x@example.com',
        channels: [{ type: 'SMS', value: phone }],
      });
      expect(v2.status).toBe(429);
      // SummitAI's user 967 has this phone (and an e-mail): nothing goes to the locked phone.
      await call(h, 'summitai', 'POST', '/adm/service', SEED_GENERATE);
      expect(deliveredTo(h, phone)).toBe(sentBefore);
    });
  });

  describe('anonymous callers (Capillary auth engine)', () => {
    it('turns 60 anonymous sessions for one phone into at most 3 SMS, and leaves the tenant its own', async () => {
      const h = await securityHarness();
      const mobile = '9955850001';
      const phone = `+91${mobile}`;
      const answers = await Promise.all(
        Array.from({ length: 60 }, (_, i) => anonymousSend(h, mobile, `d${i}`)),
      );
      expect(deliveredTo(h, phone)).toBe(3);
      expect(answers.filter((a) => a.status === 200)).toHaveLength(3);
      // The tenant's authenticated dialect still reaches the phone: the anonymous share is spent,
      // the recipient's own window is not.
      const v2 = await v2Generate(h, { entityType: 'MOBILE', entityValue: phone });
      expect(v2.status).toBe(200);
      expect(deliveredTo(h, phone)).toBe(4);
    });

    it('lets anonymous sends to +44 open only the anonymous breaker: authenticated +44 traffic still goes out', async () => {
      const h = await securityHarness();
      // 60 distinct GB mobiles over 30 prefixes (under the per-prefix velocity), never verified.
      let refused = 0;
      for (let i = 0; i < 60; i++) {
        const national = `74${String(10 + (i % 30)).padStart(2, '0')}${String(100000 + i).slice(-6)}`;
        const res = await anonymousSend(h, `+44${national}`, `gb${i}`);
        if (res.status === 429) refused++;
      }
      // The anonymous GB breaker opened after conversionMinSends (50) unverified sends.
      expect(refused).toBe(10);
      // The tenant's authenticated dialects are judged on their own counters.
      const v2 = await v2Generate(h, { entityType: 'MOBILE', entityValue: '+447400123456' });
      expect(v2.status).toBe(200);
      const lr = await call(h, 'loginradius', 'POST', '/identity/v2/manage/account/smsotp/forgotpassword', {
        Phone: '+447400123457',
      });
      expect(lr.status).toBe(200);
    });

    it('lets anonymous guesses lock at most half of a recipient: the tenant keeps its own 10', async () => {
      const h = await engineHarness();
      const tenant = testTenant();
      const phone = '+919955860001';
      const anon = (i: number) => ({ ...smsIssue(tenant, phone, `ae:${i}`), caller: 'anonymous' as const });
      let failures = 0;
      let locked = false;
      for (let i = 0; i < 6 && !locked; i++) {
        h.clock.advance(11 * MINUTE); // past the anonymous window (3 per 10 minutes)
        const req = anon(i);
        try {
          await issue(h.deps, req);
        } catch (error) {
          locked = (error as { kind?: string }).kind === 'destination-locked';
          continue;
        }
        for (let g = 0; g < 5; g++) {
          try {
            await verify(h.deps, {
              ...verifyOf(req, wrongCodeFor(h.sent.at(-1)?.code ?? '')),
              caller: 'anonymous',
            });
          } catch (error) {
            if ((error as { kind?: string }).kind === 'invalid-code') failures++;
          }
        }
      }
      expect(locked).toBe(true);
      // Anonymous traffic stops at its share (10); the recipient is locked for it, not for the tenant.
      expect(failures).toBe(10);
      const day = await readItem(
        h.ddb,
        h.tableName,
        keysFor(tenant, 'x', phone, h.clock.now()).destinationDay,
      );
      expect(day).toMatchObject({ failures: 10, anonFailures: 10 });
      await expect(issue(h.deps, anon(9))).rejects.toMatchObject({ kind: 'destination-locked' });
      await expect(issue(h.deps, smsIssue(tenant, phone, 'v2:LOGIN'))).resolves.toMatchObject({
        resent: false,
      });
    });
  });

  describe('review findings (helper attack on this change)', () => {
    it('takes a recipient off the code again when the resend that added it delivered nothing', async () => {
      const h = await engineHarness({ fail: ['VOICE'] });
      const tenant = testTenant();
      const mine = '+919955870001';
      const victim = '+919955870002';
      const req = smsIssue(tenant, mine);
      await issue(h.deps, req);
      const code = h.sent.at(-1)?.code ?? '';
      h.clock.advance(31_000);
      await rejection(issue(h.deps, { ...req, deliveries: [phoneDelivery('VOICE', victim)] }), Error);
      const challenge = await readItem(
        h.ddb,
        h.tableName,
        keysFor(tenant, req.purpose, mine, h.clock.now()).challenge,
      );
      expect((challenge?.recipients as Set<string> | undefined)?.size).toBe(1);
      for (let i = 0; i < 4; i++)
        await verify(h.deps, verifyOf(req, wrongCodeFor(code))).catch(() => undefined);
      expect((await dayCounters(h.ddb, h.tableName, tenant, victim, h.clock.now())).failures).toBe(0);
      expect((await dayCounters(h.ddb, h.tableName, tenant, mine, h.clock.now())).failures).toBe(4);
    });

    it('refuses a resend that would give one code more recipients than its verify can write, and the code still verifies', async () => {
      const h = await engineHarness();
      const tenant = testTenant({ policy: { maxSendsPerCode: 11, resendGapSeconds: 0 } });
      const batch = (n: number) =>
        Array.from({ length: 10 }, (_, i) => ({ channel: 'EMAIL' as const, to: `fan${n}-${i}@example.com` }));
      const req = smsIssue(tenant, 'user:fan', 'fan', { deliveries: batch(0) });
      await issue(h.deps, req);
      const code = h.sent.at(-1)?.code ?? '';
      let refused: unknown;
      for (let n = 1; n < 11 && !refused; n++) {
        await issue(h.deps, { ...req, deliveries: batch(n) }).catch((e: unknown) => {
          refused = e;
        });
      }
      expect(refused).toMatchObject({ kind: 'rate-limited', reason: 'sends-per-code' });
      await expect(verify(h.deps, verifyOf(req, wrongCodeFor(code)))).rejects.toMatchObject({
        kind: 'invalid-code',
      });
      await expect(verify(h.deps, verifyOf(req, code))).resolves.toBeDefined();
    });

    it('holds an anonymous request to the smaller of the two windows', async () => {
      const h = await engineHarness();
      const tenant = testTenant({
        policy: {
          maxMessagesPerRecipientWindow: 2,
          anonymous: { maxMessagesPerWindow: 5, maxDailyMessages: 50, maxDailyFailures: 10 },
        },
      });
      const phone = '+919955870010';
      const deliveries = [
        phoneDelivery('SMS', phone),
        phoneDelivery('VOICE', phone),
        phoneDelivery('WHATSAPP', phone),
      ];
      const refused = await rejection(
        issue(h.deps, { ...smsIssue(tenant, phone, 'ae:x', { deliveries }), caller: 'anonymous' }),
        RateLimitedError,
      );
      expect(refused.reason).toBe('recipient-window');
      expect(h.sent).toEqual([]);
    });
  });
});
