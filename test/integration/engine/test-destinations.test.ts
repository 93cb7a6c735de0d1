import { SESClient, SendEmailCommand } from '@aws-sdk/client-ses';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { describe, expect, it } from '@jest/globals';
import { mockClient } from 'aws-sdk-client-mock';
import { createAwsSenders } from '../../../shared/channels/aws';
import { issue, verify } from '../../../shared/engine';
import { settle } from '../../../shared/engine/settle';
import { verificationStatus } from '../../../shared/engine/status';
import type { Delivery, IssueRequest } from '../../../shared/engine/types';
import {
  CodeExpiredError,
  DestinationLockedError,
  InvalidCodeError,
  InvalidInputError,
  NoActiveCodeError,
  RateLimitedError,
  TooManyAttemptsError,
} from '../../../shared/errors';
import { tenantConfigSchema } from '../../../shared/tenant-config';
import { recordingEvents, schemaErrors } from '../../support/events';
import {
  dayCounters,
  engineHarness,
  keysFor,
  logsOf,
  phoneDelivery,
  rejection,
  scanItems,
  smsIssue,
  testTenant,
  verifyOf,
  wrongCodeFor,
} from '../../support/harness';

/** Twilio's magic test number: a US "personal number" that no channel may reach. */
const TEST_PHONE = '+15005550006';
const TEST_EMAIL = 'test@example.com';
const CODE = '123456';
/** A real US mobile-or-fixed number one digit away from a listed one. */
const LISTED_REAL = '+12015550124';
const NEIGHBOUR = '+12015550123';

/** A tenant with test destinations, written through the same checks as `tenant put`. */
const tenantWithTests = (policy: Record<string, unknown> = {}) => {
  const base = testTenant({ policy: { allowedRegions: ['US'], ...policy } });
  return tenantConfigSchema.parse({
    ...base,
    testDestinations: [
      { to: TEST_PHONE, code: CODE },
      { to: TEST_EMAIL, code: CODE },
      { to: LISTED_REAL, code: '654321' },
    ],
  });
};

const emailTo = (to: string): Delivery => ({ channel: 'EMAIL', to });

/** Engine harness whose SMS and e-mail go through the real AWS senders into mocked clients. */
const seamHarness = async () => {
  const h = await engineHarness();
  const sns = new SNSClient({ region: 'us-east-1' });
  const ses = new SESClient({ region: 'us-east-1' });
  const snsMock = mockClient(sns);
  const sesMock = mockClient(ses);
  snsMock.on(PublishCommand).resolves({ MessageId: 'm-1' });
  sesMock.on(SendEmailCommand).resolves({ MessageId: 'e-1' });
  h.deps.senders = createAwsSenders({ sesFrom: 'no-reply@example.com', clients: { sns, ses } });
  const events = recordingEvents();
  h.deps.events = events.publisher;
  return { ...h, snsMock, sesMock, events };
};

/** Every item of the table is this one challenge: no counter of any kind was written. */
const onlyChallenge = async (
  h: Awaited<ReturnType<typeof engineHarness>>,
  req: IssueRequest,
): Promise<Record<string, unknown>> => {
  const items = await scanItems(h.ddb, h.tableName);
  const key = keysFor(req.tenant, req.purpose, req.subject, h.clock.now()).challenge;
  expect(items.map((i) => `${i.pk}|${i.sk}`)).toEqual([`${key.pk}|${key.sk}`]);
  return items[0] as Record<string, unknown>;
};

