import { DeleteItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { describe, expect, it } from '@jest/globals';
import { issue, settle, verify } from '../../../shared/engine';
import { runFallbackStep } from '../../../shared/engine/fallback';
import type { FallbackJob } from '../../../shared/engine/scheduler';
import { ServiceUnavailableError } from '../../../shared/errors';
import { maskDestination } from '../../../shared/mask';
import { putSession } from '../../../shared/store/capillary-auth-sessions';
import { BUILT_IN_TEMPLATES } from '../../../shared/templates';
import type { Tenant } from '../../../shared/tenants';
import { schemaErrors } from '../../support/events';
import {
  EMAIL,
  fallbackHarness,
  PHONE,
  PURPOSE,
  request,
  workflowTenant,
} from '../../support/fallback-harness';
import {
  dayCounters,
  keysFor,
  lastCode,
  localDynamo,
  logsOf,
  readChallenge,
  readItem,
  rejection,
  smsIssue,
  testTenant,
  verifyOf,
  wrongCodeFor,
} from '../../support/harness';

/**
 * How a fallback step ends (shared/engine/fallback.ts `runFallbackStep`), against DynamoDB Local:
 * each reason a workflow stops, told to the operator as `fallback stopped` with that reason;
 * what a step's message carries from the original request; the steps that cannot send (no
 * destination, a limit, a Capillary auth session that ended); and the writes that land between
 * a step's read of its challenge and its own write. A step that sends when it should not is a
 * paid message nobody can use; one that stops when it should not loses the user's fallback.
 */

const SECOND = 1000;

type Harness = Awaited<ReturnType<typeof fallbackHarness>>;

/** The one job scheduled now (step 1 of the code just issued). */
const onlyJob = (h: Harness): FallbackJob => {
  const [job, ...rest] = h.jobs.jobs.map((j) => j.job);
  if (!job || rest.length > 0) throw new Error(`expected one job, got ${h.jobs.jobs.length}`);
  return job;
};

/** Takes step 1's job off the schedule and moves the clock to its time. */
const dueStep = (h: Harness): FallbackJob => {
  const job = onlyJob(h);
  const [entry] = h.jobs.jobs;
  if (entry && entry.at > h.clock.now()) h.clock.set(entry.at);
  h.jobs.jobs.length = 0;
  return job;
};

/** The `fallback stopped` lines of the operator log. */
const stoppedLines = (h: Harness) => logsOf(h.logLines, 'fallback stopped');

/** The challenge of the harness's `v2:REGISTRATION` code to PHONE, as the table holds it. */
const challengeOf = (h: Harness, tenant: Tenant) => readChallenge(h, tenant, PURPOSE, PHONE);

/**
 * Runs `action` once, right after `ddb`'s first `command` request has been answered (or
 * refused): a write by someone else that lands between two requests of the step under test.
 * The action must use another client.
 */
const afterFirst = (ddb: DynamoDBClient, command: string, action: () => Promise<unknown>) => {
  let armed = true;
  ddb.middlewareStack.add(
    (next, context) => async (args) => {
      try {
        return await next(args);
      } finally {
        if (armed && context.commandName === command) {
          armed = false;
          await action();
        }
      }
    },
    { step: 'initialize' },
  );
};

/** The harness's engine on a client of its own, for the writes that race the step. */
const otherClient = (h: Harness) => ({ ...h.deps, ddb: localDynamo() });

describe('fallback workflow', () => {
  describe('runFallbackStep › why a workflow stops', () => {
    it("stops once the code is verified, logged as 'verified' with the challenge and step", async () => {
      const tenant = workflowTenant();
      const h = await fallbackHarness(tenant);
      const issued = await issue(h.deps, request(tenant));
      await verify(h.deps, verifyOf(request(tenant), lastCode(h.sent)));
      await expect(h.fireNext()).resolves.toEqual(['stopped']);
      expect(stoppedLines(h)).toEqual([
        expect.objectContaining({ challengeId: issued.challengeId, step: 1, reason: 'verified' }),
      ]);
      expect(h.sent).toHaveLength(1);
    });

    it("stops a code its caller settled, logged with the settlement ('canceled', 'approved')", async () => {
      for (const outcome of ['canceled', 'approved'] as const) {
        const tenant = workflowTenant();
        const h = await fallbackHarness(tenant);
        await issue(h.deps, request(tenant));
        await settle(h.deps, { tenant, purpose: PURPOSE, subject: PHONE }, outcome);
        await expect(h.fireNext()).resolves.toEqual(['stopped']);
        expect(stoppedLines(h)).toEqual([expect.objectContaining({ reason: outcome })]);
        expect(h.sent).toHaveLength(1);
        expect(h.jobs.jobs).toEqual([]);
      }
    });

    it("stops at the very millisecond the code expires, logged as 'expired', with nothing written", async () => {
      const tenant = workflowTenant();
      const h = await fallbackHarness(tenant);
      const issued = await issue(h.deps, request(tenant, true));
      const job = dueStep(h);
      h.clock.set(issued.expiresAt);
      await expect(runFallbackStep(h.deps, job)).resolves.toBe('stopped');
      expect(stoppedLines(h)).toEqual([
        expect.objectContaining({ challengeId: issued.challengeId, step: 1, reason: 'expired' }),
      ]);
      expect(h.sent).toHaveLength(2);
      expect(await challengeOf(h, tenant)).toMatchObject({ fallbackStep: 0 });
      expect(h.jobs.jobs).toEqual([]);
    });

    it("stops once wrong guesses reach exactly the attempt limit, logged as 'locked'", async () => {
      const tenant = workflowTenant({ policy: { maxAttemptsPerCode: 2 } });
      const h = await fallbackHarness(tenant);
      await issue(h.deps, request(tenant));
      const wrong = wrongCodeFor(lastCode(h.sent));
      await verify(h.deps, verifyOf(request(tenant), wrong)).catch(() => undefined);
      await verify(h.deps, verifyOf(request(tenant), wrong)).catch(() => undefined);
      // Exactly at the limit, not past it: the code is locked, no guess is left.
      expect(await challengeOf(h, tenant)).toMatchObject({ attempts: 2 });
      await expect(h.fireNext()).resolves.toEqual(['stopped']);
      expect(stoppedLines(h)).toEqual([expect.objectContaining({ step: 1, reason: 'locked' })]);
      expect(h.sent).toHaveLength(1);
    });

    it("does nothing when a step fires again after it ran, logged as 'already-run'", async () => {
      const tenant = workflowTenant();
      const h = await fallbackHarness(tenant);
      const issued = await issue(h.deps, request(tenant, true));
      const job = dueStep(h);
      await expect(runFallbackStep(h.deps, job)).resolves.toBe('sent');
      expect(stoppedLines(h)).toEqual([]);
      const scheduled = h.jobs.jobs.length;
      await expect(runFallbackStep(h.deps, job)).resolves.toBe('stopped');
      expect(stoppedLines(h)).toEqual([
        expect.objectContaining({ challengeId: issued.challengeId, step: 1, reason: 'already-run' }),
      ]);
      expect(h.sent.filter((m) => m.channel === 'VOICE')).toHaveLength(1);
      expect(h.jobs.jobs).toHaveLength(scheduled);
    });

    it("leaves a code reissued after its workflow began alone, logged as 'replaced'", async () => {
      const tenant = workflowTenant();
      const h = await fallbackHarness(tenant);
      const first = await issue(h.deps, request(tenant));
      const old = onlyJob(h);
      await verify(h.deps, verifyOf(request(tenant), lastCode(h.sent)));
      const second = await issue(h.deps, request(tenant));
      expect(second.challengeId).not.toBe(first.challengeId);
      h.clock.advance(60 * SECOND);
      await expect(runFallbackStep(h.deps, old)).resolves.toBe('stopped');
      expect(stoppedLines(h)).toEqual([
        expect.objectContaining({ challengeId: first.challengeId, reason: 'replaced' }),
      ]);
      expect(h.sent.filter((m) => m.channel === 'VOICE')).toHaveLength(0);
    });

    it("stops a job whose challenge is gone from the table, logged as 'replaced'", async () => {
      const tenant = workflowTenant();
      const h = await fallbackHarness(tenant);
      await issue(h.deps, request(tenant));
      const job = dueStep(h);
      await h.ddb.send(
        new DeleteItemCommand({ TableName: h.tableName, Key: marshall({ pk: job.pk, sk: job.sk }) }),
      );
      await expect(runFallbackStep(h.deps, job)).resolves.toBe('stopped');
      expect(stoppedLines(h)).toEqual([expect.objectContaining({ reason: 'replaced' })]);
      expect(h.sent).toHaveLength(1);
    });

    it("stops a job naming a code that carries no workflow, logged as 'replaced'", async () => {
      const tenant = workflowTenant();
      const h = await fallbackHarness(tenant);
      // v2:LOGIN has no workflow: its challenge holds no plan for a step to open.
      const issued = await issue(h.deps, smsIssue(tenant, PHONE, 'v2:LOGIN'));
      const key = keysFor(tenant, 'v2:LOGIN', PHONE, 0).challenge;
      const job = { tenantId: tenant.tenantId, ...key, id: issued.challengeId, step: 1 };
      h.clock.advance(60 * SECOND);
      await expect(runFallbackStep(h.deps, job)).resolves.toBe('stopped');
      expect(stoppedLines(h)).toEqual([expect.objectContaining({ reason: 'replaced' })]);
      expect(h.sent).toHaveLength(1);
    });

    it("touches nothing for a job whose keys are another tenant's, even when that tenant exists", async () => {
      const tenant = workflowTenant();
      const other = workflowTenant();
      const h = await fallbackHarness(tenant);
      h.directory.set(other.tenantId, other);
      await issue(h.deps, request(tenant));
      const job = dueStep(h);
      h.requests.reset();
      await expect(runFallbackStep(h.deps, { ...job, tenantId: other.tenantId })).resolves.toBe('stopped');
      // Not even read: the job's tenant is checked against its keys before any request.
      expect(h.requests.total()).toBe(0);
      expect(h.sent).toHaveLength(1);
      expect(h.jobs.jobs).toEqual([]);
    });

    it('stops a job whose tenant no longer exists, before reading its challenge', async () => {
      const tenant = workflowTenant();
      const h = await fallbackHarness(tenant);
      await issue(h.deps, request(tenant));
      const job = dueStep(h);
      h.directory.delete(tenant.tenantId);
      h.requests.reset();
      await expect(runFallbackStep(h.deps, job)).resolves.toBe('stopped');
      expect(h.requests.total()).toBe(0);
      expect(h.sent).toHaveLength(1);
      expect(h.jobs.jobs).toEqual([]);
    });

    it("stops a job naming a step the code's workflow does not have", async () => {
      const tenant = workflowTenant();
      const h = await fallbackHarness(tenant);
      await issue(h.deps, request(tenant, true));
      const job = onlyJob(h);
      await h.fireNext();
      await h.fireNext();
      expect(await challengeOf(h, tenant)).toMatchObject({ fallbackStep: 2 });
      const sent = h.sent.length;
      await expect(runFallbackStep(h.deps, { ...job, step: 3 })).resolves.toBe('stopped');
      expect(h.sent).toHaveLength(sent);
      expect(await challengeOf(h, tenant)).toMatchObject({ fallbackStep: 2 });
      expect(h.jobs.jobs).toEqual([]);
    });
  });

  describe('runFallbackStep › what a step sends', () => {
    it("carries the request's locale and app hash into the step's message", async () => {
      const tenant = workflowTenant({}, [
        { channel: 'VOICE', afterSeconds: 60 },
        { channel: 'SMS', afterSeconds: 120 },
      ]);
      const h = await fallbackHarness(tenant);
      const content = {
        ...BUILT_IN_TEMPLATES,
        translations: {
          fr: { sms: 'Votre code : {{ validation_code }}', voice: 'Votre code est {{ validation_code }}' },
        },
      };
      await issue(h.deps, request(tenant, false, { content, locale: 'fr', appHash: 'FA+9qCX9VSu' }));
      const [first] = h.sent;
      expect(first?.text).toMatch(/^Votre code : \d+\nFA\+9qCX9VSu$/);
      await expect(h.fireNext()).resolves.toEqual(['sent']);
      expect(h.sent[1]).toMatchObject({ channel: 'VOICE', text: expect.stringMatching(/^Votre code est /) });
      await expect(h.fireNext()).resolves.toEqual(['sent']);
      // The SMS step is the first SMS again: same locale, same app hash line for autofill.
      expect(h.sent[2]).toMatchObject({ channel: 'SMS', text: first?.text });
    });

    it('sends no step of a Capillary auth code once its session has ended, and writes nothing', async () => {
      const sessionId = 'D-fallback-session';
      const purpose = `ae:STANDARDAPP:${sessionId}:0123abcd`;
      const tenant = testTenant({
        fallback: {
          'ae:STANDARDAPP': {
            steps: [
              { channel: 'VOICE', afterSeconds: 60 },
              { channel: 'VOICE', afterSeconds: 180 },
            ],
          },
        },
      });
      const h = await fallbackHarness(tenant);
      const now = h.clock.now();
      await putSession(h.deps, {
        id: sessionId,
        tenantId: tenant.tenantId,
        brand: 'STANDARDAPP',
        variant: 'web',
        identifierType: 'MOBILE',
        identifierHash: 'hash-of-the-identifier',
        createdAt: now,
        expiresAt: now + 120 * SECOND,
      });
      const req = smsIssue(tenant, PHONE, purpose);
      const issued = await issue(h.deps, req);
      // While the session lives, its code's step is sent.
      await expect(h.fireNext()).resolves.toEqual(['sent']);
      const item = await readItem(h.ddb, h.tableName, keysFor(tenant, purpose, PHONE, 0).challenge);
      const before = await dayCounters(h.ddb, h.tableName, tenant, PHONE, h.clock.now());
      // The session ends at 120 s, the code (600 s) lives on; step 2 is due at 180 s.
      await expect(h.fireNext()).resolves.toEqual(['stopped']);
      expect(stoppedLines(h)).toEqual([
        expect.objectContaining({ challengeId: issued.challengeId, step: 2, reason: 'session-ended' }),
      ]);
      expect(h.sent.map((m) => m.channel)).toEqual(['SMS', 'VOICE']);
      expect(await dayCounters(h.ddb, h.tableName, tenant, PHONE, h.clock.now())).toEqual(before);
      expect(await readItem(h.ddb, h.tableName, keysFor(tenant, purpose, PHONE, 0).challenge)).toEqual(item);
      expect(h.events.ofType('otp.refused')).toEqual([]);
    });
  });

  describe('runFallbackStep › a step that cannot send', () => {
    it('skips a step whose channel the request named no destination for, logged, and schedules the next', async () => {
      const tenant = workflowTenant({}, [
        { channel: 'EMAIL', afterSeconds: 60 },
        { channel: 'VOICE', afterSeconds: 120 },
      ]);
      const h = await fallbackHarness(tenant);
      const issued = await issue(h.deps, request(tenant));
      await expect(h.fireNext()).resolves.toEqual(['skipped']);
      expect(logsOf(h.logLines, 'fallback step has no destination')).toEqual([
        expect.objectContaining({ challengeId: issued.challengeId, step: 1, channel: 'EMAIL' }),
      ]);
      expect(h.sent).toHaveLength(1);
      expect(await challengeOf(h, tenant)).toMatchObject({ fallbackStep: 1, sendCount: 1 });
      expect(h.jobs.jobs.map((j) => j.job.step)).toEqual([2]);
      await expect(h.fireNext()).resolves.toEqual(['sent']);
    });

    it('skips a phone step of a request that named only an e-mail address', async () => {
      const tenant = workflowTenant({}, [
        { channel: 'VOICE', afterSeconds: 60 },
        { channel: 'EMAIL', afterSeconds: 120 },
      ]);
      const h = await fallbackHarness(tenant);
      await issue(
        h.deps,
        smsIssue(tenant, EMAIL, PURPOSE, { deliveries: [{ channel: 'EMAIL', to: EMAIL }] }),
      );
      await expect(h.fireNext()).resolves.toEqual(['skipped']);
      expect(logsOf(h.logLines, 'fallback step has no destination')).toEqual([
        expect.objectContaining({ step: 1, channel: 'VOICE' }),
      ]);
      expect(h.jobs.jobs.map((j) => j.job.step)).toEqual([2]);
      await expect(h.fireNext()).resolves.toEqual(['sent']);
      expect(h.sent.map((m) => m.channel)).toEqual(['EMAIL', 'EMAIL']);
    });

    it('logs a refused step with its channel, masked destination and the error, and tells otp.refused with the step', async () => {
      // One message per recipient per window: the voice call to the same phone is refused.
      const tenant = workflowTenant({ policy: { maxMessagesPerRecipientWindow: 1 } });
      const h = await fallbackHarness(tenant);
      const issued = await issue(h.deps, request(tenant));
      await expect(h.fireNext()).resolves.toEqual(['skipped']);
      const lines = logsOf(h.logLines, 'fallback step refused');
      expect(lines).toEqual([
        expect.objectContaining({
          challengeId: issued.challengeId,
          step: 1,
          channel: 'VOICE',
          to: maskDestination(PHONE),
          reason: 'RateLimitedError',
        }),
      ]);
      expect(JSON.stringify(lines)).not.toContain(PHONE);
      const refused = h.events.ofType('otp.refused');
      expect(refused).toEqual([
        expect.objectContaining({ verificationId: issued.challengeId, step: 1, detail: 'recipient-window' }),
      ]);
      // A real recipient's refusal: not marked as a test destination's, so it counts in the figures.
      expect(refused[0]).not.toHaveProperty('test');
      expect(schemaErrors(refused[0])).toEqual([]);
      expect(stoppedLines(h)).toEqual([]);
    });

    it('fails the firing on a store fault (not a limit): nothing skipped, nothing scheduled', async () => {
      const tenant = workflowTenant();
      const h = await fallbackHarness(tenant);
      await issue(h.deps, request(tenant, true));
      const job = dueStep(h);
      h.ddb.middlewareStack.add(
        (next, context) => async (args) => {
          if (context.commandName === 'TransactWriteItemsCommand') {
            throw Object.assign(new Error('Rate of requests exceeds the allowed throughput'), {
              name: 'ThrottlingException',
            });
          }
          return next(args);
        },
        { step: 'initialize' },
      );
      await rejection(runFallbackStep(h.deps, job), ServiceUnavailableError);
      // Left for the scheduler's retry: the step is neither done nor skipped.
      expect(await challengeOf(h, tenant)).toMatchObject({ fallbackStep: 0 });
      expect(h.sent).toHaveLength(2);
      expect(h.jobs.jobs).toEqual([]);
      expect(h.events.ofType('otp.refused')).toEqual([]);
    });
  });

  describe('runFallbackStep › writes between the step’s read and its own write', () => {
    it('skips the step and goes on when the sends per code ran out in between', async () => {
      const tenant = workflowTenant({ policy: { maxSendsPerCode: 3, resendGapSeconds: 0 } });
      const h = await fallbackHarness(tenant);
      await issue(h.deps, request(tenant, true));
      await issue(h.deps, request(tenant, true));
      expect(await challengeOf(h, tenant)).toMatchObject({ sendCount: 2 });
      const job = dueStep(h);
      // The step reads sendCount 2 of 3; the user's resend takes the third before its write.
      afterFirst(h.ddb, 'GetItemCommand', () => issue(otherClient(h), request(tenant)));
      await expect(runFallbackStep(h.deps, job)).resolves.toBe('skipped');
      expect(h.sent.map((m) => m.channel)).toEqual(['SMS', 'EMAIL', 'SMS', 'EMAIL', 'SMS']);
      expect(await challengeOf(h, tenant)).toMatchObject({ sendCount: 3, fallbackStep: 1 });
      expect(h.jobs.jobs.map((j) => j.job.step)).toEqual([2]);
      expect(stoppedLines(h)).toEqual([]);
      expect(h.events.ofType('otp.refused')).toEqual([]);
    });

    it('stops with the reason the code now has when it was verified in between, and writes nothing', async () => {
      const tenant = workflowTenant();
      const h = await fallbackHarness(tenant);
      const issued = await issue(h.deps, request(tenant));
      const job = dueStep(h);
      const code = lastCode(h.sent);
      afterFirst(h.ddb, 'GetItemCommand', () => verify(otherClient(h), verifyOf(request(tenant), code)));
      h.requests.reset();
      await expect(runFallbackStep(h.deps, job)).resolves.toBe('stopped');
      expect(stoppedLines(h)).toEqual([
        expect.objectContaining({ challengeId: issued.challengeId, step: 1, reason: 'verified' }),
      ]);
      // The step's claim failed on the verified code; no skip is written over it.
      expect(h.requests.counts.UpdateItemCommand).toBeUndefined();
      expect(h.sent).toHaveLength(1);
      expect(h.jobs.jobs).toEqual([]);
    });

    it("stops as 'changed' when the sends ran out and then the code was verified before the skip", async () => {
      const tenant = workflowTenant({ policy: { maxSendsPerCode: 3, resendGapSeconds: 0 } });
      const h = await fallbackHarness(tenant);
      await issue(h.deps, request(tenant));
      await issue(h.deps, request(tenant));
      const job = dueStep(h);
      const code = lastCode(h.sent);
      const other = otherClient(h);
      afterFirst(h.ddb, 'GetItemCommand', () => issue(other, request(tenant)));
      afterFirst(h.ddb, 'TransactWriteItemsCommand', () => verify(other, verifyOf(request(tenant), code)));
      await expect(runFallbackStep(h.deps, job)).resolves.toBe('stopped');
      expect(stoppedLines(h)).toEqual([expect.objectContaining({ step: 1, reason: 'changed' })]);
      expect(h.sent.map((m) => m.channel)).toEqual(['SMS', 'SMS', 'SMS']);
      expect(await challengeOf(h, tenant)).toMatchObject({ fallbackStep: 0 });
      expect(h.jobs.jobs).toEqual([]);
    });

    it("stops as 'changed', telling no refusal, when a limit refused the step and the code was verified before the skip", async () => {
      const tenant = workflowTenant({ policy: { maxMessagesPerRecipientWindow: 1 } });
      const h = await fallbackHarness(tenant);
      await issue(h.deps, request(tenant));
      const job = dueStep(h);
      const code = lastCode(h.sent);
      afterFirst(h.ddb, 'TransactWriteItemsCommand', () =>
        verify(otherClient(h), verifyOf(request(tenant), code)),
      );
      await expect(runFallbackStep(h.deps, job)).resolves.toBe('stopped');
      expect(stoppedLines(h)).toEqual([expect.objectContaining({ step: 1, reason: 'changed' })]);
      expect(logsOf(h.logLines, 'fallback step refused')).toEqual([]);
      expect(h.events.ofType('otp.refused')).toEqual([]);
      expect(h.sent).toHaveLength(1);
      expect(h.jobs.jobs).toEqual([]);
    });

    it('stops a step with no destination when the code was verified before its skip', async () => {
      const tenant = workflowTenant({}, [
        { channel: 'EMAIL', afterSeconds: 60 },
        { channel: 'VOICE', afterSeconds: 120 },
      ]);
      const h = await fallbackHarness(tenant);
      await issue(h.deps, request(tenant));
      const job = dueStep(h);
      const code = lastCode(h.sent);
      afterFirst(h.ddb, 'GetItemCommand', () => verify(otherClient(h), verifyOf(request(tenant), code)));
      await expect(runFallbackStep(h.deps, job)).resolves.toBe('stopped');
      expect(await challengeOf(h, tenant)).toMatchObject({ fallbackStep: 0 });
      // The workflow is over: the voice step is not scheduled.
      expect(h.jobs.jobs).toEqual([]);
    });
  });
});
