import { describe, expect, it } from '@jest/globals';
import { issue, verify } from '../../../shared/engine';
import type { IssueRequest } from '../../../shared/engine/types';
import {
  CountryNotAllowedError,
  DeliveryFailedError,
  InvalidCodeError,
  NoActiveCodeError,
  RateLimitedError,
} from '../../../shared/errors';
import { parseE164 } from '../../../shared/phone';
import { hourSk, utcHour } from '../../../shared/store/keys';
import { prefixPk } from '../../../shared/store/pumping';
import { BUILT_IN_TEMPLATES } from '../../../shared/templates';
import type { Tenant } from '../../../shared/tenants';
import {
  breakerTotals,
  dayCounters,
  engineHarness,
  keysFor,
  lastCode,
  PEPPER,
  phoneDelivery,
  readItem,
  rejection,
  scanItems,
  smsIssue,
  testTenant,
  verifyOf,
  wrongCodeFor,
} from '../../support/harness';

const HOUR = 3_600_000;
const EMAIL = 'tomsawyer@example.com';

/** The i-th number in the prefix `+919955` (velocity prefix with the default 4 digits). */
const samePrefix = (i: number) => `+91995588${String(i).padStart(4, '0')}`;
/** The i-th number in its own prefix (`+919810…`, `+919811…`), so only the breaker sees them together. */
const ownPrefix = (i: number) => `+9198${String(10 + i)}543219`;

type Harness = Awaited<ReturnType<typeof engineHarness>>;

/** Sends (first sends and resends) charged to the hourly counter of `phone`'s prefix. */
const prefixSends = async (h: Harness, tenant: Tenant, phone: string, at = h.clock.now()) => {
  const parsed = parseE164(phone);
  if (!parsed) throw new Error('not a phone number');
  const prefix = `+${parsed.callingCode}${parsed.nationalNumber.slice(0, tenant.policy.velocityPrefixDigits)}`;
  const key = { pk: prefixPk(PEPPER, tenant.tenantId, 'authenticated', prefix), sk: hourSk(utcHour(at)) };
  return Number((await readItem(h.ddb, h.tableName, key))?.sends ?? 0);
};

/** The breaker's hourly counter of a country, summed over its shards (zeros when absent). */
const countryHour = (h: Harness, tenant: Tenant, region: string, at = h.clock.now()) =>
  breakerTotals(h.ddb, h.tableName, tenant, region, at);

/** Issues a fresh SMS code to each phone in turn, returning the requests for later verifies. */
const issueAll = async (h: Harness, tenant: Tenant, phones: string[]): Promise<IssueRequest[]> => {
  const reqs = phones.map((p) => smsIssue(tenant, p));
  for (const req of reqs) await issue(h.deps, req);
  return reqs;
};

/** Nothing of a refused issue to `phone` reached the table or a channel. */
const expectNothingCharged = async (
  h: Harness,
  tenant: Tenant,
  phone: string,
  tenantSends: number,
  sentBefore: number,
) => {
  expect(await dayCounters(h.ddb, h.tableName, tenant, phone, h.clock.now())).toEqual({
    sends: 0,
    failures: 0,
    tenantSends,
  });
  const challenge = keysFor(tenant, 'test:login', phone, h.clock.now()).challenge;
  expect(await readItem(h.ddb, h.tableName, challenge)).toBeUndefined();
  expect(h.sent).toHaveLength(sentBefore);
};

