/**
 * The port fallback workflows wait through (README "Fallback workflows"). In AWS a job is an
 * EventBridge Scheduler one-time schedule (shared/scheduler/eventbridge.ts); locally a timer
 * (local/fallback-timers.ts); in tests a list the test fires by hand (test/support/manual-scheduler.ts).
 */

/**
 * One step due: which challenge and which step. It names the challenge by its keys (keyed hashes)
 * and id, never the code or a destination: the step reads both from the challenge, sealed.
 */
export interface FallbackJob {
  tenantId: string;
  pk: string;
  sk: string;
  /** The challenge's id: a code replaced since the job was scheduled is left alone. */
  id: string;
  /** 1 for the first fallback step. */
  step: number;
}

export interface Scheduler {
  /**
   * Runs `job` at `at` (epoch milliseconds) or soon after, at least once. Scheduling the same
   * job twice is allowed (the step's conditional write makes a second run a no-op).
   */
  schedule(job: FallbackJob, at: number): Promise<void>;
}