describe('engine', () => {
  describe('issue › test destinations', () => {
    it('issues the fixed code to a test phone and e-mail, sends nothing and charges no counter', async () => {
      const h = await seamHarness();
      const tenant = tenantWithTests();
      const req = smsIssue(tenant, TEST_PHONE, 'test:login', {
        deliveries: [phoneDelivery('SMS', TEST_PHONE), phoneDelivery('VOICE', TEST_PHONE)],
      });
      h.requests.reset();
      const issued = await issue(h.deps, req);
      expect(issued).toMatchObject({ resent: false, sendCount: 1 });
      expect(issued.results).toEqual([
        { channel: 'SMS', to: TEST_PHONE, ok: true },
        { channel: 'VOICE', to: TEST_PHONE, ok: true },
      ]);
      // One conditional PutItem: no transaction, no counter.
      expect(h.requests.counts).toEqual({ PutItemCommand: 1 });
      expect(h.snsMock).toHaveReceivedCommandTimes(PublishCommand, 0);
      const item = await onlyChallenge(h, req);
      expect(item).toMatchObject({ test: true, attempts: 0 });

      const email = { ...req, subject: TEST_EMAIL, deliveries: [emailTo(TEST_EMAIL)] };
      await issue(h.deps, email);
      expect(h.sesMock).toHaveReceivedCommandTimes(SendEmailCommand, 0);
      expect(await dayCounters(h.ddb, h.tableName, tenant, TEST_PHONE, h.clock.now())).toEqual({
        sends: 0,
        failures: 0,
        tenantSends: 0,
      });

      await verify(h.deps, verifyOf(req, CODE));
      await verify(h.deps, verifyOf(email, CODE));
    });

    it('keeps the code single use: a second verify of the fixed code fails', async () => {
      const h = await seamHarness();
      const req = smsIssue(tenantWithTests(), TEST_PHONE);
      await issue(h.deps, req);
      const right = await Promise.allSettled(
        Array.from({ length: 20 }, () => verify(h.deps, verifyOf(req, CODE))),
      );
      expect(right.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      await rejection(verify(h.deps, verifyOf(req, CODE)), NoActiveCodeError);
      // The next generate makes a fresh code: the same fixed code, verifiable once more.
      expect(await issue(h.deps, req)).toMatchObject({ resent: false });
      await verify(h.deps, verifyOf(req, CODE));
    });

    it('keeps the attempt limits: 200 parallel wrong guesses are 5 compared, the right one then refused', async () => {
      const h = await seamHarness();
      const tenant = tenantWithTests();
      const req = smsIssue(tenant, TEST_PHONE);
      await issue(h.deps, req);
      const guesses = await Promise.allSettled(
        Array.from({ length: 200 }, () => verify(h.deps, verifyOf(req, wrongCodeFor(CODE)))),
      );
      const reasons = guesses.map((g) => (g.status === 'rejected' ? (g.reason as Error).name : 'accepted'));
      expect(reasons.filter((r) => r === 'InvalidCodeError')).toHaveLength(5);
      expect(reasons.filter((r) => r === 'TooManyAttemptsError')).toHaveLength(195);
      // Locked like any other code: the known code no longer verifies, a generate cannot reset it.
      await rejection(verify(h.deps, verifyOf(req, CODE)), TooManyAttemptsError);
      expect((await rejection(issue(h.deps, req), TooManyAttemptsError)).message).toBe(
        'The code is locked until it expires',
      );
      // The wrong guesses were charged to the test number's daily failure budget.
      expect((await dayCounters(h.ddb, h.tableName, tenant, TEST_PHONE, h.clock.now())).failures).toBe(5);
    });

    it('locks the test number for the day once its daily failure budget is spent, fixed code or not', async () => {
      const h = await seamHarness();
      const tenant = tenantWithTests({ maxDailyFailuresPerDestination: 3 });
      const req = smsIssue(tenant, TEST_PHONE);
      await issue(h.deps, req);
      for (let i = 0; i < 3; i++) await rejection(verify(h.deps, verifyOf(req, '000000')), InvalidCodeError);
      await rejection(verify(h.deps, verifyOf(req, CODE)), DestinationLockedError);
      // Another purpose's fresh code for the same number: still locked at verify.
      const other = { ...req, purpose: 'test:other' };
      await issue(h.deps, other);
      await rejection(verify(h.deps, verifyOf(other, CODE)), DestinationLockedError);
    });

    it('answers 200 parallel generates to one test number with the one code, charging nothing', async () => {
      const h = await seamHarness();
      // Limits that one ordinary message would exhaust.
      const tenant = tenantWithTests({
        maxDailySendsPerTenant: 1,
        maxMessagesPerRecipientWindow: 1,
        maxDailySendsPerDestination: 1,
        maxSendsPerPrefixPerHour: 1,
        conversionMinSends: 1,
        maxSendsPerCode: 1,
      });
      const req = smsIssue(tenant, TEST_PHONE);
      h.requests.reset();
      const results = await Promise.allSettled(Array.from({ length: 200 }, () => issue(h.deps, req)));
      const issued = results.map((r) => (r.status === 'fulfilled' ? r.value : undefined));
      expect(issued.filter((i) => i === undefined)).toHaveLength(0);
      expect(issued.filter((i) => i?.resent === false)).toHaveLength(1);
      expect(new Set(issued.map((i) => i?.challengeId)).size).toBe(1);
      // 200 single-item puts, 199 of them refused by the live code; no transaction, nothing else.
      expect(h.requests.counts).toEqual({ PutItemCommand: 200 });
      await onlyChallenge(h, req);
      expect(h.snsMock).toHaveReceivedCommandTimes(PublishCommand, 0);
      await verify(h.deps, verifyOf(req, CODE));
    });

    it('gives a destination not on the list a random code, a real send and the normal limits', async () => {
      const h = await seamHarness();
      const tenant = tenantWithTests({ maxMessagesPerRecipientWindow: 2 });
      const req = smsIssue(tenant, NEIGHBOUR);
      await issue(h.deps, req);
      expect(h.snsMock).toHaveReceivedCommandTimes(PublishCommand, 1);
      const sent = h.snsMock.commandCalls(PublishCommand)[0]?.args[0].input;
      expect(sent?.PhoneNumber).toBe(NEIGHBOUR);
      expect(await dayCounters(h.ddb, h.tableName, tenant, NEIGHBOUR, h.clock.now())).toEqual({
        sends: 1,
        failures: 0,
        tenantSends: 1,
      });
      // Neither of the list's codes: the code in the message is the one that verifies.
      const code = /\d{6}/.exec(sent?.Message ?? '')?.[0] ?? '';
      await rejection(verify(h.deps, verifyOf(req, '654321')), InvalidCodeError);
      await verify(h.deps, verifyOf(req, code));
      // And its window holds: a third message within 10 minutes is refused.
      await issue(h.deps, { ...req, purpose: 'test:b' });
      await rejection(issue(h.deps, { ...req, purpose: 'test:c' }), RateLimitedError);
      expect(h.snsMock).toHaveReceivedCommandTimes(PublishCommand, 2);
      // The listed real number beside it gets its own fixed code and no message.
      await issue(h.deps, smsIssue(tenant, LISTED_REAL));
      await verify(h.deps, verifyOf(smsIssue(tenant, LISTED_REAL), '654321'));
      expect(h.snsMock).toHaveReceivedCommandTimes(PublishCommand, 2);
    });

    it('refuses a request that mixes a test destination with a real subject or destination, writing nothing', async () => {
      const h = await seamHarness();
      const tenant = tenantWithTests();
      const mixes: IssueRequest[] = [
        // A customer's number as the subject, the message pointed at the test number (v2 channels).
        smsIssue(tenant, NEIGHBOUR, 'test:a', { deliveries: [phoneDelivery('SMS', TEST_PHONE)] }),
        // The test number as the subject, the message to a real number.
        smsIssue(tenant, TEST_PHONE, 'test:b', { deliveries: [phoneDelivery('SMS', NEIGHBOUR)] }),
        // One request, a test and a real destination.
        smsIssue(tenant, TEST_PHONE, 'test:c', {
          deliveries: [phoneDelivery('SMS', TEST_PHONE), emailTo('someone@example.com')],
        }),
        smsIssue(tenant, TEST_EMAIL, 'test:e', { deliveries: [emailTo('someone@example.com')] }),
        // A customer's e-mail address as the subject, the message pointed at the test e-mail.
        smsIssue(tenant, 'someone@example.com', 'test:f', { deliveries: [emailTo(TEST_EMAIL)] }),
      ];
      for (const req of mixes) {
        const refused = await rejection(issue(h.deps, req), InvalidInputError);
        expect(refused.field).toBe('channel');
        // capillary-v2 answers this message as is: it names the rule, not the addresses.
        expect(refused.message).toMatch(/test destination/);
      }
      // Two test destinations whose fixed codes differ: no code could serve both.
      const twoCodes = smsIssue(tenant, 'user:42', 'test:d', {
        deliveries: [phoneDelivery('SMS', TEST_PHONE), phoneDelivery('SMS', LISTED_REAL)],
      });
      const twoRefused = await rejection(issue(h.deps, twoCodes), InvalidInputError);
      expect(twoRefused.field).toBe('code');
      expect(twoRefused.message).toMatch(/different fixed codes/);
      expect(await scanItems(h.ddb, h.tableName)).toEqual([]);
      expect(h.snsMock).toHaveReceivedCommandTimes(PublishCommand, 0);
      expect(h.sesMock).toHaveReceivedCommandTimes(SendEmailCommand, 0);
      // Two test destinations with the same fixed code are one test request (control).
      const sameCode = smsIssue(tenant, 'user:43', 'test:g', {
        deliveries: [phoneDelivery('SMS', TEST_PHONE), emailTo(TEST_EMAIL)],
      });
      await expect(issue(h.deps, sameCode)).resolves.toMatchObject({ resent: false });
      await verify(h.deps, verifyOf(sameCode, CODE));
    });

    it('serves a user-id subject whose contact is a test number, and never sends its code elsewhere', async () => {
      const h = await seamHarness();
      const tenant = tenantWithTests();
      // SummitAI's subject is the user, its contact the test number.
      const toTest = smsIssue(tenant, 'user:967', 'adm:login', {
        deliveries: [phoneDelivery('SMS', TEST_PHONE)],
      });
      await issue(h.deps, toTest);
      // The contact changes to a real number while the test code is live: the fixed code is not sent there.
      const toReal = { ...toTest, deliveries: [phoneDelivery('SMS', NEIGHBOUR)] };
      h.clock.advance(60_000);
      expect(await rejection(issue(h.deps, toReal), InvalidInputError)).toMatchObject({
        field: 'channel',
        message: 'A test code is live for this subject; it is never sent elsewhere',
      });
      expect(h.snsMock).toHaveReceivedCommandTimes(PublishCommand, 0);
      // Once it is cancelled, the real number gets a fresh random code as usual.
      await settle(h.deps, { tenant, purpose: toTest.purpose, subject: toTest.subject }, 'canceled');
      await issue(h.deps, toReal);
      expect(h.snsMock).toHaveReceivedCommandTimes(PublishCommand, 1);
      // …and the other way round: a live real code is not replaced by the fixed one.
      h.clock.advance(60_000);
      expect(await rejection(issue(h.deps, toTest), InvalidInputError)).toMatchObject({
        field: 'channel',
        message: 'A code sent to another destination is live for this subject',
      });
      await rejection(verify(h.deps, verifyOf(toTest, CODE)), InvalidCodeError);
    });

    it('refuses to answer "sent" for a live test code whose fixed code the tenant changed since', async () => {
      const h = await seamHarness();
      const tenant = tenantWithTests();
      const req = smsIssue(tenant, TEST_PHONE);
      await issue(h.deps, req);
      const changed = {
        ...tenant,
        testDestinations: tenant.testDestinations.map((d) =>
          d.to === TEST_PHONE ? { ...d, code: '111111' } : d,
        ),
      };
      expect(await rejection(issue(h.deps, { ...req, tenant: changed }), InvalidInputError)).toMatchObject({
        field: 'code',
        message: 'The live test code predates a change of the fixed code',
      });
      // The unchanged code is still live and answers as its resend.
      expect(await issue(h.deps, req)).toMatchObject({ resent: true });
    });

    it('lets a test code expire and be cancelled like any other', async () => {
      const h = await seamHarness();
      const tenant = tenantWithTests({ ttlSeconds: 60 });
      const req = smsIssue(tenant, TEST_PHONE);
      await issue(h.deps, req);
      h.clock.advance(61_000);
      await rejection(verify(h.deps, verifyOf(req, CODE)), CodeExpiredError);
      expect(await issue(h.deps, req)).toMatchObject({ resent: false });
      await settle(h.deps, { tenant, purpose: req.purpose, subject: req.subject }, 'canceled');
      await rejection(verify(h.deps, verifyOf(req, CODE)), NoActiveCodeError);
    });

    it('refuses a custom code that differs from the fixed one, and accepts the same', async () => {
      const h = await seamHarness();
      const req = smsIssue(tenantWithTests(), TEST_PHONE);
      expect(await rejection(issue(h.deps, { ...req, code: '999999' }), InvalidInputError)).toMatchObject({
        field: 'code',
        message: 'A test destination takes its fixed code only',
      });
      await issue(h.deps, { ...req, code: CODE });
      await verify(h.deps, verifyOf(req, CODE));
    });

    it('serves an anonymous caller too, with the anonymous share of the failure budget', async () => {
      const h = await seamHarness();
      const tenant = tenantWithTests({ anonymous: { maxDailyFailures: 2 } });
      const req = smsIssue(tenant, TEST_PHONE, 'ae:APP:s1', { caller: 'anonymous' });
      await issue(h.deps, req);
      expect(logsOf(h.logLines, 'otp issued')).toEqual([
        expect.objectContaining({ caller: 'anonymous', test: true }),
      ]);
      const anonymous = { ...verifyOf(req, '000000'), caller: 'anonymous' as const };
      await rejection(verify(h.deps, anonymous), InvalidCodeError);
      await rejection(verify(h.deps, anonymous), InvalidCodeError);
      await rejection(verify(h.deps, { ...anonymous, code: CODE }), DestinationLockedError);
    });

    it('marks its events and log lines test: true, valid against the committed schemas, without the code', async () => {
      const h = await seamHarness();
      const tenant = tenantWithTests();
      const req = smsIssue(tenant, TEST_PHONE);
      await issue(h.deps, req);
      await rejection(verify(h.deps, verifyOf(req, '000000')), InvalidCodeError);
      await verify(h.deps, verifyOf(req, CODE));
      expect(h.events.types()).toEqual(['otp.issued', 'otp.sent', 'otp.attempt_failed', 'otp.approved']);
      // `verification show` says so too.
      expect(await verificationStatus(h.deps, tenant, req.purpose, req.subject)).toMatchObject({
        status: 'approved',
        test: true,
      });
      for (const event of h.events.events) {
        expect(event).toMatchObject({ test: true });
        expect(schemaErrors(event)).toEqual([]);
      }
      // An ordinary code's events carry no test field.
      await issue(h.deps, smsIssue(tenant, NEIGHBOUR));
      expect(h.events.ofType('otp.issued')[1]).not.toHaveProperty('test');

      const lines = h.logLines.map((l) => JSON.parse(l) as Record<string, unknown>);
      const test = lines.filter((l) => l.test === true).map((l) => l.message);
      expect(test).toEqual(['otp issued', 'otp rejected', 'otp verified']);
      expect(logsOf(h.logLines, 'otp issued')[0]).toMatchObject({ caller: 'authenticated', test: true });
      expect(h.logLines.join('\n')).not.toContain(CODE);
      expect(h.logLines.join('\n')).not.toContain(TEST_PHONE);
    });

    it('treats the test number as any other when the list is empty (the default): number policy refuses it', async () => {
      const h = await seamHarness();
      const req = smsIssue(testTenant({ policy: { allowedRegions: ['US'] } }), TEST_PHONE);
      // +1 500 is a "personal number" range: no channel may reach it.
      expect((await rejection(issue(h.deps, req), InvalidInputError)).field).toBe('phone');
      expect(await scanItems(h.ddb, h.tableName)).toEqual([]);
      expect(h.snsMock).toHaveReceivedCommandTimes(PublishCommand, 0);
    });
  });
});
