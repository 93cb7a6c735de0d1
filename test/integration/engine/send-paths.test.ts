import { DeleteItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { describe, expect, it } from '@jest/globals';
import { withDeadline } from '../../../shared/deadline';
import { issue, verify } from '../../../shared/engine';
import type { IssueRequest } from '../../../shared/engine/types';
import {
  DeliveryFailedError,
  DestinationLockedError,
  InvalidInputError,
  RateLimitedError,
  ServiceUnavailableError,
  TooManyAttemptsError,
} from '../../../shared/errors';
import { HOUR_MS } from '../../../shared/store/keys';
import { breakerHour, countryPk } from '../../../shared/store/pumping';
import { BUILT_IN_TEMPLATES, render } from '../../../shared/templates';
import type { Tenant } from '../../../shared/tenants';
import { CHANNEL_SEND_DEADLINE_MS } from '../../../shared/timeouts';
import { recordingEvents } from '../../support/events';
import {
  breakerTotals,
  dayCounters,
  engineHarness,
  keysFor,
  lastCode,
  logsOf,
  phoneDelivery,
  putItem,
  readItem,
  rejection,
  scanItems,
  smsIssue,
  testTenant,
  verifyOf,
  writeCharge,
  wrongCodeFor,
} from '../../support/harness';

/**
 * The paths of one send in shared/engine/issue.ts that the limit and race tests pass by: the
 * message each phone channel gets, a channel that is missing, failing or never answering, a send
 * whose request was already answered 503, which refusal a cancelled first write turns into (the
 * live code's resend must not hide a limit), and what a refused generate tells.
 */

type Harness = Awaited<ReturnType<typeof engineHarness>>;

const PHONE = '+919876543210';
const MASKED = '+91*******210';

/** Timers the process holds (a send's deadline left running would be one more). */
const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

describe('engine › the paths of a send', () => {
  describe('the message of each phone channel', () => {
    /** A tenant with every SMS-only extra set: DLT ids for India, an autofill line, an app hash. */
    const smsExtras = () =>
      testTenant({
        dlt: { entityId: '1101000000000000001', templateId: '1107000000000000001' },
        smsAutofill: { domain: 'example.com', appHash: 'FA+9qCX9VSu' },
      });

    it.each([
      ['WHATSAPP', { whatsappTemplateName: 'otp_wa' }, 'otp_wa'],
      ['ZALO', { zaloTemplateId: 'zalo-42' }, 'zalo-42'],
    ] as const)(
      'sends %s the SMS text and its own template, without the SMS-only extras',
      async (channel, content, templateName) => {
        const h = await engineHarness();
        const tenant = smsExtras();
        const req = smsIssue(tenant, PHONE, 'test:login', { deliveries: [phoneDelivery(channel, PHONE)] });
        await issue(h.deps, { ...req, content: { ...req.content, ...content } });
        const [message] = h.sent;
        const code = lastCode(h.sent);
        expect(message).toMatchObject({ channel, to: PHONE, templateName, tenantId: tenant.tenantId });
        // To India, from a tenant with DLT ids and an autofill line: neither goes on WhatsApp or Zalo.
        expect(message?.text).toBe(render(req.content.sms, code));
        expect(message).not.toHaveProperty('dlt');
      },
    );

    it('sends voice the spelled-out code without the SMS-only extras, and the SMS with them', async () => {
      const h = await engineHarness();
      const tenant = smsExtras();
      await issue(
        h.deps,
        smsIssue(tenant, PHONE, 'test:login', {
          deliveries: [phoneDelivery('VOICE', PHONE), phoneDelivery('SMS', PHONE)],
        }),
      );
      const [voice, sms] = h.sent;
      const code = lastCode(h.sent);
      expect(voice?.text).toBe(render(BUILT_IN_TEMPLATES.voice, code.split('').join(' ')));
      expect(voice).not.toHaveProperty('dlt');
      expect(sms?.dlt).toEqual({ entityId: '1101000000000000001', templateId: '1107000000000000001' });
      expect(sms?.text).toContain('@example.com #');
    });
  });

  describe('a channel that cannot take the message', () => {
    it('logs a channel the tenant has no sender for, masked, with the challenge', async () => {
      const h = await engineHarness();
      delete h.deps.senders.VOICE;
      const tenant = testTenant();
      const issued = await issue(
        h.deps,
        smsIssue(tenant, PHONE, 'test:login', {
          deliveries: [phoneDelivery('SMS', PHONE), phoneDelivery('VOICE', PHONE)],
        }),
      );
      expect(issued.results).toEqual([
        { channel: 'SMS', to: PHONE, ok: true },
        { channel: 'VOICE', to: PHONE, ok: false, error: 'not-configured' },
      ]);
      expect(logsOf(h.logLines, 'channel not configured')).toEqual([
        expect.objectContaining({ channel: 'VOICE', to: MASKED, challengeId: issued.challengeId }),
      ]);
    });

    it("logs a provider's failure by its error's name only, masked, with the challenge", async () => {
      const h = await engineHarness({ fail: ['VOICE'] });
      const issued = await issue(
        h.deps,
        smsIssue(testTenant(), PHONE, 'test:login', {
          deliveries: [phoneDelivery('SMS', PHONE), phoneDelivery('VOICE', PHONE)],
        }),
      );
      expect(issued.results[1]).toEqual({ channel: 'VOICE', to: PHONE, ok: false, error: 'provider-error' });
      const [line] = logsOf(h.logLines, 'channel send failed');
      expect(line).toMatchObject({
        channel: 'VOICE',
        to: MASKED,
        challengeId: issued.challengeId,
        error: 'ProviderError',
      });
      expect(JSON.stringify(line)).not.toContain('provider down');
    });

    it("logs a provider's rejection that is no Error as 'unknown'", async () => {
      const h = await engineHarness();
      h.deps.senders.VOICE = () => Promise.reject('a string');
      await issue(
        h.deps,
        smsIssue(testTenant(), PHONE, 'test:login', {
          deliveries: [phoneDelivery('SMS', PHONE), phoneDelivery('VOICE', PHONE)],
        }),
      );
      expect(logsOf(h.logLines, 'channel send failed')).toEqual([
        expect.objectContaining({ error: 'unknown' }),
      ]);
    });

    it(
      'cuts a provider that never answers at the send deadline; the other channel delivers',
      async () => {
        const h = await engineHarness();
        h.deps.senders.VOICE = () => new Promise<void>(() => {});
        const started = Date.now();
        const issued = await issue(
          h.deps,
          smsIssue(testTenant(), PHONE, 'test:login', {
            deliveries: [phoneDelivery('SMS', PHONE), phoneDelivery('VOICE', PHONE)],
          }),
        );
        expect(Date.now() - started).toBeGreaterThanOrEqual(CHANNEL_SEND_DEADLINE_MS);
        expect(issued.results[1]).toEqual({
          channel: 'VOICE',
          to: PHONE,
          ok: false,
          error: 'provider-error',
        });
        expect(logsOf(h.logLines, 'channel send failed')).toEqual([
          expect.objectContaining({ channel: 'VOICE', error: 'ChannelTimeoutError' }),
        ]);
      },
      CHANNEL_SEND_DEADLINE_MS + 20_000,
    );

    it('leaves no deadline timer running once the providers have answered', async () => {
      const h = await engineHarness();
      const tenant = testTenant();
      // Warm: the clients' own timers of a first request are not the send's.
      await issue(h.deps, smsIssue(tenant, '+919876543211'));
      const before = timers();
      await issue(
        h.deps,
        smsIssue(tenant, PHONE, 'test:login', {
          deliveries: [
            phoneDelivery('SMS', PHONE),
            phoneDelivery('VOICE', PHONE),
            phoneDelivery('WHATSAPP', PHONE),
          ],
        }),
      );
      expect(h.sent).toHaveLength(4);
      expect(timers()).toBeLessThan(before + 3);
    });

    it('sends nothing once the request was answered 503 by its deadline (cut off during its write)', async () => {
      const h = await engineHarness();
      const events = recordingEvents();
      h.deps.events = events.publisher;
      const deadline = Date.now() + 300;
      h.ddb.middlewareStack.add(
        (next, context) => async (args) => {
          const out = await next(args);
          if (context.commandName === 'TransactWriteItemsCommand')
            await new Promise((resolve) => setTimeout(resolve, Math.max(0, deadline - Date.now() + 20)));
          return out;
        },
        { step: 'initialize', name: 'slow-write' },
      );
      const tenant = testTenant();
      const outcome = await withDeadline(deadline, () => issue(h.deps, smsIssue(tenant, PHONE))).catch(
        (e: unknown) => e,
      );
      // The write went through (it began before the deadline); the rollback after it met the deadline.
      expect(outcome).toBeInstanceOf(ServiceUnavailableError);
      expect(h.requests.counts.TransactWriteItemsCommand).toBe(1);
      expect(
        await readItem(h.ddb, h.tableName, keysFor(tenant, 'test:login', PHONE, h.clock.now()).challenge),
      ).toBeDefined();
      expect(h.sent).toEqual([]);
      // Told as a failed delivery of that channel, like any provider error.
      expect(events.ofType('otp.delivery_failed')).toEqual([
        expect.objectContaining({ channel: 'SMS', stage: 'send', reason: 'provider-error' }),
      ]);
    });
  });

  describe('which refusal a cancelled first write becomes', () => {
    /** Issues to PHONE, then again at once: the live code's write fails beside the limit's. */
    const again = async (tenant: Tenant, between: (h: Harness) => Promise<void> = async () => {}) => {
      const h = await engineHarness();
      await issue(h.deps, smsIssue(tenant, PHONE));
      await between(h);
      h.requests.reset();
      const refused = await rejection(issue(h.deps, smsIssue(tenant, PHONE)), RateLimitedError);
      return { h, refused };
    };
    const breakerOf = (tenant: Tenant) => countryPk(tenant.tenantId, 'authenticated', 'IN');

    it("the recipient's window, not the live code's resend gap", async () => {
      const { refused } = await again(testTenant({ policy: { maxMessagesPerRecipientWindow: 1 } }));
      expect(refused.reason).toBe('recipient-window');
    });

    it("the prefix's hour, not the live code's resend gap", async () => {
      const { refused } = await again(testTenant({ policy: { maxSendsPerPrefixPerHour: 1 } }));
      expect(refused.reason).toBe('prefix-velocity');
    });

    /** Seconds to the start of the UTC hour `hours` after the current one. */
    const toHour = (now: number, hours: number) =>
      Math.ceil(((Math.floor(now / HOUR_MS) + hours) * HOUR_MS - now) / 1000);

    /** Charges `sends` unverified sends to India's breaker in the hour of `at`. */
    const openIndia = (h: Harness, tenant: Tenant, sends: number, at: number) =>
      writeCharge(h, breakerHour(h.tableName, breakerOf(tenant), 0, sends, tenant.policy, at));

    it("this hour's breaker, not the live code's resend gap (open for this hour and the next)", async () => {
      const tenant = testTenant({ policy: { conversionMinSends: 10 } });
      // 9 more unverified sends on top of the first: the breaker's hour is full.
      const { h, refused } = await again(tenant, (h) => openIndia(h, tenant, 9, h.clock.now()));
      expect(refused.reason).toBe('conversion-breaker');
      expect(refused.retryAfterSeconds).toBe(toHour(h.clock.now(), 2));
    });

    it("the previous hour's breaker, not the live code's resend gap (open for the rest of this hour)", async () => {
      const tenant = testTenant({ policy: { conversionMinSends: 10 } });
      const { h, refused } = await again(tenant, (h) => openIndia(h, tenant, 10, h.clock.now() - HOUR_MS));
      expect(refused.reason).toBe('conversion-breaker');
      expect(refused.retryAfterSeconds).toBe(toHour(h.clock.now(), 1));
    });
  });

  describe("a recipient's day refused", () => {
    const dayOf = (h: Harness, tenant: Tenant) =>
      keysFor(tenant, 'test:login', PHONE, h.clock.now()).destinationDay;

    it('locks an anonymous caller out at exactly the anonymous share of failed guesses', async () => {
      const h = await engineHarness();
      const tenant = testTenant();
      const max = tenant.policy.anonymous.maxDailyFailures;
      // The whole day's failures are under their limit: only the anonymous share is full.
      await putItem(h, dayOf(h, tenant), { sends: 0, failures: 0, anonFailures: max });
      const locked = await rejection(
        issue(h.deps, smsIssue(tenant, PHONE, 'test:login', { caller: 'anonymous' })),
        DestinationLockedError,
      );
      expect(locked.message).toBe('Too many failed verifications for this recipient today');
    });

    it("answers a full day to an authenticated caller as a rate limit, whatever the anonymous share's failures", async () => {
      const h = await engineHarness();
      const tenant = testTenant();
      await putItem(h, dayOf(h, tenant), {
        sends: tenant.policy.maxDailySendsPerDestination,
        failures: 0,
        anonFailures: tenant.policy.anonymous.maxDailyFailures,
      });
      const refused = await rejection(issue(h.deps, smsIssue(tenant, PHONE)), RateLimitedError);
      expect(refused.reason).toBe('destination-daily');
    });
  });

  describe('what a refused generate tells', () => {
    it('tells otp.refused, masked, for a limit', async () => {
      const h = await engineHarness();
      const events = recordingEvents();
      h.deps.events = events.publisher;
      const tenant = testTenant({ policy: { maxMessagesPerRecipientWindow: 1 } });
      await issue(h.deps, smsIssue(tenant, PHONE));
      await issue(
        h.deps,
        smsIssue(tenant, 'someone-else', 'test:login', { deliveries: [phoneDelivery('SMS', PHONE)] }),
      ).catch(() => undefined);
      expect(events.ofType('otp.refused')).toEqual([
        expect.objectContaining({ recipient: MASKED, reason: 'limits', detail: 'recipient-window' }),
      ]);
      expect(events.ofType('otp.refused')[0]).not.toHaveProperty('test');
    });

    it.each([
      [
        'no channel',
        (req: IssueRequest): IssueRequest => ({ ...req, deliveries: [] }),
        'channel',
        'No channel to send to',
      ],
      [
        'an app hash that is not 11 base64 characters',
        (req: IssueRequest): IssueRequest => ({ ...req, appHash: 'short' }),
        'template',
        'The app hash must be 11 characters of base64 (A-Z a-z 0-9 + /)',
      ],
    ])('refuses %s by field and message, before any write', async (_, change, field, message) => {
      const h = await engineHarness();
      const refused = await rejection(
        issue(h.deps, change(smsIssue(testTenant(), PHONE))),
        InvalidInputError,
      );
      expect({ field: refused.field, message: refused.message }).toEqual({ field, message });
      expect(h.requests.total()).toBe(0);
    });
  });

  describe('the window a request must fit before anything is written', () => {
    it("refuses an anonymous request of more messages to one number than the anonymous window's share", async () => {
      const h = await engineHarness();
      const tenant = testTenant();
      expect(tenant.policy.anonymous.maxMessagesPerWindow).toBe(3);
      const four = (['SMS', 'VOICE', 'WHATSAPP', 'ZALO'] as const).map((c) => phoneDelivery(c, PHONE));
      const refused = await rejection(
        issue(h.deps, smsIssue(tenant, PHONE, 'test:login', { deliveries: four, caller: 'anonymous' })),
        RateLimitedError,
      );
      expect(refused).toMatchObject({
        reason: 'recipient-window',
        retryAfterSeconds: tenant.policy.recipientWindowSeconds,
      });
      expect(h.requests.total()).toBe(0);
      // Three fit the share.
      await issue(
        h.deps,
        smsIssue(tenant, PHONE, 'test:login', { deliveries: four.slice(0, 3), caller: 'anonymous' }),
      );
      expect(h.sent).toHaveLength(3);
      // An authenticated caller is held to the whole window only.
      await issue(h.deps, smsIssue(tenant, 'user:3', 'test:login', { deliveries: four }));
      expect(h.sent).toHaveLength(7);
    });

    it('refuses any request of more messages to one number than the window holds', async () => {
      const h = await engineHarness();
      const tenant = testTenant({ policy: { maxMessagesPerRecipientWindow: 2 } });
      const three = (['SMS', 'VOICE', 'WHATSAPP'] as const).map((c) => phoneDelivery(c, PHONE));
      const refused = await rejection(
        issue(h.deps, smsIssue(tenant, PHONE, 'test:login', { deliveries: three })),
        RateLimitedError,
      );
      expect(refused.reason).toBe('recipient-window');
      expect(h.requests.total()).toBe(0);
    });
  });

  describe('a resend of the live code', () => {
    const emails = (n: number, from = 0) =>
      Array.from({ length: n }, (_, i) => ({ channel: 'EMAIL' as const, to: `u${from + i}@example.com` }));
    const toAll = (tenant: Tenant, deliveries: IssueRequest['deliveries']) =>
      smsIssue(tenant, 'user:fanout', 'test:login', { deliveries });

    it('refuses to resend a code that wrong guesses locked', async () => {
      const h = await engineHarness();
      const tenant = testTenant();
      const req = smsIssue(tenant, PHONE);
      await issue(h.deps, req);
      const wrong = wrongCodeFor(lastCode(h.sent));
      for (let i = 0; i < tenant.policy.maxAttemptsPerCode; i++)
        await verify(h.deps, verifyOf(req, wrong)).catch(() => undefined);
      h.clock.advance(tenant.policy.resendGapSeconds * 1000);
      expect((await rejection(issue(h.deps, req), TooManyAttemptsError)).message).toBe(
        'The code is locked until it expires',
      );
      expect(h.sent).toHaveLength(1);
    });

    it('refuses a custom code that differs from the live one, and resends the same', async () => {
      const h = await engineHarness();
      const tenant = testTenant();
      await issue(h.deps, { ...smsIssue(tenant, PHONE), code: '123456' });
      h.clock.advance(tenant.policy.resendGapSeconds * 1000);
      expect(
        await rejection(issue(h.deps, { ...smsIssue(tenant, PHONE), code: '654321' }), InvalidInputError),
      ).toMatchObject({
        field: 'code',
        message: 'The custom code differs from the live code',
      });
      expect(await issue(h.deps, { ...smsIssue(tenant, PHONE), code: '123456' })).toMatchObject({
        resent: true,
      });
      expect(h.sent.map((m) => m.code)).toEqual(['123456', '123456']);
    });

    it('gathers at most 90 recipients and regions on one code (its verify writes one item each)', async () => {
      const h = await engineHarness();
      const tenant = testTenant({ policy: { maxDailySendsPerDestination: 100 } });
      await issue(h.deps, toAll(tenant, emails(45)));
      h.clock.advance(tenant.policy.resendGapSeconds * 1000);
      // 45 more: exactly 90, the most a code may hold.
      await issue(h.deps, toAll(tenant, emails(45, 45)));
      h.clock.advance(tenant.policy.resendGapSeconds * 1000);
      const refused = await rejection(issue(h.deps, toAll(tenant, emails(1, 90))), RateLimitedError);
      const { challenge } = keysFor(tenant, 'test:login', 'user:fanout', h.clock.now());
      const item = await readItem(h.ddb, h.tableName, challenge);
      expect(refused).toMatchObject({
        reason: 'sends-per-code',
        retryAfterSeconds: Math.ceil((Number(item?.expiresAt) - h.clock.now()) / 1000),
      });
      expect((item?.recipients as Set<string> | undefined)?.size).toBe(90);
    });

    it('counts the regions of the code with its recipients', async () => {
      const h = await engineHarness();
      const tenant = testTenant();
      // 44 e-mails and an Indian number: 45 recipients and one breaker region.
      await issue(h.deps, toAll(tenant, [...emails(44), phoneDelivery('SMS', PHONE)]));
      h.clock.advance(tenant.policy.resendGapSeconds * 1000);
      // 44 more e-mails and a second Indian number: 90 recipients, still one region: 91.
      const refused = await rejection(
        issue(h.deps, toAll(tenant, [...emails(44, 44), phoneDelivery('SMS', '+919876543299')])),
        RateLimitedError,
      );
      expect(refused.reason).toBe('sends-per-code');
    });

    it("tells a limit its resend's write met (filled between the two writes), not a resend race", async () => {
      const h = await engineHarness();
      const tenant = testTenant();
      await issue(h.deps, smsIssue(tenant, PHONE));
      h.clock.advance(tenant.policy.resendGapSeconds * 1000);
      // After the fresh write fails on the live code, the recipient's day fills up.
      const day = keysFor(tenant, 'test:login', PHONE, h.clock.now()).destinationDay;
      let armed = true;
      h.ddb.middlewareStack.add(
        (next, context) => async (args) => {
          try {
            return await next(args);
          } catch (error) {
            if (armed && context.commandName === 'TransactWriteItemsCommand') {
              armed = false;
              await putItem(h, day, { sends: tenant.policy.maxDailySendsPerDestination });
            }
            throw error;
          }
        },
        { step: 'initialize', name: 'fill-between' },
      );
      const refused = await rejection(issue(h.deps, smsIssue(tenant, PHONE)), RateLimitedError);
      expect(refused.reason).toBe('destination-daily');
    });

    it('takes off again only what a resend that delivered nothing added', async () => {
      const h = await engineHarness();
      // One breaker shard: the resend charges the shard the code already has.
      const tenant = testTenant({ policy: { conversionMinSends: 10 } });
      const req = smsIssue(tenant, PHONE);
      await issue(h.deps, req);
      const fail = async () => {
        throw Object.assign(new Error('provider down'), { name: 'ProviderError' });
      };
      h.deps.senders.SMS = fail;
      h.deps.senders.EMAIL = fail;
      h.clock.advance(tenant.policy.resendGapSeconds * 1000);
      const both = {
        ...req,
        deliveries: [phoneDelivery('SMS', PHONE), { channel: 'EMAIL' as const, to: 'b@example.com' }],
      };
      const failed = await rejection(issue(h.deps, both), DeliveryFailedError);
      expect(failed.message).toBe('No channel could deliver the code');
      const keys = keysFor(tenant, 'test:login', PHONE, h.clock.now());
      const item = await readItem(h.ddb, h.tableName, keys.challenge);
      // The phone was the code's before this resend: it stays; the e-mail it added comes off.
      expect([...((item?.recipients as Set<string> | undefined) ?? [])]).toEqual([keys.destinationDay.pk]);
      // …and the breaker shard the first send charged stays the code's (its verify credits it).
      expect([...((item?.breakers as Set<string> | undefined) ?? [])]).toEqual([
        `${countryPk(tenant.tenantId, 'authenticated', 'IN')}#0`,
      ]);
      expect(logsOf(h.logLines, 'rollback of an undelivered code found the challenge changed')).toEqual([]);
    });

    it('resends an e-mail code by SMS (the code had no breaker region before)', async () => {
      const h = await engineHarness();
      const tenant = testTenant();
      const email = { channel: 'EMAIL' as const, to: 'a@example.com' };
      await issue(h.deps, smsIssue(tenant, 'user:1', 'test:login', { deliveries: [email] }));
      h.clock.advance(tenant.policy.resendGapSeconds * 1000);
      const resent = await issue(
        h.deps,
        smsIssue(tenant, 'user:1', 'test:login', { deliveries: [phoneDelivery('SMS', PHONE)] }),
      );
      expect(resent).toMatchObject({ resent: true, sendCount: 2 });
    });
  });

  describe('the rollback of a send that delivered nothing', () => {
    it('gives back every prefix and every region it charged', async () => {
      const h = await engineHarness({ fail: ['SMS'] });
      const tenant = testTenant();
      const US = '+12015550187';
      const req = smsIssue(tenant, 'user:2', 'test:login', {
        deliveries: [phoneDelivery('SMS', PHONE), phoneDelivery('SMS', US)],
      });
      await rejection(issue(h.deps, req), DeliveryFailedError);
      for (const region of ['IN', 'US']) {
        expect((await breakerTotals(h.ddb, h.tableName, tenant, region, h.clock.now())).sends).toBe(0);
      }
      const prefixes = (await scanItems(h.ddb, h.tableName)).filter((i) => String(i.pk).includes('#PX#'));
      expect(prefixes.map((p) => Number(p.sends))).toEqual([0, 0]);
    });

    it('gives back the breaker shard it charged, not another', async () => {
      const h = await engineHarness({ fail: ['SMS'] });
      const tenant = testTenant({ policy: { conversionMinSends: 640 } });
      for (let i = 0; i < 3; i++)
        await rejection(issue(h.deps, smsIssue(tenant, `+9198765432${10 + i}`)), DeliveryFailedError);
      const shards = (await scanItems(h.ddb, h.tableName)).filter((i) => String(i.pk).includes('#CC#'));
      expect(shards.length).toBeGreaterThan(0);
      for (const shard of shards) expect(Number(shard.sends)).toBe(0);
    });

    it('leaves the charge and says so when the code changed during the send', async () => {
      const h = await engineHarness();
      const tenant = testTenant();
      const req = smsIssue(tenant, PHONE);
      const { challenge } = keysFor(tenant, 'test:login', PHONE, h.clock.now());
      h.deps.senders.SMS = async () => {
        await h.ddb.send(new DeleteItemCommand({ TableName: h.tableName, Key: marshall(challenge) }));
        throw Object.assign(new Error('provider down'), { name: 'ProviderError' });
      };
      await rejection(issue(h.deps, req), DeliveryFailedError);
      const [line] = logsOf(h.logLines, 'rollback of an undelivered code found the challenge changed');
      expect(line?.challengeId).toEqual(expect.any(String));
      expect((await dayCounters(h.ddb, h.tableName, tenant, PHONE, h.clock.now())).sends).toBe(1);
    });
  });
});
