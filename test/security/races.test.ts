import { describe, expect, it } from '@jest/globals';
import { createHandler as capillaryV2Handler } from '../../functions/capillary-v2';
import { TWILIO_DEMO } from '../../local/demo/twilio-verify';
import { issue, verify } from '../../shared/engine';
import type { IssueRequest } from '../../shared/engine/types';
import { NoActiveCodeError, OtpError, RateLimitedError, ServiceUnavailableError } from '../../shared/errors';
import { BUILT_IN_TEMPLATES } from '../../shared/templates';
import type { Tenant } from '../../shared/tenants';
import { apiEvent, appHarness, invoke } from '../support/app-harness';
import {
  dayCounters,
  engineHarness,
  keysFor,
  lastCode,
  readItem,
  scanItems,
  smsIssue,
  testTenant,
  verifyOf,
} from '../support/harness';
import { callDialect, type SecurityHarness, securityHarness } from '../support/security';
import { simulateTransactionConflicts } from '../support/store-traffic';

const PHONE = '+919812345670';
const EMAIL = 'race.target@example.com';

/**
 * An e-mail issue. The generate races use e-mail on purpose: the per-destination rules under test
 * (daily sends, one live code) apply to every channel, while SMS also passes the per-prefix and
 * per-country pumping counters, whose own tests live in test/integration/engine/sms-pumping.
 */
const emailIssue = (tenant: Tenant, purpose: string): IssueRequest => ({
  tenant,
  purpose,
  subject: EMAIL,
  deliveries: [{ channel: 'EMAIL', to: EMAIL }],
  content: { ...BUILT_IN_TEMPLATES },
});

