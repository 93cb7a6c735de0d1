import { ConflictException, CreateScheduleCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { describe, expect, it } from '@jest/globals';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { createFallbackHandler } from '../../functions/fallback';
import { demoTenantPatch } from '../../local/demo/capillary-v2';
import { demoTenant } from '../../local/demo-tenant';
import { createTimerScheduler } from '../../local/fallback-timers';
import type { FallbackDeps } from '../../shared/engine/fallback';
import { fallbackPlan } from '../../shared/engine/fallback-plan';
import type { FallbackJob } from '../../shared/engine/scheduler';
import type { IssueRequest } from '../../shared/engine/types';
import { atExpression, createEventBridgeScheduler, scheduleName } from '../../shared/scheduler/eventbridge';
import { tenantConfigSchema } from '../../shared/tenant-config';
import { tenantSchema } from '../../shared/tenants';
import { captureLogger } from '../support/harness';

const JOB: FallbackJob = {
  tenantId: 'acme',
  pk: 'T#acme#D#abc',
  sk: 'CH#v2:REGISTRATION',
  id: 'AbC_d-1',
  step: 1,
};

/** A US-only tenant (no DLT needed) with voice configured and the given workflows. */
const record = (fallback: unknown, policy: Record<string, unknown> = {}) => ({
  tenantId: 'acme',
  name: 'Acme',
  policy: { allowedRegions: ['US'], ...policy },
  channels: { voice: { originationIdentity: '+15550100000' } },
  fallback,
});

const issues = (raw: unknown): string[] => {
  const result = tenantConfigSchema.safeParse(raw);
  return result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('fallback', () => {
  describe('tenantConfigSchema › fallback', () => {
    it('accepts a workflow of growing waits within the code lifetime', () => {
      expect(
        issues(
          record({
            'v2:REGISTRATION': {
              steps: [
                { channel: 'VOICE', afterSeconds: 60 },
                { channel: 'EMAIL', afterSeconds: 120 },
              ],
            },
          }),
        ),
      ).toEqual([]);
    });

    it('refuses waits that do not grow, a step due after expiry, and too many steps', () => {
      const found = issues(
        record(
          {
            'v2:REGISTRATION': {
              steps: [
                { channel: 'SMS', afterSeconds: 60 },
                { channel: 'VOICE', afterSeconds: 60 },
                { channel: 'EMAIL', afterSeconds: 300 },
              ],
            },
          },
          { ttlSeconds: 300, maxSendsPerCode: 3 },
        ),
      );
      expect(found).toEqual([
        expect.stringMatching(/^fallback\.v2:REGISTRATION\.steps: 3 steps and the first send exceed/),
        expect.stringMatching(/^fallback\.v2:REGISTRATION\.steps\.1\.afterSeconds: afterSeconds must grow/),
        expect.stringMatching(
          /^fallback\.v2:REGISTRATION\.steps\.2\.afterSeconds: due after the code expires/,
        ),
      ]);
    });

    it('refuses a voice step without the voice channel, a channel without texts, and a malformed purpose', () => {
      const noVoice = {
        ...record({ 'v2:X': { steps: [{ channel: 'VOICE', afterSeconds: 30 }] } }),
        channels: {},
      };
      expect(issues(noVoice)).toEqual([
        expect.stringMatching(/steps\.0\.channel: a VOICE step needs channels\.voice/),
      ]);
      expect(issues(record({ 'v2:X': { steps: [{ channel: 'WHATSAPP', afterSeconds: 30 }] } }))).toHaveLength(
        1,
      );
      expect(
        issues(record({ REGISTRATION: { steps: [{ channel: 'SMS', afterSeconds: 30 }] } })),
      ).toHaveLength(1);
      expect(issues(record({ 'v2:X': { steps: [] } }))).toHaveLength(1);
    });

    it("passes the demo tenant's workflow through the write-time rules", () => {
      expect(issues({ ...demoTenant(), ...demoTenantPatch })).toEqual([]);
    });
  });

  describe('fallbackPlan', () => {
    const tenant = tenantSchema.parse(
      record({ 'ae:ACMEAPP': { steps: [{ channel: 'EMAIL', afterSeconds: 60 }] } }),
    );
    const request = (to: string) =>
      ({
        tenant,
        purpose: 'ae:ACMEAPP:login',
        subject: to,
        deliveries: [{ channel: 'EMAIL', to }],
        content: {},
      }) as unknown as IssueRequest;

    it('sends e-mail steps to the request e-mail address', () => {
      expect(fallbackPlan(request('ana@example.com'))?.email).toBe('ana@example.com');
    });

    it('gives a decoy (.invalid) address no e-mail step destination, but still a plan (same timing as a real user)', () => {
      const plan = fallbackPlan(request('0123456789abcdef01234567@decoy.invalid'));
      expect(plan).toBeDefined();
      expect(plan?.email).toBeUndefined();
      expect(fallbackPlan(request('x@Decoy.INVALID.'))?.email).toBeUndefined();
    });
  });

  describe('createEventBridgeScheduler', () => {
    const options = {
      groupName: 'otp-fallback',
      targetArn: 'arn:aws:lambda:eu-west-1:123456789012:function:fallback',
      roleArn: 'arn:aws:iam::123456789012:role/scheduler',
    };

    it('creates a one-time schedule, deleted after it runs, with no flexible window, carrying only the job', async () => {
      const mock = mockClient(SchedulerClient);
      mock.on(CreateScheduleCommand).resolves({});
      const scheduler = createEventBridgeScheduler({
        ...options,
        client: async () => new SchedulerClient({}),
      });
      await scheduler.schedule(JOB, Date.UTC(2026, 11, 5, 6, 0, 0, 1));
      expect(mock).toHaveReceivedCommandWith(CreateScheduleCommand, {
        Name: 'otp-fallback-AbC_d-1-1',
        GroupName: 'otp-fallback',
        // Rounded up: a step never runs before its time.
        ScheduleExpression: 'at(2026-12-05T06:00:01)',
        ScheduleExpressionTimezone: 'UTC',
        FlexibleTimeWindow: { Mode: 'OFF' },
        ActionAfterCompletion: 'DELETE',
        Target: expect.objectContaining({
          Arn: options.targetArn,
          RoleArn: options.roleArn,
          Input: JSON.stringify(JOB),
        }) as never,
      });
      mock.restore();
    });

    it('takes a schedule of the same name as already done, and throws anything else', async () => {
      const mock = mockClient(SchedulerClient);
      const scheduler = createEventBridgeScheduler({
        ...options,
        client: async () => new SchedulerClient({}),
      });
      mock
        .on(CreateScheduleCommand)
        .rejects(new ConflictException({ Message: 'exists', message: 'exists', $metadata: {} }));
      await expect(scheduler.schedule(JOB, Date.now())).resolves.toBeUndefined();
      mock
        .on(CreateScheduleCommand)
        .rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));
      await expect(scheduler.schedule(JOB, Date.now())).rejects.toThrow('denied');
      mock.restore();
    });

    it('names schedules within Scheduler’s limits (64 characters of [0-9a-zA-Z-_.])', () => {
      const name = scheduleName({ ...JOB, id: 'x'.repeat(24), step: 5 });
      expect(name).toMatch(/^[0-9a-zA-Z-_.]{1,64}$/);
      expect(atExpression(Date.UTC(2026, 0, 2, 3, 4, 5))).toBe('at(2026-01-02T03:04:05)');
    });
  });

  describe('createTimerScheduler', () => {
    it('runs a job when its time comes, and none after stop', async () => {
      const ran: FallbackJob[] = [];
      const { logger } = captureLogger();
      const timers = createTimerScheduler(async (job) => ran.push(job), logger);
      await timers.scheduler.schedule(JOB, Date.now());
      await timers.scheduler.schedule({ ...JOB, step: 2 }, Date.now() + 60_000);
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(ran).toEqual([JOB]);
      expect(timers.pending()).toBe(1);
      timers.stop();
      expect(timers.pending()).toBe(0);
    });
  });

  describe('functions/fallback handler', () => {
    it('drops a payload that is not a job without touching the store', async () => {
      let built = 0;
      const handler = createFallbackHandler(() => {
        built++;
        return {} as FallbackDeps;
      });
      const context = { invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:fallback' };
      for (const input of [{}, { ...JOB, step: 0 }, { ...JOB, code: '123456' }, 'x'])
        await expect(handler(input, context)).resolves.toEqual({ outcome: 'invalid' });
      expect(built).toBe(0);
    });
  });
});
