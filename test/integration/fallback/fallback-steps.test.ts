import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { describe, expect, it } from '@jest/globals';
import { issue, settle, verify } from '../../../shared/engine';
import { runFallbackStep } from '../../../shared/engine/fallback';
import { TooManyAttemptsError } from '../../../shared/errors';
import { maskDestination } from '../../../shared/mask';
import { daySk, tenantPk, utcDay } from '../../../shared/store/keys';
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
  logsOf,
  readItem,
  rejection,
  smsIssue,
  verifyOf,
  wrongCodeFor,
} from '../../support/harness';

const SECOND = 1000;

describe('fallback workflow', () => {
  describe('runFallbackStep', () => {
    it('sends the same code on each next channel when its time comes, charged like any send', async () => {
      const tenant = workflowTenant();
      const h = await fallbackHarness(tenant);
      const issued = await issue(h.deps, request(tenant, true));
      const code = lastCode(h.sent);
      expect(h.sent.map((m) => m.channel)).toEqual(['SMS', 'EMAIL']);
      // One job, due 60 s after the first send.
      expect(h.jobs.jobs).toEqual([
        {
          job: expect.objectContaining({ id: issued.challengeId, step: 1 }),
          at: h.clock.now() + 60 * SECOND,
        },
      ]);
      const before = await dayCounters(h.ddb, h.tableName, tenant, PHONE, h.clock.now());

      await expect(h.fireNext()).resolves.toEqual(['sent']);
      expect(h.sent.map((m) => m.channel)).toEqual(['SMS', 'EMAIL', 'VOICE']);
      expect(h.sent[2]).toMatchObject({ to: PHONE, code });
      const after = await dayCounters(h.ddb, h.tableName, tenant, PHONE, h.clock.now());
      expect(after.sends).toBe(before.sends + 1);
      expect(after.tenantSends).toBe(before.tenantSends + 1);

      await expect(h.fireNext()).resolves.toEqual(['sent']);
      expect(h.sent[3]).toMatchObject({ channel: 'EMAIL', to: EMAIL, code });
      // The workflow is over: nothing more is scheduled.
      expect(h.jobs.jobs).toEqual([]);
      const item = await readItem(h.ddb, h.tableName, keysFor(tenant, PURPOSE, PHONE, 0).challenge);
      expect(item).toMatchObject({ sendCount: 3, fallbackStep: 2 });

      const sent = h.events.ofType('otp.sent');
      expect(sent.map((e) => [e.channel, e.step])).toEqual([
        ['SMS', undefined],
        ['EMAIL', undefined],
        ['VOICE', 1],
        ['EMAIL', 2],
      ]);
      for (const e of h.events.events) expect(schemaErrors(e)).toEqual([]);
      // The operator's line of each send names the step it was.
      expect(logsOf(h.logLines, 'otp issued').map((l) => l.fallbackStep)).toEqual([undefined, 1, 2]);
      // The code still verifies once, after every step.
      await expect(verify(h.deps, verifyOf(request(tenant), code))).resolves.toBeDefined();
    });

    it('puts neither the code nor a destination in a job', async () => {
      const tenant = workflowTenant();
      const h = await fallbackHarness(tenant);
      await issue(h.deps, request(tenant, true));
      const job = JSON.stringify(h.jobs.jobs);
      expect(job).not.toContain(lastCode(h.sent));
      expect(job).not.toContain('9876543219');
      expect(job).not.toContain('someone');
      // Nor does the challenge hold them in clear.
      const item = JSON.stringify(
        await readItem(h.ddb, h.tableName, keysFor(tenant, PURPOSE, PHONE, 0).challenge),
      );
      expect(item).not.toContain('9876543219');
      expect(item).not.toContain('someone');
    });

    it('sends nothing once the code is verified', async () => {
      const tenant = workflowTenant();
      const h = await fallbackHarness(tenant);
      await issue(h.deps, request(tenant));
      await verify(h.deps, verifyOf(request(tenant), lastCode(h.sent)));
      const before = await dayCounters(h.ddb, h.tableName, tenant, PHONE, h.clock.now());
      await expect(h.fireNext()).resolves.toEqual(['stopped']);
      expect(h.sent.map((m) => m.channel)).toEqual(['SMS']);
      expect(h.jobs.jobs).toEqual([]);
      expect(await dayCounters(h.ddb, h.tableName, tenant, PHONE, h.clock.now())).toEqual(before);
    });

    it('sends nothing once the code is cancelled (Twilio Status=canceled)', async () => {
      const tenant = workflowTenant();
      const h = await fallbackHarness(tenant);
      await issue(h.deps, request(tenant));
      await settle(h.deps, { tenant, purpose: PURPOSE, subject: PHONE }, 'canceled');
      await expect(h.fireNext()).resolves.toEqual(['stopped']);
      expect(h.sent).toHaveLength(1);
      expect(h.jobs.jobs).toEqual([]);
    });

    it('sends nothing once the code has expired, even when the schedule fires late', async () => {
      const tenant = workflowTenant();
      const h = await fallbackHarness(tenant);
      const issued = await issue(h.deps, request(tenant));
      h.clock.set(issued.expiresAt);
      await expect(h.fireNext()).resolves.toEqual(['stopped']);
      expect(h.sent).toHaveLength(1);
    });

    it('does not schedule a step due after the code expires', async () => {
      const tenant = workflowTenant({ policy: { ttlSeconds: 90 } });
      const h = await fallbackHarness(tenant);
      await issue(h.deps, request(tenant, true));
      await expect(h.fireNext()).resolves.toEqual(['sent']);
      // The e-mail step (120 s) would come after the 90 s code is dead.
      expect(h.jobs.jobs).toEqual([]);
    });

    it('sends nothing once wrong guesses have locked the code', async () => {
      const tenant = workflowTenant({ policy: { maxAttemptsPerCode: 2 } });
      const h = await fallbackHarness(tenant);
      await issue(h.deps, request(tenant));
      const wrong = wrongCodeFor(lastCode(h.sent));
      await verify(h.deps, verifyOf(request(tenant), wrong)).catch(() => undefined);
      await verify(h.deps, verifyOf(request(tenant), wrong)).catch(() => undefined);
      await rejection(verify(h.deps, verifyOf(request(tenant), wrong)), TooManyAttemptsError);
      await expect(h.fireNext()).resolves.toEqual(['stopped']);
      expect(h.sent).toHaveLength(1);
    });

    it('skips a step a limit refuses, with otp.refused and nothing charged, and goes on', async () => {
      // One message per recipient per window: the voice call to the same phone is refused.
      const tenant = workflowTenant({ policy: { maxMessagesPerRecipientWindow: 1 } });
      const h = await fallbackHarness(tenant);
      await issue(h.deps, request(tenant, true));
      const before = await dayCounters(h.ddb, h.tableName, tenant, PHONE, h.clock.now());
      await expect(h.fireNext()).resolves.toEqual(['skipped']);
      expect(h.sent.map((m) => m.channel)).toEqual(['SMS', 'EMAIL']);
      expect(await dayCounters(h.ddb, h.tableName, tenant, PHONE, h.clock.now())).toEqual(before);
      const [refused] = h.events.ofType('otp.refused');
      expect(refused).toMatchObject({ reason: 'limits', detail: 'recipient-window', step: 1 });
      expect(schemaErrors(refused)).toEqual([]);
      const item = await readItem(h.ddb, h.tableName, keysFor(tenant, PURPOSE, PHONE, 0).challenge);
      expect(item).toMatchObject({ sendCount: 1, fallbackStep: 1 });
      // Not retried: the step is done; the next one (e-mail, its own recipient's window) is due.
      expect(h.jobs.jobs.map((j) => j.job.step)).toEqual([2]);
      // …but the e-mail already got its message in this window too: refused and skipped as well.
      await expect(h.fireNext()).resolves.toEqual(['skipped']);
      expect(h.jobs.jobs).toEqual([]);
    });

    it("skips a step refused by the tenant's daily cap", async () => {
      const tenant = workflowTenant({ policy: { maxDailySendsPerTenant: 1 } });
      const h = await fallbackHarness(tenant);
      await issue(h.deps, request(tenant));
      await expect(h.fireNext()).resolves.toEqual(['skipped']);
      expect(h.events.ofType('otp.refused')[0]).toMatchObject({ detail: 'tenant-daily', step: 1 });
      expect(h.sent).toHaveLength(1);
    });

    it('skips a step a whole limit gives back after its charge, with otp.refused, and goes on (review L4)', async () => {
      // A cap of 640 (64 shards of 10) whose unsharded day item, written before sharding, already
      // holds 638: the period is irregular, so each committed charge is judged by the whole sum.
      const tenant = workflowTenant({ policy: { maxDailySendsPerTenant: 640, minConversionRatio: 0 } });
      const h = await fallbackHarness(tenant);
      const day = { pk: tenantPk(tenant.tenantId), sk: daySk(utcDay(h.clock.now())) };
      await h.ddb.send(
        new PutItemCommand({ TableName: h.tableName, Item: marshall({ ...day, sends: 638 }) }),
      );
      const issued = await issue(h.deps, request(tenant, true));
      expect(h.sent.map((m) => m.channel)).toEqual(['SMS', 'EMAIL']);
      // The voice step's shard has room, the whole day (641 > 640) not: charged, then given back.
      await expect(h.fireNext()).resolves.toEqual(['skipped']);
      expect(h.sent).toHaveLength(2);
      // Logged and told like a step refused at its charge.
      expect(logsOf(h.logLines, 'fallback step refused')).toEqual([
        expect.objectContaining({
          challengeId: issued.challengeId,
          step: 1,
          channel: 'VOICE',
          to: maskDestination(PHONE),
          reason: 'RateLimitedError',
        }),
      ]);
      const refused = h.events.ofType('otp.refused');
      expect(refused).toEqual([
        expect.objectContaining({
          reason: 'limits',
          detail: 'tenant-daily',
          step: 1,
          verificationId: issued.challengeId,
        }),
      ]);
      expect(refused[0]).not.toHaveProperty('test');
      const item = await readItem(h.ddb, h.tableName, keysFor(tenant, PURPOSE, PHONE, 0).challenge);
      expect(item).toMatchObject({ sendCount: 1, fallbackStep: 1 });
      // Before: the workflow ended here (no event, no next step).
      expect(h.jobs.jobs.map((j) => j.job.step)).toEqual([2]);
    });

    it("skips a step the number policy refuses (voice to a number type the tenant's policy excludes)", async () => {
      const tenant = workflowTenant({
        policy: {
          numberTypes: {
            SMS: ['MOBILE', 'FIXED_LINE_OR_MOBILE'],
            VOICE: ['FIXED_LINE'],
            WHATSAPP: [],
            ZALO: [],
          },
        },
      });
      const h = await fallbackHarness(tenant);
      await issue(h.deps, request(tenant));
      await expect(h.fireNext()).resolves.toEqual(['skipped']);
      expect(h.events.ofType('otp.refused')[0]).toMatchObject({ reason: 'number-policy', step: 1 });
      expect(h.sent).toHaveLength(1);
    });

    it('skips a step whose channel the request named no destination for', async () => {
      const tenant = workflowTenant();
      const h = await fallbackHarness(tenant);
      await issue(h.deps, request(tenant));
      await h.fireNext();
      // Step 2 is e-mail and the request had only a phone.
      await expect(h.fireNext()).resolves.toEqual(['skipped']);
      expect(h.sent.map((m) => m.channel)).toEqual(['SMS', 'VOICE']);
    });

    it('sends once when the same schedule fires twice, at once or one after the other', async () => {
      const tenant = workflowTenant();
      const h = await fallbackHarness(tenant);
      await issue(h.deps, request(tenant, true));
      const [job] = h.jobs.jobs.map((j) => j.job);
      if (!job) throw new Error('no job');
      h.clock.advance(60 * SECOND);
      h.jobs.jobs.length = 0;
      const outcomes = await Promise.all([1, 2, 3, 4].map(() => runFallbackStep(h.deps, job)));
      expect(outcomes.filter((o) => o === 'sent')).toHaveLength(1);
      expect(outcomes.filter((o) => o === 'stopped')).toHaveLength(3);
      await expect(runFallbackStep(h.deps, job)).resolves.toBe('stopped');
      expect(h.sent.filter((m) => m.channel === 'VOICE')).toHaveLength(1);
      // Exactly one firing scheduled the next step.
      expect(h.jobs.jobs.map((j) => j.job.step)).toEqual([2]);
      const day = await dayCounters(h.ddb, h.tableName, tenant, PHONE, h.clock.now());
      expect(day.sends).toBe(2);
    });

    it('lets a verify racing a step fire win cleanly: the code verifies once, at most one step message', async () => {
      for (let round = 0; round < 6; round++) {
        const tenant = workflowTenant();
        const h = await fallbackHarness(tenant);
        await issue(h.deps, request(tenant));
        const code = lastCode(h.sent);
        h.clock.advance(60 * SECOND);
        const [job] = h.jobs.due(h.clock.now());
        if (!job) throw new Error('no job');
        const [verified, outcome] = await Promise.all([
          verify(h.deps, verifyOf(request(tenant), code)),
          runFallbackStep(h.deps, job),
        ]);
        expect(verified).toBeDefined();
        expect(['sent', 'stopped']).toContain(outcome);
        const voice = h.sent.filter((m) => m.channel === 'VOICE');
        expect(voice.length).toBe(outcome === 'sent' ? 1 : 0);
        // Whoever came first, no later step runs after the verify.
        await expect(h.fireNext().then((o) => o.filter((x) => x !== 'stopped'))).resolves.toEqual([]);
        expect(h.sent.filter((m) => m.channel === 'EMAIL')).toHaveLength(0);
      }
    });

    it('keeps one workflow per code: a resend of the live code schedules nothing new', async () => {
      const tenant = workflowTenant();
      const h = await fallbackHarness(tenant);
      await issue(h.deps, request(tenant));
      h.clock.advance(30 * SECOND);
      const again = await issue(h.deps, request(tenant));
      expect(again.resent).toBe(true);
      expect(h.jobs.jobs).toHaveLength(1);
    });

    it('leaves a replaced code alone: a job of an older code sends nothing for the new one', async () => {
      const tenant = workflowTenant();
      const h = await fallbackHarness(tenant);
      await issue(h.deps, request(tenant));
      const [old] = h.jobs.jobs.map((j) => j.job);
      await verify(h.deps, verifyOf(request(tenant), lastCode(h.sent)));
      await issue(h.deps, request(tenant));
      h.clock.advance(60 * SECOND);
      if (!old) throw new Error('no job');
      await expect(runFallbackStep(h.deps, old)).resolves.toBe('stopped');
      expect(h.sent.filter((m) => m.channel === 'VOICE')).toHaveLength(0);
    });

    it('skips a step of a code already sent as often as a code may be, with otp.refused', async () => {
      const tenant = workflowTenant({ policy: { maxSendsPerCode: 1 } });
      const h = await fallbackHarness(tenant);
      await issue(h.deps, request(tenant));
      await expect(h.fireNext()).resolves.toEqual(['skipped']);
      expect(h.sent.map((m) => m.channel)).toEqual(['SMS']);
      expect(h.events.ofType('otp.refused')).toEqual([
        expect.objectContaining({ reason: 'limits', detail: 'sends-per-code', step: 1 }),
      ]);
    });

    it('rolls back a step whose provider fails, does not retry it, and goes on', async () => {
      // One breaker shard: the step charges the shard the code already has.
      const tenant = workflowTenant({ policy: { conversionMinSends: 10 } });
      const h = await fallbackHarness(tenant, { fail: ['VOICE'] });
      await issue(h.deps, request(tenant, true));
      const before = await dayCounters(h.ddb, h.tableName, tenant, PHONE, h.clock.now());
      const { challenge } = keysFor(tenant, PURPOSE, PHONE, 0);
      const sentTo = (await readItem(h.ddb, h.tableName, challenge))?.recipients;
      expect((sentTo as Set<string> | undefined)?.size).toBe(2);
      await expect(h.fireNext()).resolves.toEqual(['undelivered']);
      expect(await dayCounters(h.ddb, h.tableName, tenant, PHONE, h.clock.now())).toEqual(before);
      const item = await readItem(h.ddb, h.tableName, challenge);
      expect(item).toMatchObject({ sendCount: 1, fallbackStep: 1 });
      // The phone was the code's before the step: the rollback leaves it (a verify credits it).
      expect(item?.recipients).toEqual(sentTo);
      expect((item?.breakers as Set<string> | undefined)?.size).toBe(1);
      expect(h.jobs.jobs.map((j) => j.job.step)).toEqual([2]);
    });

    it('refuses a job whose keys are not its tenant’s', async () => {
      const tenant = workflowTenant();
      const h = await fallbackHarness(tenant);
      await issue(h.deps, request(tenant));
      const [job] = h.jobs.jobs.map((j) => j.job);
      if (!job) throw new Error('no job');
      h.clock.advance(60 * SECOND);
      await expect(runFallbackStep(h.deps, { ...job, tenantId: 'someone-else' })).resolves.toBe('stopped');
      expect(h.sent).toHaveLength(1);
    });

    it('runs no workflow without a scheduler, and none for a purpose without one', async () => {
      const tenant = workflowTenant();
      const h = await fallbackHarness(tenant);
      const { scheduler: _none, ...withoutScheduler } = h.deps;
      await issue(withoutScheduler, request(tenant));
      await issue(h.deps, smsIssue(tenant, '+919876543210', 'v2:LOGIN'));
      expect(h.jobs.jobs).toEqual([]);
    });
  });
});