/** Settled results as `fresh`, `resent` or the rate-limit reason / error name. */
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
  describe('issue › prefix velocity limit', () => {
    it('refuses the send past maxSendsPerPrefixPerHour with prefix-velocity in one request, charging nothing', async () => {
      const h = await engineHarness();
      const tenant = testTenant({ policy: { maxSendsPerPrefixPerHour: 3, minConversionRatio: 0 } });
      await issueAll(h, tenant, [samePrefix(1), samePrefix(2), samePrefix(3)]);
      expect(await prefixSends(h, tenant, samePrefix(4))).toBe(3);

      h.requests.reset();
      const refused = await rejection(issue(h.deps, smsIssue(tenant, samePrefix(4))), RateLimitedError);
      // The clock stands at 12:00:00 UTC: the prefix opens at 13:00.
      expect(refused).toMatchObject({ reason: 'prefix-velocity', retryAfterSeconds: 3600 });
      expect(h.requests.counts).toEqual({ TransactWriteItemsCommand: 1 });
      await expectNothingCharged(h, tenant, samePrefix(4), 3, 3);
      expect(await prefixSends(h, tenant, samePrefix(4))).toBe(3);
      // Another prefix of the same country is not affected.
      await expect(issue(h.deps, smsIssue(tenant, ownPrefix(1)))).resolves.toMatchObject({ resent: false });
    });

    it('keeps a fresh issue with the velocity and breaker counters at one request', async () => {
      const h = await engineHarness();
      const tenant = testTenant();
      expect(tenant.policy).toMatchObject({
        maxSendsPerPrefixPerHour: 50,
        velocityPrefixDigits: 4,
        minConversionRatio: 0.2,
        conversionMinSends: 50,
        safeList: [],
      });
      h.requests.reset();
      await issue(h.deps, smsIssue(tenant, samePrefix(1)));
      // Beside the transaction (no round trip of its own), once per process and period: the
      // shards of the tenant's day (one BatchGetItem) and of the breaker's two hours (two).
      expect(h.requests.counts).toEqual({ TransactWriteItemsCommand: 1, BatchGetItemCommand: 3 });
      h.requests.reset();
      await issue(h.deps, smsIssue(tenant, samePrefix(2)));
      expect(h.requests.counts).toEqual({ TransactWriteItemsCommand: 1 });
      expect(await prefixSends(h, tenant, samePrefix(1))).toBe(2);
      expect(await countryHour(h, tenant, 'IN')).toEqual({ sends: 2, verified: 0, balance: -400 });
    });

    it('counts voice and WhatsApp sends, and a resend, against the prefix', async () => {
      const h = await engineHarness();
      const tenant = testTenant({ policy: { maxSendsPerPrefixPerHour: 3, minConversionRatio: 0 } });
      const voice = smsIssue(tenant, samePrefix(1), 'test:login', {
        deliveries: [phoneDelivery('VOICE', samePrefix(1))],
      });
      await issue(h.deps, voice);
      await issue(
        h.deps,
        smsIssue(tenant, samePrefix(2), 'test:login', {
          deliveries: [phoneDelivery('WHATSAPP', samePrefix(2))],
        }),
      );
      h.clock.advance(30_000);
      h.requests.reset();
      await expect(issue(h.deps, voice)).resolves.toMatchObject({ resent: true, sendCount: 2 });
      expect(h.requests.counts).toEqual({ TransactWriteItemsCommand: 2 });
      expect(await prefixSends(h, tenant, samePrefix(1))).toBe(3);
      const refused = await rejection(issue(h.deps, smsIssue(tenant, samePrefix(3))), RateLimitedError);
      expect(refused.reason).toBe('prefix-velocity');
    });

    it('counts Zalo sends against the prefix like the other paid phone channels', async () => {
      const h = await engineHarness();
      const tenant = testTenant({ policy: { maxSendsPerPrefixPerHour: 2, minConversionRatio: 0 } });
      for (const i of [1, 2]) {
        await issue(
          h.deps,
          smsIssue(tenant, samePrefix(i), 'test:login', {
            deliveries: [phoneDelivery('ZALO', samePrefix(i))],
          }),
        );
      }
      expect(await prefixSends(h, tenant, samePrefix(1))).toBe(2);
      const refused = await rejection(
        issue(
          h.deps,
          smsIssue(tenant, samePrefix(3), 'test:login', {
            deliveries: [phoneDelivery('ZALO', samePrefix(3))],
          }),
        ),
        RateLimitedError,
      );
      expect(refused.reason).toBe('prefix-velocity');
      // And the country policy: a region the tenant does not serve is refused before any write.
      const abroad = '+33612345678';
      await rejection(
        issue(
          h.deps,
          smsIssue(tenant, abroad, 'test:login', { deliveries: [phoneDelivery('ZALO', abroad)] }),
        ),
        CountryNotAllowedError,
      );
      expect(h.sent.filter((m) => m.to === abroad)).toEqual([]);
    });

    it('refuses a resend past the limit without counting it on the code', async () => {
      const h = await engineHarness();
      const tenant = testTenant({ policy: { maxSendsPerPrefixPerHour: 2, minConversionRatio: 0 } });
      const [first] = await issueAll(h, tenant, [samePrefix(1), samePrefix(2)]);
      if (!first) throw new Error('no request');
      h.clock.advance(30_000);
      const refused = await rejection(issue(h.deps, first), RateLimitedError);
      expect(refused.reason).toBe('prefix-velocity');
      const challenge = keysFor(tenant, 'test:login', samePrefix(1), h.clock.now()).challenge;
      expect(await readItem(h.ddb, h.tableName, challenge)).toMatchObject({ sendCount: 1 });
      expect((await dayCounters(h.ddb, h.tableName, tenant, samePrefix(1), h.clock.now())).sends).toBe(1);
      expect(await prefixSends(h, tenant, samePrefix(1))).toBe(2);
      expect(h.sent).toHaveLength(2);
    });

    it('opens the prefix again in the next UTC hour', async () => {
      const h = await engineHarness();
      const tenant = testTenant({ policy: { maxSendsPerPrefixPerHour: 1, minConversionRatio: 0 } });
      await issueAll(h, tenant, [samePrefix(1)]);
      h.clock.advance(HOUR - 1000);
      const refused = await rejection(issue(h.deps, smsIssue(tenant, samePrefix(2))), RateLimitedError);
      expect(refused).toMatchObject({ reason: 'prefix-velocity', retryAfterSeconds: 1 });
      h.clock.advance(1000);
      await expect(issue(h.deps, smsIssue(tenant, samePrefix(2)))).resolves.toMatchObject({ resent: false });
      expect(await prefixSends(h, tenant, samePrefix(2))).toBe(1);
      expect(await prefixSends(h, tenant, samePrefix(2), h.clock.now() - HOUR)).toBe(1);
    });

    it('holds the limit exactly under parallel issues to one prefix', async () => {
      const h = await engineHarness();
      const tenant = testTenant({ policy: { maxSendsPerPrefixPerHour: 4, minConversionRatio: 0 } });
      const results = await Promise.allSettled(
        Array.from({ length: 10 }, (_, i) => issue(h.deps, smsIssue(tenant, samePrefix(i)))),
      );
      expect(outcomes(results)).toEqual({ fresh: 4, 'prefix-velocity': 6 });
      expect(h.sent).toHaveLength(4);
      expect(await prefixSends(h, tenant, samePrefix(0))).toBe(4);
      expect((await dayCounters(h.ddb, h.tableName, tenant, samePrefix(0), h.clock.now())).tenantSends).toBe(
        4,
      );
    });

    it('counts a whole country as one prefix with velocityPrefixDigits 0', async () => {
      const h = await engineHarness();
      const tenant = testTenant({
        policy: { maxSendsPerPrefixPerHour: 2, velocityPrefixDigits: 0, minConversionRatio: 0 },
      });
      await issueAll(h, tenant, [ownPrefix(1), ownPrefix(2)]);
      const refused = await rejection(issue(h.deps, smsIssue(tenant, ownPrefix(3))), RateLimitedError);
      expect(refused.reason).toBe('prefix-velocity');
      // Another country has its own count.
      await expect(issue(h.deps, smsIssue(tenant, '+14155552671'))).resolves.toMatchObject({ resent: false });
    });

    it('refunds the prefix charge when every channel fails', async () => {
      const h = await engineHarness({ fail: ['SMS'] });
      const tenant = testTenant({ policy: { maxSendsPerPrefixPerHour: 1 } });
      await rejection(issue(h.deps, smsIssue(tenant, samePrefix(1))), DeliveryFailedError);
      expect(await prefixSends(h, tenant, samePrefix(1))).toBe(0);
      expect(await countryHour(h, tenant, 'IN')).toEqual({ sends: 0, verified: 0, balance: 0 });
      h.deps.senders = { ...h.deps.senders, SMS: async (m) => void h.sent.push(m) };
      await expect(issue(h.deps, smsIssue(tenant, samePrefix(1)))).resolves.toMatchObject({ resent: false });
    });

    it('logs the refusal with the subject masked', async () => {
      const h = await engineHarness();
      const tenant = testTenant({ policy: { maxSendsPerPrefixPerHour: 1, minConversionRatio: 0 } });
      await issueAll(h, tenant, [samePrefix(1)]);
      await rejection(issue(h.deps, smsIssue(tenant, samePrefix(2))), RateLimitedError);
      const line = h.logLines.find((l) => l.includes('sms pumping defence refused a send'));
      expect(line).toBeDefined();
      expect(JSON.parse(line ?? '{}')).toMatchObject({ reason: 'prefix-velocity', subject: '+91*******002' });
      expect(h.logLines.join('\n')).not.toContain(samePrefix(2).slice(3));
    });
  });

  describe('issue › conversion breaker', () => {
    /** Breaker judged from 5 sends, needing one verify per 2 sends; velocity out of the way. */
    const breakerTenant = (policy: Partial<Tenant['policy']> = {}) =>
      testTenant({
        policy: { conversionMinSends: 5, minConversionRatio: 0.5, maxSendsPerPrefixPerHour: 1000, ...policy },
      });

    it('opens after conversionMinSends unverified sends, refusing with conversion-breaker and charging nothing', async () => {
      const h = await engineHarness();
      const tenant = breakerTenant();
      await issueAll(h, tenant, [1, 2, 3, 4, 5].map(ownPrefix));
      expect(await countryHour(h, tenant, 'IN')).toEqual({ sends: 5, verified: 0, balance: -2500 });

      h.requests.reset();
      const refused = await rejection(issue(h.deps, smsIssue(tenant, ownPrefix(6))), RateLimitedError);
      // Tripped in the 12:00 hour: that hour's verdict holds through 13:00-14:00.
      expect(refused).toMatchObject({ reason: 'conversion-breaker', retryAfterSeconds: 7200 });
      expect(h.requests.counts).toEqual({ TransactWriteItemsCommand: 1 });
      await expectNothingCharged(h, tenant, ownPrefix(6), 5, 5);
      expect(await countryHour(h, tenant, 'IN')).toEqual({ sends: 5, verified: 0, balance: -2500 });
      expect(await prefixSends(h, tenant, ownPrefix(6))).toBe(0);
      // Only that country is stopped.
      await expect(issue(h.deps, smsIssue(tenant, '+14155552671'))).resolves.toMatchObject({ resent: false });
    });

    it('opens for numbers of no region too (+881 satellite): their calling code has its own breaker', async () => {
      const h = await engineHarness();
      const tenant = breakerTenant({ allowedRegions: ['*'] });
      const satellite = (i: number) => `+8816${String(10 + i)}345678`;
      await issueAll(h, tenant, [1, 2, 3, 4, 5].map(satellite));
      expect(await countryHour(h, tenant, '+881')).toEqual({ sends: 5, verified: 0, balance: -2500 });
      const refused = await rejection(issue(h.deps, smsIssue(tenant, satellite(6))), RateLimitedError);
      expect(refused).toMatchObject({ reason: 'conversion-breaker' });
      expect(h.sent).toHaveLength(5);
      // Only that calling code is stopped.
      await expect(issue(h.deps, smsIssue(tenant, ownPrefix(1)))).resolves.toMatchObject({ resent: false });
    });

    it('charges no breaker at all with minConversionRatio 0 (the breaker off): no item, nothing on the code', async () => {
      const h = await engineHarness();
      const tenant = breakerTenant({ minConversionRatio: 0 });
      const [req] = await issueAll(h, tenant, [1, 2, 3, 4, 5, 6].map(ownPrefix));
      expect(h.sent).toHaveLength(6);
      // Off means off: no counter a breaker would judge, and no breaker for a verify to credit.
      const items = await scanItems(h.ddb, h.tableName);
      expect(items.filter((i) => String(i.pk).includes('#CC#'))).toEqual([]);
      const challenge = await readItem(
        h.ddb,
        h.tableName,
        keysFor(tenant, 'test:login', ownPrefix(1), 0).challenge,
      );
      expect(challenge).toBeDefined();
      expect(challenge?.breakers).toBeUndefined();
      await verify(h.deps, verifyOf(req as IssueRequest, lastCode(h.sent, ownPrefix(1))));
    });

    it('trips exactly at minConversionRatio: a ratio equal to it passes, one verify less refuses', async () => {
      const h = await engineHarness();
      const tenant = breakerTenant({ minConversionRatio: 0.4 });
      const reqs = await issueAll(h, tenant, [1, 2, 3, 4, 5].map(ownPrefix));
      for (const req of reqs.slice(0, 2)) await verify(h.deps, verifyOf(req, lastCode(h.sent, req.subject)));
      // 2 verified of 5 sent is 0.4: the sixth send passes.
      expect(await countryHour(h, tenant, 'IN')).toEqual({ sends: 5, verified: 2, balance: 0 });
      await issue(h.deps, smsIssue(tenant, ownPrefix(6)));
      // 2 of 6 is under 0.4: the seventh is refused.
      const refused = await rejection(issue(h.deps, smsIssue(tenant, ownPrefix(7))), RateLimitedError);
      expect(refused.reason).toBe('conversion-breaker');
    });

    it('stays closed under healthy conversion, crediting each verify in its single request', async () => {
      const h = await engineHarness();
      const tenant = breakerTenant();
      for (let i = 0; i < 20; i++) {
        const req = smsIssue(tenant, ownPrefix(i));
        await issue(h.deps, req);
        // Two of every three codes are entered: 0.67 verified per send, above 0.5.
        if (i % 3 === 2) continue;
        h.requests.reset();
        await verify(h.deps, verifyOf(req, lastCode(h.sent, req.subject)));
        expect(h.requests.counts).toEqual({ UpdateItemCommand: 1, TransactWriteItemsCommand: 1 });
      }
      expect(h.sent).toHaveLength(20);
      expect(await countryHour(h, tenant, 'IN')).toEqual({ sends: 20, verified: 14, balance: 4000 });
    });

    it('closes again when the outstanding codes are verified', async () => {
      const h = await engineHarness();
      const tenant = breakerTenant();
      const reqs = await issueAll(h, tenant, [1, 2, 3, 4, 5].map(ownPrefix));
      await rejection(issue(h.deps, smsIssue(tenant, ownPrefix(6))), RateLimitedError);
      for (const req of reqs.slice(0, 3)) await verify(h.deps, verifyOf(req, lastCode(h.sent, req.subject)));
      expect(await countryHour(h, tenant, 'IN')).toEqual({ sends: 5, verified: 3, balance: 500 });
      await expect(issue(h.deps, smsIssue(tenant, ownPrefix(6)))).resolves.toMatchObject({ resent: false });
    });

    it('stays open through the next hour and closes when that hour rolls over', async () => {
      const h = await engineHarness();
      const tenant = breakerTenant();
      await issueAll(h, tenant, [1, 2, 3, 4, 5].map(ownPrefix));
      await rejection(issue(h.deps, smsIssue(tenant, ownPrefix(6))), RateLimitedError);

      h.clock.advance(HOUR);
      const refused = await rejection(issue(h.deps, smsIssue(tenant, ownPrefix(6))), RateLimitedError);
      expect(refused).toMatchObject({ reason: 'conversion-breaker', retryAfterSeconds: 3600 });
      expect(await countryHour(h, tenant, 'IN')).toEqual({ sends: 0, verified: 0, balance: 0 });

      h.clock.advance(HOUR);
      await expect(issue(h.deps, smsIssue(tenant, ownPrefix(6)))).resolves.toMatchObject({ resent: false });
      expect(await countryHour(h, tenant, 'IN')).toEqual({ sends: 1, verified: 0, balance: -500 });
    });

    it('counts resends as sends', async () => {
      const h = await engineHarness();
      const tenant = breakerTenant({ conversionMinSends: 3 });
      const [req] = await issueAll(h, tenant, [ownPrefix(1)]);
      if (!req) throw new Error('no request');
      for (let i = 0; i < 2; i++) {
        h.clock.advance(30_000);
        await issue(h.deps, req);
      }
      // One verify for three SMS of one code: 0.33 per send.
      await verify(h.deps, verifyOf(req, lastCode(h.sent)));
      expect(await countryHour(h, tenant, 'IN')).toEqual({ sends: 3, verified: 1, balance: -500 });
      const refused = await rejection(issue(h.deps, smsIssue(tenant, ownPrefix(2))), RateLimitedError);
      expect(refused.reason).toBe('conversion-breaker');
    });

    it('refunds the breaker charge when every channel fails', async () => {
      const h = await engineHarness({ fail: ['SMS'] });
      const tenant = breakerTenant();
      for (let i = 0; i < 6; i++) {
        await rejection(issue(h.deps, smsIssue(tenant, ownPrefix(i))), DeliveryFailedError);
      }
      expect(await countryHour(h, tenant, 'IN')).toEqual({ sends: 0, verified: 0, balance: 0 });
    });

    it('does not credit a verify of a code the breaker did not count (e-mailed to a phone subject)', async () => {
      const h = await engineHarness();
      const tenant = breakerTenant();
      const req = smsIssue(tenant, ownPrefix(1), 'test:login', {
        deliveries: [{ channel: 'EMAIL', to: EMAIL }],
      });
      await issue(h.deps, req);
      const code = lastCode(h.sent);
      h.requests.reset();
      await rejection(verify(h.deps, verifyOf(req, wrongCodeFor(code))), InvalidCodeError);
      expect(h.requests.counts).toEqual({ UpdateItemCommand: 1, TransactWriteItemsCommand: 1 });
      h.requests.reset();
      await expect(verify(h.deps, verifyOf(req, code))).resolves.toBeDefined();
      // The challenge names no breaker, so the consume credits none: still two requests.
      expect(h.requests.counts).toEqual({ UpdateItemCommand: 1, TransactWriteItemsCommand: 1 });
      expect(await countryHour(h, tenant, 'IN')).toEqual({ sends: 0, verified: 0, balance: 0 });
      await rejection(verify(h.deps, verifyOf(req, code)), NoActiveCodeError);
    });

    it('counts and credits messages to numbers other than the subject (the challenge names its breakers)', async () => {
      const h = await engineHarness();
      const tenant = breakerTenant({ conversionMinSends: 1, maxSendsPerPrefixPerHour: 5 });
      for (let i = 0; i < 3; i++) {
        const req = smsIssue(tenant, `user:${i}`, 'test:login', {
          deliveries: [phoneDelivery('SMS', samePrefix(i))],
        });
        await issue(h.deps, req);
        await verify(h.deps, verifyOf(req, lastCode(h.sent)));
      }
      // The verify reads the challenge when it reserves the attempt, so it knows which breakers
      // counted the code's messages whoever the subject is: a pumper cannot hide behind a user id.
      expect(await countryHour(h, tenant, 'IN')).toEqual({ sends: 3, verified: 3, balance: 1500 });
      expect(await prefixSends(h, tenant, samePrefix(0))).toBe(3);
    });
  });

  describe('issue › safe list', () => {
    it('lets safe-listed numbers past the velocity limit without counting them', async () => {
      const h = await engineHarness();
      const tenant = testTenant({
        policy: {
          maxSendsPerPrefixPerHour: 1,
          minConversionRatio: 0,
          safeList: ['+91995588000', '+919955880042'],
        },
      });
      for (const phone of [samePrefix(1), samePrefix(2), samePrefix(3), samePrefix(42)]) {
        await expect(issue(h.deps, smsIssue(tenant, phone))).resolves.toMatchObject({ resent: false });
      }
      expect(await prefixSends(h, tenant, samePrefix(1))).toBe(0);
      // A number of the same prefix outside the list still meets the limit.
      await issue(h.deps, smsIssue(tenant, samePrefix(100)));
      const refused = await rejection(issue(h.deps, smsIssue(tenant, samePrefix(101))), RateLimitedError);
      expect(refused.reason).toBe('prefix-velocity');
      expect(await prefixSends(h, tenant, samePrefix(1))).toBe(1);
    });

    it('lets safe-listed numbers past an open breaker, and does not credit their verifies', async () => {
      const h = await engineHarness();
      const qa = ownPrefix(9);
      const tenant = testTenant({
        policy: {
          conversionMinSends: 2,
          minConversionRatio: 0.5,
          maxSendsPerPrefixPerHour: 1000,
          safeList: [qa],
        },
      });
      await issueAll(h, tenant, [ownPrefix(1), ownPrefix(2)]);
      await rejection(issue(h.deps, smsIssue(tenant, ownPrefix(3))), RateLimitedError);

      const req = smsIssue(tenant, qa);
      await expect(issue(h.deps, req)).resolves.toMatchObject({ resent: false });
      h.requests.reset();
      await verify(h.deps, verifyOf(req, lastCode(h.sent, qa)));
      expect(h.requests.counts).toEqual({ UpdateItemCommand: 1, TransactWriteItemsCommand: 1 });
      expect(await countryHour(h, tenant, 'IN')).toEqual({ sends: 2, verified: 0, balance: -1000 });
      const refused = await rejection(issue(h.deps, smsIssue(tenant, ownPrefix(3))), RateLimitedError);
      expect(refused.reason).toBe('conversion-breaker');
    });

    it('never bypasses the allowed countries', async () => {
      const h = await engineHarness();
      const tenant = testTenant({ policy: { safeList: ['+44'] } });
      await rejection(issue(h.deps, smsIssue(tenant, '+447911123456')), CountryNotAllowedError);
      expect(h.sent).toHaveLength(0);
    });

    it('never bypasses the per-destination daily limit', async () => {
      const h = await engineHarness();
      const tenant = testTenant({ policy: { maxDailySendsPerDestination: 1, safeList: [samePrefix(1)] } });
      await issue(h.deps, smsIssue(tenant, samePrefix(1), 'a'));
      const refused = await rejection(issue(h.deps, smsIssue(tenant, samePrefix(1), 'b')), RateLimitedError);
      expect(refused.reason).toBe('destination-daily');
    });
  });

  describe('issue › e-mail', () => {
    it('is not counted or limited by either defence', async () => {
      const h = await engineHarness();
      const tenant = testTenant({
        policy: { maxSendsPerPrefixPerHour: 1, conversionMinSends: 1, minConversionRatio: 1 },
      });
      for (let i = 0; i < 4; i++) {
        const to = `user${i}@example.com`;
        h.requests.reset();
        await issue(h.deps, {
          tenant,
          purpose: 'test:login',
          subject: to,
          deliveries: [{ channel: 'EMAIL', to }],
          content: { ...BUILT_IN_TEMPLATES },
        });
        // The first send of the day in this process also reads the tenant day's shards beside
        // its transaction (engine/whole-limits.ts), and never a breaker's: e-mail has none.
        expect(h.requests.counts).toEqual({
          TransactWriteItemsCommand: 1,
          ...(i === 0 && { BatchGetItemCommand: 1 }),
        });
      }
      // Trip the breaker for India, then e-mail a code to an Indian phone subject: it goes out.
      await issueAll(h, tenant, [ownPrefix(1)]);
      await rejection(issue(h.deps, smsIssue(tenant, ownPrefix(2))), RateLimitedError);
      const mail = smsIssue(tenant, ownPrefix(2), 'test:login', {
        deliveries: [{ channel: 'EMAIL', to: EMAIL }],
      });
      await expect(issue(h.deps, mail)).resolves.toMatchObject({ resent: false });
      expect(h.sent.filter((m) => m.channel === 'EMAIL')).toHaveLength(5);
      const pumpingItems = (await scanItems(h.ddb, h.tableName)).filter((item) =>
        /#(PX|CC)#/.test(String(item.pk)),
      );
      // Only the one SMS left counters: its prefix and its country.
      expect(pumpingItems).toHaveLength(2);
      expect(await countryHour(h, tenant, 'IN')).toMatchObject({ sends: 1 });
    });
  });
});
