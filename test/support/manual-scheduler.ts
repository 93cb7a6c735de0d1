import type { FallbackJob, Scheduler } from '../../shared/engine/scheduler';

/**
 * A scheduler the test drives: jobs are listed with their due time and run only when the test
 * fires them (`due` with the test clock's time), so no test waits in real time.
 */
export const manualScheduler = () => {
  const jobs: Array<{ job: FallbackJob; at: number }> = [];
  const scheduler: Scheduler = {
    schedule: async (job, at) => {
      jobs.push({ job, at });
    },
  };
  /** Takes the jobs due at `now` off the list (earliest first). */
  const due = (now: number): FallbackJob[] => {
    const ready = jobs.filter((j) => j.at <= now).sort((a, b) => a.at - b.at);
    for (const r of ready) jobs.splice(jobs.indexOf(r), 1);
    return ready.map((r) => r.job);
  };
  return { scheduler, jobs, due };
};