/** Settled results counted as `ok` or by error (a RateLimitedError by its reason). */
const tally = (results: PromiseSettledResult<unknown>[]): Record<string, number> => {
  const counts: Record<string, number> = {};
  for (const r of results) {
    const key =
      r.status === 'fulfilled'
        ? 'ok'
        : r.reason instanceof RateLimitedError
          ? `RateLimitedError:${r.reason.reason}`
          : r.reason instanceof Error
            ? r.reason.name
            : String(r.reason);
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
};

/** Challenge items (sk `CH#…`) of the whole table. */
const challengeItems = async (h: Awaited<ReturnType<typeof engineHarness>>) =>
  (await scanItems(h.ddb, h.tableName)).filter((i) => String(i.sk).startsWith('CH#'));

describe('security › races (DynamoDB Local)', () => {
  describe('engine › verify', () => {
    it('gives exactly one success among 50 parallel verifies of one code', async () => {
      const h = await engineHarness();
      const tenant = testTenant();
      const req = smsIssue(tenant, PHONE);
      await issue(h.deps, req);
      const code = lastCode(h.sent);

      const results = await Promise.allSettled(
        Array.from({ length: 50 }, () => verify(h.deps, verifyOf(req, code))),
      );

      // One success; the losers either found no guess left to reserve (count before compare:
      // at most five are ever compared) or saw the winner's consumedAt. Never a 503.
      const counts = tally(results);
      expect(counts.ok).toBe(1);
      expect(Object.keys(counts).sort()).toEqual(
        ['NoActiveCodeError', 'TooManyAttemptsError', 'ok'].filter((k) => k in counts),
      );
      expect((counts.NoActiveCodeError ?? 0) + (counts.TooManyAttemptsError ?? 0)).toBe(49);
      const item = await readItem(
        h.ddb,
        h.tableName,
        keysFor(tenant, req.purpose, PHONE, h.clock.now()).challenge,
      );
      expect(item).toMatchObject({ consumedAt: h.clock.now() });
      expect(Number(item?.attempts)).toBeLessThanOrEqual(tenant.policy.maxAttemptsPerCode);
      // A consumed code is no failure: the destination's day shows none.
      expect((await dayCounters(h.ddb, h.tableName, tenant, PHONE, h.clock.now())).failures).toBe(0);
    });
  });

  describe('capillary-v2 › /v2/otp/validate', () => {
    it('answers entity:true exactly once to 50 parallel validates of one code', async () => {
      const h = await appHarness();
      const handler = capillaryV2Handler(h.deps);
      const headers = { authorization: h.basic };
      const generated = await invoke(
        handler,
        apiEvent('POST', '/v2/otp/generate', {
          headers,
          body: { entityType: 'MOBILE', entityValue: PHONE, action: 'REGISTRATION' },
        }),
      );
      expect(generated.status).toBe(200);
      const code = lastCode(h.sent, PHONE);

      const answers = await Promise.all(
        Array.from({ length: 50 }, () =>
          invoke(
            handler,
            apiEvent('POST', '/v2/otp/validate', {
              headers,
              body: { entityType: 'MOBILE', entityValue: PHONE, action: 'REGISTRATION', code },
            }),
          ),
        ),
      );

      const accepted = answers.filter((a) => a.status === 200 && a.body.entity === true);
      expect(accepted).toHaveLength(1);
      // Every other answer is the vendor's "no OTP" (604) or "invalid OTP / too many attempts"
      // (605) refusal, not an error of the service.
      const refused = answers.filter((a) => a !== accepted[0]);
      expect(refused).toHaveLength(49);
      for (const a of refused) {
        expect([
          a.status,
          [604, 605].includes((a.body.errors as Array<{ code: number }>)[0]?.code ?? 0),
        ]).toEqual([400, true]);
      }
    });
  });

  describe('twilio-verify › Verifications and VerificationCheck', () => {
    const service = `/v2/Services/${TWILIO_DEMO.serviceSid}`;
    const twilio = (h: SecurityHarness, path: string, body: Record<string, string>) =>
      callDialect(h, 'twilio-verify', 'POST', `${service}${path}`, body);

    it('approves exactly once among 50 parallel checks of the right code; the rest are 404 or 60202', async () => {
      const h = await securityHarness();
      const to = '+919812345671';
      expect((await twilio(h, '/Verifications', { To: to, Channel: 'sms' })).status).toBe(201);
      const code = lastCode(h.sent, to);
      const answers = await Promise.all(
        Array.from({ length: 50 }, () => twilio(h, '/VerificationCheck', { To: to, Code: code })),
      );
      expect(answers.filter((a) => a.status === 200 && a.body.status === 'approved')).toHaveLength(1);
      const others = answers.filter((a) => a.body.status !== 'approved');
      expect(others).toHaveLength(49);
      for (const a of others) expect([404, 429]).toContain(a.status);
      for (const a of others) expect([20404, 60202]).toContain(a.body.code);
    });

    it('lets one of 20 parallel cancels and 20 right checks win, never both', async () => {
      const h = await securityHarness();
      const to = '+919812345672';
      const created = await twilio(h, '/Verifications', { To: to, Channel: 'sms' });
      const code = lastCode(h.sent, to);
      const answers = await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          i % 2 === 0
            ? twilio(h, `/Verifications/${created.body.sid}`, { Status: 'canceled' })
            : twilio(h, '/VerificationCheck', { To: to, Code: code }),
        ),
      );
      const won = answers.filter(
        (a) => a.status === 200 && ['approved', 'canceled'].includes(String(a.body.status)),
      );
      expect(won).toHaveLength(1);
      // Whichever won, the verification is gone now.
      expect(
        (
          await callDialect(
            h,
            'twilio-verify',
            'GET',
            `${service}/Verifications/${created.body.sid}`,
            undefined,
          )
        ).status,
      ).toBe(404);
    });

    it('sends one message for 20 parallel creates to one To; the others are 60212', async () => {
      const h = await securityHarness();
      const to = '+919812345673';
      const answers = await Promise.all(
        Array.from({ length: 20 }, () => twilio(h, '/Verifications', { To: to, Channel: 'sms' })),
      );
      expect(answers.filter((a) => a.status === 201)).toHaveLength(1);
      expect(answers.filter((a) => a.status === 429 && a.body.code === 60212)).toHaveLength(19);
      expect(h.sent.filter((m) => m.to === to)).toHaveLength(1);
    });
  });

  describe('engine › issue', () => {
    it('delivers exactly the daily limit of 600 parallel generates to one recipient and counts exactly that', async () => {
      const h = await engineHarness();
      // A daily limit under the window (20 here), so the day's counter is what refuses the burst.
      const tenant = testTenant({
        policy: { maxDailySendsPerTenant: 1_000_000, maxDailySendsPerDestination: 15 },
      });

      // Distinct purposes: each is its own challenge, so the resend gap does not apply and only
      // the destination's daily counter stands between 600 requests and 600 messages.
      const results = await Promise.allSettled(
        Array.from({ length: 600 }, (_, i) => issue(h.deps, emailIssue(tenant, `race:${i}`))),
      );

      expect(tally(results)).toEqual({ ok: 15, 'RateLimitedError:destination-daily': 585 });
      expect(h.sent).toHaveLength(15);
      expect(await dayCounters(h.ddb, h.tableName, tenant, EMAIL, h.clock.now())).toEqual({
        sends: 15,
        failures: 0,
        tenantSends: 15,
      });
      // One challenge per delivered purpose and none for a refused one.
      expect(await challengeItems(h)).toHaveLength(15);
      // Each refusal says when the day rolls over, as the limit's error promises.
      for (const r of results) {
        if (r.status === 'rejected')
          expect((r.reason as RateLimitedError).retryAfterSeconds).toBeGreaterThan(0);
      }
    });

    it('never leaves two live codes for one (tenant, purpose, destination) under parallel generates', async () => {
      const h = await engineHarness();
      // No resend gap and a high send count, so every parallel request either wins the fresh
      // write or re-sends the winner's code: the harshest case for "one live code". The
      // recipient's window (20 a minute here) refuses the rest of each burst.
      const tenant = testTenant({
        policy: { resendGapSeconds: 0, maxSendsPerCode: 50, recipientWindowSeconds: 60 },
      });
      const req = emailIssue(tenant, 'race:same');
      const codes: string[] = [];

      // Three rounds: no code yet, the previous code expired (unused), the previous code consumed.
      // Each time the parallel generates race to replace the stored challenge.
      for (const round of ['none', 'expired', 'consumed'] as const) {
        if (round === 'expired') h.clock.advance(tenant.policy.ttlSeconds * 1000);
        if (round === 'consumed') h.clock.advance(tenant.policy.recipientWindowSeconds * 1000);
        const sentBefore = h.sent.length;
        const results = await Promise.allSettled(Array.from({ length: 30 }, () => issue(h.deps, req)));

        const issued = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
        const refusals = results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []));
        // Only the documented limits may refuse; a 503 or an unexpected error would show here.
        for (const e of refusals) expect(e).toBeInstanceOf(OtpError);
        expect(refusals.filter((e) => !(e instanceof RateLimitedError))).toEqual([]);
        expect(issued.filter((i) => !i.resent)).toHaveLength(1);
        expect(new Set(issued.map((i) => i.challengeId)).size).toBe(1);

        const roundCodes = h.sent.slice(sentBefore).map((m) => m.code);
        expect(roundCodes.length).toBe(issued.length);
        expect(new Set(roundCodes).size).toBe(1);
        const [code] = roundCodes;
        if (code === undefined) throw new Error('no code delivered');
        codes.push(code);

        const challenges = await challengeItems(h);
        expect(challenges).toHaveLength(1);
        expect(challenges[0]).toMatchObject({ id: issued[0]?.challengeId, sendCount: issued.length });
        // The round's one code verifies (and is consumed, which sets up the next round).
        if (round !== 'none') await verify(h.deps, verifyOf(req, code));
      }
      // Each round's code was a new one (the odds of a repeat are 1 in 10^6 per round).
      expect(new Set(codes).size).toBe(3);
    });
  });

  describe('with TransactionConflict simulated as DynamoDB raises it', () => {
    it('gives exactly one success per code among 50 parallel verifies of 10 codes to one recipient, and no 503', async () => {
      const h = await engineHarness();
      const tenant = testTenant();
      const requests = Array.from({ length: 10 }, (_, i) => smsIssue(tenant, PHONE, `race:${i}`));
      const codes: string[] = [];
      for (const req of requests) {
        await issue(h.deps, req);
        codes.push(lastCode(h.sent));
      }
      const stats = simulateTransactionConflicts(h.ddb);

      // Every verify that gets a reservation ends in a transaction on the recipient's day item
      // (the lock check of a right guess): ten codes at once make them overlap.
      const results = await Promise.allSettled(
        Array.from({ length: 50 }, (_, i) =>
          verify(h.deps, verifyOf(requests[i % 10] as IssueRequest, codes[i % 10] as string)),
        ),
      );

      // Control: the burst did conflict, so the retries were exercised.
      expect(stats.conflicts).toBeGreaterThan(0);
      const counts = tally(results);
      expect(counts.ok).toBe(10);
      expect(counts.ServiceUnavailableError).toBeUndefined();
      expect((counts.NoActiveCodeError ?? 0) + (counts.TooManyAttemptsError ?? 0)).toBe(40);
    });

    it('never sends past the daily limit, and charges nothing for a request it refused', async () => {
      const h = await engineHarness();
      const tenant = testTenant({ policy: { maxDailySendsPerDestination: 15 } });
      const stats = simulateTransactionConflicts(h.ddb);

      const results = await Promise.allSettled(
        Array.from({ length: 25 }, (_, i) => issue(h.deps, emailIssue(tenant, `race:${i}`))),
      );

      expect(stats.conflicts).toBeGreaterThan(0);
      const counts = tally(results);
      // A request either sent, met the limit, or ran out of conflict retries (a 503, never a 500).
      expect(
        Object.keys(counts).filter(
          (k) => !['ok', 'RateLimitedError:destination-daily', 'ServiceUnavailableError'].includes(k),
        ),
      ).toEqual([]);
      for (const r of results) {
        if (r.status === 'rejected' && !(r.reason instanceof RateLimitedError)) {
          expect(r.reason).toBeInstanceOf(ServiceUnavailableError);
        }
      }
      const ok = counts.ok ?? 0;
      expect(ok).toBeLessThanOrEqual(15);
      expect(h.sent).toHaveLength(ok);
      // The counters hold exactly what was sent: nothing for a refusal or a 503.
      expect(await dayCounters(h.ddb, h.tableName, tenant, EMAIL, h.clock.now())).toEqual({
        sends: ok,
        failures: 0,
        tenantSends: ok,
      });
      expect(await challengeItems(h)).toHaveLength(ok);
      // The limit refuses only once it is used up.
      if ((counts['RateLimitedError:destination-daily'] ?? 0) > 0) expect(ok).toBe(15);
      // With the retry budget of shared/store/dynamo.ts this burst drains in time.
      expect(counts).toEqual({ ok: 15, 'RateLimitedError:destination-daily': 10 });
    });

    it("gets 40 parallel generates to 40 destinations through the tenant's shared day counter", async () => {
      const h = await engineHarness();
      const tenant = testTenant();
      const stats = simulateTransactionConflicts(h.ddb);

      // Every fresh issue also charges the tenant's day counter: one hot item per tenant, so a
      // tenant's parallel generates conflict even when every destination differs.
      const results = await Promise.allSettled(
        Array.from({ length: 40 }, (_, i) => {
          const to = `user-${i}@example.com`;
          return issue(h.deps, {
            ...emailIssue(tenant, 'race:tenant'),
            subject: to,
            deliveries: [{ channel: 'EMAIL', to }],
          });
        }),
      );

      expect(stats.conflicts).toBeGreaterThan(0);
      expect(tally(results)).toEqual({ ok: 40 });
      expect(
        (await dayCounters(h.ddb, h.tableName, tenant, 'user-0@example.com', h.clock.now())).tenantSends,
      ).toBe(40);
    });

    it('never leaves two live codes under parallel generates of one code', async () => {
      const h = await engineHarness();
      const tenant = testTenant({ policy: { resendGapSeconds: 0, maxSendsPerCode: 50 } });
      const req = emailIssue(tenant, 'race:same');
      const stats = simulateTransactionConflicts(h.ddb);
      // (The recipient's window, 20 here, refuses the rest of the 30 with recipient-window.)

      const results = await Promise.allSettled(Array.from({ length: 30 }, () => issue(h.deps, req)));

      expect(stats.conflicts).toBeGreaterThan(0);
      const issued = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
      expect(issued.filter((i) => !i.resent)).toHaveLength(1);
      expect(new Set(issued.map((i) => i.challengeId)).size).toBe(1);
      expect(new Set(h.sent.map((m) => m.code)).size).toBe(1);
      expect(h.sent).toHaveLength(issued.length);
      const challenges = await challengeItems(h);
      expect(challenges).toHaveLength(1);
      expect(challenges[0]?.sendCount).toBe(issued.length);
      for (const r of results) {
        if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(OtpError);
      }
      await expect(verify(h.deps, verifyOf(req, lastCode(h.sent)))).resolves.toBeDefined();
      await expect(verify(h.deps, verifyOf(req, lastCode(h.sent)))).rejects.toBeInstanceOf(NoActiveCodeError);
    });
  });
});
