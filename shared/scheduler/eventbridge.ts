import type { SchedulerClient } from '@aws-sdk/client-scheduler';
import type { FallbackJob, Scheduler } from '../engine/scheduler';

/**
 * The scheduler's budget inside a generate: it runs after the code is out, so a slow Scheduler
 * API delays the answer by at most about a second and never fails it (fallback-plan.ts logs).
 */
const SCHEDULER_TIMEOUTS = { maxAttempts: 2, connectionTimeoutMs: 300, requestTimeoutMs: 500 } as const;

/** The Scheduler client, imported on first use: only generates whose purpose has a workflow need it. */
export const createSchedulerClient = async (): Promise<SchedulerClient> => {
  const { SchedulerClient } = await import('@aws-sdk/client-scheduler');
  return new SchedulerClient({
    maxAttempts: SCHEDULER_TIMEOUTS.maxAttempts,
    requestHandler: {
      connectionTimeout: SCHEDULER_TIMEOUTS.connectionTimeoutMs,
      requestTimeout: SCHEDULER_TIMEOUTS.requestTimeoutMs,
      throwOnRequestTimeout: true,
    },
  });
};

export interface EventBridgeSchedulerOptions {
  /** The stack's schedule group (FALLBACK_SCHEDULE_GROUP). */
  groupName: string;
  /** The fallback function the schedules invoke (FALLBACK_FUNCTION_ARN). */
  targetArn: string;
  /** The role EventBridge Scheduler assumes to invoke it (FALLBACK_SCHEDULER_ROLE_ARN). */
  roleArn: string;
  /** A test passes a client under aws-sdk-client-mock. */
  client?: () => Promise<SchedulerClient>;
}

/** `at(yyyy-mm-ddThh:mm:ss)` in UTC, rounded up to the second (a step never runs early). */
export const atExpression = (ms: number): string =>
  `at(${new Date(Math.ceil(ms / 1000) * 1000).toISOString().slice(0, 19)})`;

/** A schedule's name: one per challenge and step, so scheduling a job twice makes one schedule. */
export const scheduleName = (job: FallbackJob): string => `otp-fallback-${job.id}-${job.step}`;

/**
 * Fallback steps as EventBridge Scheduler one-time schedules: `at(...)` in UTC, no flexible
 * window (a step is due on time), deleted after they run. The payload is the job (keys, id,
 * step), never the code or a destination. A schedule of that name already there is the same job
 * (ConflictException is success); Scheduler delivers at least once, which the step's
 * conditional write absorbs.
 */
export const createEventBridgeScheduler = (options: EventBridgeSchedulerOptions): Scheduler => {
  let client: Promise<SchedulerClient> | undefined;
  return {
    schedule: async (job, at) => {
      client ??= (options.client ?? createSchedulerClient)();
      const { CreateScheduleCommand } = await import('@aws-sdk/client-scheduler');
      try {
        await (await client).send(
          new CreateScheduleCommand({
            Name: scheduleName(job),
            GroupName: options.groupName,
            ScheduleExpression: atExpression(at),
            ScheduleExpressionTimezone: 'UTC',
            FlexibleTimeWindow: { Mode: 'OFF' },
            ActionAfterCompletion: 'DELETE',
            Target: {
              Arn: options.targetArn,
              RoleArn: options.roleArn,
              Input: JSON.stringify(job),
              // A step that could not run within two minutes of its time is dropped: the next
              // one would be due by then.
              RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 120 },
            },
          }),
        );
      } catch (error) {
        if ((error as { name?: string }).name !== 'ConflictException') throw error;
      }
    },
  };
};
