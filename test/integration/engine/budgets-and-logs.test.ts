import { describe, expect, it } from '@jest/globals';
import { issue, verify } from '../../../shared/engine';
import {
  CountryNotAllowedError,
  DeliveryFailedError,
  InvalidCodeError,
  InvalidInputError,
  NoActiveCodeError,
  RateLimitedError,
  TooManyAttemptsError,
} from '../../../shared/errors';
import { BUILT_IN_TEMPLATES } from '../../../shared/templates';
import {
  engineHarness,
  lastCode,
  phoneDelivery,
  recordingSenders,
  rejection,
  smsIssue,
  testTenant,
  verifyOf,
  wrongCodeFor,
} from '../../support/harness';

const PHONE = '+919955882233';
const EMAIL = 'tomsawyer@example.com';

/** Issues a code and returns the harness, the request and the delivered code. */
const issued = async () => {
  const h = await engineHarness();
  const req = smsIssue(testTenant(), PHONE);
  await issue(h.deps, req);
  return { h, req, code: lastCode(h.sent) };
};

describe('engine', () => {
  describe('request budgets (DESIGN §4)', () => {
    it('spends one TransactWriteItems on a fresh issue', async () => {
      const h = await engineHarness();
      const tenant = testTenant();
      await issue(h.deps, smsIssue(tenant, '+919955882234'));
      h.requests.reset();
      await issue(h.deps, smsIssue(tenant, PHONE));
      expect(h.requests.counts).toEqual({ TransactWriteItemsCommand: 1 });
    });

    it("reads a period's shards once per process, beside the first issue's transaction", async () => {
      const h = await engineHarness();
      h.requests.reset();
      await issue(h.deps, smsIssue(testTenant(), PHONE));
      // The tenant day's 64 shards and unsharded item (one BatchGetItem), the breaker's two hours
      // (two): started with the transaction, so no round trip of their own (engine/whole-limits.ts).
      expect(h.requests.counts).toEqual({ TransactWriteItemsCommand: 1, BatchGetItemCommand: 3 });
    });

    it('spends two requests on a resend within expiry', async () => {
      const { h, req } = await issued();
      h.clock.advance(30_000);
      h.requests.reset();
      await expect(issue(h.deps, req)).resolves.toMatchObject({ resent: true });
      expect(h.requests.counts).toEqual({ TransactWriteItemsCommand: 2 });
    });

    it('spends one request on a refused resend (no write after the refusal)', async () => {
      const { h, req } = await issued();
      h.requests.reset();
      await rejection(issue(h.deps, req), RateLimitedError);
      expect(h.requests.counts).toEqual({ TransactWriteItemsCommand: 1 });
    });

    // Count before compare: the attempt is reserved (UpdateItem) before the guess is compared,
    // and the answer waits for the failure charge or the consume (TransactWriteItems).
    it('spends two sequential requests on a successful verify: reserve, then consume', async () => {
      const { h, req, code } = await issued();
      h.requests.reset();
      await verify(h.deps, verifyOf(req, code));
      expect(h.requests.counts).toEqual({ UpdateItemCommand: 1, TransactWriteItemsCommand: 1 });
    });

    it('spends two sequential requests on a wrong code: reserve, then charge the failure', async () => {
      const { h, req, code } = await issued();
      h.requests.reset();
      await rejection(verify(h.deps, verifyOf(req, wrongCodeFor(code))), InvalidCodeError);
      expect(h.requests.counts).toEqual({ UpdateItemCommand: 1, TransactWriteItemsCommand: 1 });
    });

    it('spends one request on a verify of a used code (no reservation, nothing compared)', async () => {
      const { h, req, code } = await issued();
      await verify(h.deps, verifyOf(req, code));
      h.requests.reset();
      await rejection(verify(h.deps, verifyOf(req, code)), NoActiveCodeError);
      expect(h.requests.counts).toEqual({ UpdateItemCommand: 1 });
    });
  });

  describe('logs', () => {
    it('never contain a code or an unmasked phone number or e-mail address', async () => {
      const h = await engineHarness();
      const tenant = testTenant();
      const sms = smsIssue(tenant, PHONE);
      const mail = {
        tenant,
        purpose: 'v2:LOGIN',
        subject: EMAIL,
        deliveries: [{ channel: 'EMAIL' as const, to: EMAIL }, phoneDelivery('SMS', PHONE)],
        content: { ...BUILT_IN_TEMPLATES },
      };
      const codes = new Set<string>();
      // Fresh, resend, resend refused, wrong codes up to the lock, locked, right code.
      await issue(h.deps, sms);
      const code = lastCode(h.sent);
      h.clock.advance(30_000);
      await issue(h.deps, sms);
      await rejection(issue(h.deps, sms), RateLimitedError);
      for (let i = 0; i < 5; i++)
        await rejection(verify(h.deps, verifyOf(sms, wrongCodeFor(code))), InvalidCodeError);
      await rejection(verify(h.deps, verifyOf(sms, code)), TooManyAttemptsError);
      // E-mail with one failing and then one unconfigured channel, then a success.
      const failing = recordingSenders(['SMS']);
      h.deps.senders = failing.senders;
      await issue(h.deps, mail);
      const mailCode = lastCode(failing.sent);
      h.deps.senders = { EMAIL: failing.senders.EMAIL };
      h.clock.advance(30_000);
      await issue(h.deps, mail);
      await verify(h.deps, verifyOf(mail, mailCode));
      // Every channel failing, a disallowed country, an invalid number.
      h.deps.senders = recordingSenders(['SMS']).senders;
      await rejection(issue(h.deps, smsIssue(tenant, PHONE, 'other')), DeliveryFailedError);
      await rejection(issue(h.deps, smsIssue(tenant, '+447400123456')), CountryNotAllowedError);
      await rejection(issue(h.deps, smsIssue(tenant, '+19005551234')), InvalidInputError);
      for (const m of [...h.sent, ...failing.sent]) codes.add(m.code);
      expect(codes.size).toBe(2);

      const log = h.logLines.join('\n');
      // The checks below only mean something if the engine logged these flows, masked.
      expect(h.logLines.length).toBeGreaterThanOrEqual(12);
      expect(log).toContain('+91*******233');
      expect(log).toContain('to***@example.com');
      expect(log).toContain('channel send failed');
      expect(log).toContain('channel not configured');
      for (const secret of [PHONE.slice(1), PHONE.slice(3), 'tomsawyer', ...codes]) {
        expect({ secret, found: log.includes(secret) }).toEqual({ secret, found: false });
      }
    });
  });
});
