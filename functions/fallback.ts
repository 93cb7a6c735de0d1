/**
 * The fallback function: the target of the EventBridge Scheduler one-time schedules of fallback
 * workflows (README "Fallback workflows"). Each invocation is one step of one challenge; the
 * payload names the challenge (keys, id) and the step, never the code or a destination.
 */
import * as z from 'zod';
import { awsDeps } from '../shared/app-deps';
import { emailSender, smsSender, voiceSender } from '../shared/channels/aws';
import { config } from '../shared/config';
import { type FallbackDeps, runFallbackStep, type StepOutcome } from '../shared/engine/fallback';
import { logger } from '../shared/logger';
import { createEventBridgeScheduler } from '../shared/scheduler/eventbridge';

/** The schedule's payload, checked: anything else is dropped, not retried. */
const jobSchema = z.strictObject({
  tenantId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
  pk: z.string().min(1).max(200),
  sk: z.string().min(1).max(300),
  id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
  step: z.number().int().min(1).max(10),
});

/** Builds the handler on the given deps (tests pass DynamoDB Local and a manual scheduler). */
export const createFallbackHandler =
  (make: (context: { invokedFunctionArn: string }) => FallbackDeps) =>
  async (
    input: unknown,
    context: { invokedFunctionArn: string },
  ): Promise<{ outcome: StepOutcome | 'invalid' }> => {
    const job = jobSchema.safeParse(input);
    if (!job.success) {
      logger.warn('fallback job dropped: not a job');
      return { outcome: 'invalid' };
    }
    const outcome = await runFallbackStep(make(context), job.data);
    logger.info('fallback step', { challengeId: job.data.id, step: job.data.step, outcome });
    return { outcome };
  };

let deps: FallbackDeps | undefined;

const fallbackDeps = (context: { invokedFunctionArn: string }): FallbackDeps => {
  if (deps) return deps;
  const c = config();
  if (!c.FALLBACK_SCHEDULE_GROUP || !c.FALLBACK_SCHEDULER_ROLE_ARN)
    throw new Error('Invalid configuration: set FALLBACK_SCHEDULE_GROUP and FALLBACK_SCHEDULER_ROLE_ARN');
  // The channels a step may use (shared/tenants.ts FALLBACK_CHANNELS).
  const app = awsDeps({ SMS: smsSender, EMAIL: emailSender, VOICE: voiceSender });
  // The next step targets this function: its own ARN, unqualified.
  const targetArn = context.invokedFunctionArn.split(':').slice(0, 7).join(':');
  deps = {
    ...app,
    scheduler: createEventBridgeScheduler({
      groupName: c.FALLBACK_SCHEDULE_GROUP,
      targetArn,
      roleArn: c.FALLBACK_SCHEDULER_ROLE_ARN,
    }),
  };
  return deps;
};

export const handler = createFallbackHandler(fallbackDeps);
