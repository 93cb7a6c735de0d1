import type { Logger } from '@aws-lambda-powertools/logger';
import type { FallbackJob, Scheduler } from '../shared/engine/scheduler';

/**
 * Fallback steps in the local runtime: one timer per job, through the same `Scheduler` port
 * EventBridge Scheduler implements in AWS. Timers do not keep the process alive, and `stop`
 * clears the pending ones (npm start's Ctrl-C), so nothing fires against a stopped DynamoDB Local.
 */
export const createTimerScheduler = (
  run: (job: FallbackJob) => Promise<unknown>,
  logger: Logger,
  now: () => number = Date.now,
) => {
  const timers = new Set<NodeJS.Timeout>();
  const scheduler: Scheduler = {
    schedule: async (job, at) => {
      const timer = setTimeout(
        () => {
          timers.delete(timer);
          run(job).catch((error: unknown) =>
            logger.error('fallback step failed', {
              challengeId: job.id,
              step: job.step,
              error: error instanceof Error ? error.name : 'unknown',
            }),
          );
        },
        Math.max(0, at - now()),
      );
      timer.unref();
      timers.add(timer);
    },
  };
  return {
    scheduler,
    /** Jobs waiting. */
    pending: () => timers.size,
    stop: () => {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
    },
  };
};
