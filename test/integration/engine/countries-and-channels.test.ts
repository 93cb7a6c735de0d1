import { describe, expect, it } from '@jest/globals';
import type { Delivery } from '../../../shared/engine';
import { issue, verify } from '../../../shared/engine';
import { CountryNotAllowedError, DeliveryFailedError, InvalidInputError } from '../../../shared/errors';
import { parseE164, parsePhone } from '../../../shared/phone';
import {
  dayCounters,
  engineHarness,
  keysFor,
  lastCode,
  phoneDelivery,
  readItem,
  recordingSenders,
  rejection,
  scanItems,
  smsIssue,
  testTenant,
  verifyOf,
} from '../../support/harness';

const PHONE = '+919955882233';
const EMAIL = 'tomsawyer@example.com';
const UK = '+447400123456';
const FRANCE = '+33612345678';
/** An international freephone number: a valid number of no region, type TOLL_FREE. */
const FREEPHONE = '+80012345678';

describe('engine', () => {
  describe('issue › countries', () => {
    it('refuses SMS to a region outside allowedRegions and writes nothing', async () => {
      const h = await engineHarness();
      const tenant = testTenant({ policy: { allowedRegions: ['IN'] } });
      h.requests.reset();
      const refused = await rejection(issue(h.deps, smsIssue(tenant, UK)), CountryNotAllowedError);
      expect(refused.message).not.toContain('7400123456');
      // Refused before any store request, so an attacker's pumping costs no write either.
      expect(h.requests.total()).toBe(0);
      expect(await scanItems(h.ddb, h.tableName)).toEqual([]);
      expect(h.sent).toEqual([]);
    });

    it('refuses voice and WhatsApp to a disallowed country, even beside an allowed channel', async () => {
      const h = await engineHarness();
      const tenant = testTenant({ policy: { allowedRegions: ['IN'] } });
      for (const channel of ['VOICE', 'WHATSAPP'] as const) {
        const deliveries: Delivery[] = [{ channel: 'EMAIL', to: EMAIL }, phoneDelivery(channel, UK)];
        await rejection(issue(h.deps, { ...smsIssue(tenant, UK), deliveries }), CountryNotAllowedError);
      }
      expect(await scanItems(h.ddb, h.tableName)).toEqual([]);
      expect(h.sent).toEqual([]);
    });

    it('applies no country rule to e-mail', async () => {
      const h = await engineHarness();
      const tenant = testTenant({ policy: { allowedRegions: ['IN'] } });
      const req = smsIssue(tenant, EMAIL, 'test:login', { deliveries: [{ channel: 'EMAIL', to: EMAIL }] });
      await expect(issue(h.deps, req)).resolves.toMatchObject({ resent: false });
    });

    it("allows every country with '*'", async () => {
      const h = await engineHarness();
      const tenant = testTenant({ policy: { allowedRegions: ['*'] } });
      await expect(issue(h.deps, smsIssue(tenant, FRANCE))).resolves.toMatchObject({ resent: false });
      await expect(issue(h.deps, smsIssue(tenant, UK))).resolves.toMatchObject({ resent: false });
      expect(h.sent.map((m) => m.to)).toEqual([FRANCE, UK]);
    });

    it('refuses countries outside the narrow default list', async () => {
      const h = await engineHarness();
      const tenant = testTenant();
      const defaults = {
        ...tenant,
        policy: { ...tenant.policy, allowedRegions: ['US', 'CA', 'GB', 'SG', 'VN', 'IN'] },
      };
      await expect(issue(h.deps, smsIssue(defaults, UK))).resolves.toBeDefined();
      await rejection(issue(h.deps, smsIssue(defaults, FRANCE)), CountryNotAllowedError);
    });

    it('names the refused region and the refused number type, never the number', async () => {
      // What a dialect passes on (capillary-v2 answers InvalidInputError's message as is): the
      // region or the type and channel that refused, so a support engineer can tell which rule.
      const h = await engineHarness();
      const tenant = testTenant({ policy: { allowedRegions: ['IN'] } });
      const country = await rejection(issue(h.deps, smsIssue(tenant, FRANCE)), CountryNotAllowedError);
      expect(country.message).toMatch(/\bFR\b/);
      // An international freephone number (+800) belongs to no region: refused as unknown.
      const freephone = await rejection(issue(h.deps, smsIssue(tenant, FREEPHONE)), CountryNotAllowedError);
      expect(freephone.message).toMatch(/\bunknown\b/);
      const everywhere = testTenant({ policy: { allowedRegions: ['*'] } });
      const type = await rejection(issue(h.deps, smsIssue(everywhere, FREEPHONE)), InvalidInputError);
      expect(type.field).toBe('phone');
      expect(type.message).toMatch(/TOLL_FREE/);
      expect(type.message).toMatch(/\bSMS\b/);
      for (const e of [country, freephone, type]) expect(e.message).not.toMatch(/12345678/);
      expect(await scanItems(h.ddb, h.tableName)).toEqual([]);
      expect(h.sent).toEqual([]);
    });

    it('parses no invalid phone number, so none reaches the engine', () => {
      for (const bad of ['+9199', '12345', 'not a phone', '', '+1900555123']) {
        expect(parseE164(bad)).toBeUndefined();
        expect(parsePhone(bad, 'IN')).toBeUndefined();
      }
      expect(parsePhone('9955882233', 'IN')).toMatchObject({ e164: PHONE, region: 'IN', type: 'MOBILE' });
    });

    it('refuses a request with no channel with InvalidInputError', async () => {
      const h = await engineHarness();
      const error = await rejection(
        issue(h.deps, { ...smsIssue(testTenant(), PHONE), deliveries: [] }),
        InvalidInputError,
      );
      expect(error.field).toBe('channel');
      expect(await scanItems(h.ddb, h.tableName)).toEqual([]);
    });
  });

  describe('issue › channels', () => {
    const multi = (tenant = testTenant()) => ({
      ...smsIssue(tenant, PHONE),
      deliveries: [
        phoneDelivery('SMS', PHONE),
        { channel: 'EMAIL' as const, to: EMAIL },
        phoneDelivery('VOICE', PHONE),
      ],
    });

    it('sends the same code to every channel, with each channel’s text', async () => {
      const h = await engineHarness();
      const issued = await issue(h.deps, multi());
      expect(issued.results).toEqual([
        { channel: 'SMS', to: PHONE, ok: true },
        { channel: 'EMAIL', to: EMAIL, ok: true },
        { channel: 'VOICE', to: PHONE, ok: true },
      ]);
      const code = lastCode(h.sent);
      expect(h.sent.map((m) => m.code)).toEqual([code, code, code]);
      const byChannel = Object.fromEntries(h.sent.map((m) => [m.channel, m]));
      expect(byChannel.SMS?.text).toContain(code);
      expect(byChannel.EMAIL).toMatchObject({ subject: 'Validation Code' });
      expect(byChannel.EMAIL?.text).toContain(code);
      expect(byChannel.VOICE?.text).toContain(code.split('').join(' '));
    });

    it('reports a failing channel as provider-error while the others deliver a verifiable code', async () => {
      const h = await engineHarness({ fail: ['EMAIL'] });
      const req = multi();
      const issued = await issue(h.deps, req);
      expect(issued.results).toEqual([
        { channel: 'SMS', to: PHONE, ok: true },
        { channel: 'EMAIL', to: EMAIL, ok: false, error: 'provider-error' },
        { channel: 'VOICE', to: PHONE, ok: true },
      ]);
      expect(h.sent.map((m) => m.channel)).toEqual(['SMS', 'VOICE']);
      await expect(verify(h.deps, verifyOf(req, lastCode(h.sent)))).resolves.toBeDefined();
    });

    it('reports a channel without a sender as not-configured', async () => {
      const h = await engineHarness();
      const { SMS } = h.deps.senders;
      h.deps.senders = { SMS };
      const req = multi();
      const issued = await issue(h.deps, req);
      expect(issued.results).toEqual([
        { channel: 'SMS', to: PHONE, ok: true },
        { channel: 'EMAIL', to: EMAIL, ok: false, error: 'not-configured' },
        { channel: 'VOICE', to: PHONE, ok: false, error: 'not-configured' },
      ]);
      await expect(verify(h.deps, verifyOf(req, lastCode(h.sent)))).resolves.toBeDefined();
    });

    it('throws DeliveryFailedError when every channel fails, rolling the charge and the code back', async () => {
      const h = await engineHarness();
      const tenant = testTenant();
      const req = multi(tenant);
      // An earlier send of the day, so "rolled back" means back to 1, not merely absent.
      await issue(h.deps, smsIssue(tenant, PHONE, 'earlier'));
      h.deps.senders = recordingSenders(['SMS', 'EMAIL', 'VOICE']).senders;
      const before = await dayCounters(h.ddb, h.tableName, tenant, PHONE, h.clock.now());
      expect(before).toMatchObject({ sends: 1, tenantSends: 1 });

      await rejection(issue(h.deps, req), DeliveryFailedError);
      expect(await dayCounters(h.ddb, h.tableName, tenant, PHONE, h.clock.now())).toEqual(before);
      const keys = keysFor(tenant, req.purpose, PHONE, h.clock.now());
      expect(await readItem(h.ddb, h.tableName, keys.challenge)).toBeUndefined();

      // No live code is left behind: the next issue is fresh, not a resend of an unsent code.
      const working = recordingSenders();
      h.deps.senders = working.senders;
      await expect(issue(h.deps, req)).resolves.toMatchObject({ resent: false, sendCount: 1 });
      expect(working.sent).toHaveLength(3);
      // Messages, not requests: the SMS and the voice call are two messages to PHONE.
      expect(await dayCounters(h.ddb, h.tableName, tenant, PHONE, h.clock.now())).toMatchObject({
        sends: 3,
        tenantSends: 4,
      });
    });

    it('throws DeliveryFailedError when no channel is configured', async () => {
      const h = await engineHarness();
      const tenant = testTenant();
      h.deps.senders = {};
      await rejection(issue(h.deps, smsIssue(tenant, PHONE)), DeliveryFailedError);
      expect(await dayCounters(h.ddb, h.tableName, tenant, PHONE, h.clock.now())).toMatchObject({
        sends: 0,
        tenantSends: 0,
      });
    });

    it('rolls back a resend whose every channel failed, so the next resend is not held by the gap', async () => {
      const h = await engineHarness();
      const tenant = testTenant();
      const req = smsIssue(tenant, PHONE);
      const first = await issue(h.deps, req);
      const code = lastCode(h.sent);
      const keys = keysFor(tenant, req.purpose, PHONE, h.clock.now());
      const sentAt = h.clock.now();
      h.clock.advance(30_000);
      h.deps.senders = recordingSenders(['SMS']).senders;
      await rejection(issue(h.deps, req), DeliveryFailedError);
      expect(await readItem(h.ddb, h.tableName, keys.challenge)).toMatchObject({
        id: first.challengeId,
        sendCount: 1,
        lastSentAt: sentAt,
      });
      expect((await dayCounters(h.ddb, h.tableName, tenant, PHONE, h.clock.now())).sends).toBe(1);
      const working = recordingSenders();
      h.deps.senders = working.senders;
      await expect(issue(h.deps, req)).resolves.toMatchObject({
        challengeId: first.challengeId,
        resent: true,
        sendCount: 2,
      });
      expect(lastCode(working.sent)).toBe(code);
    });
  });
});
