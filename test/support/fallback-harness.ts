import { type FallbackDeps, runFallbackStep } from '../../shared/engine/fallback';
import type { Tenant } from '../../shared/tenants';
import { recordingEvents } from './events';
import { engineHarness } from './harness';
import { manualScheduler } from './manual-scheduler';

/**
 * Engine deps for fallback steps: a manual scheduler, recorded events and a tenant lookup over
 * `directory`, which knows `tenant` (a test adds another tenant or removes this one there).
 */
export const fallbackHarness = async (tenant: Tenant, options: Parameters<typeof engineHarness>[0] = {}) => {
  const h = await engineHarness(options);
  const jobs = manualScheduler();
  const events = recordingEvents();
  const directory = new Map<string, Tenant>([[tenant.tenantId, tenant]]);
  const deps: FallbackDeps = {
    ...h.deps,
    events: events.publisher,
    scheduler: jobs.scheduler,
    tenants: { get: async (id) => directory.get(id) },
  };
  /** Moves the clock to the next job's time and runs every job due then. */
  const fireNext = async () => {
    const next = Math.min(...jobs.jobs.map((j) => j.at));
    if (next > h.clock.now()) h.clock.set(next);
    return Promise.all(jobs.due(h.clock.now()).map((job) => runFallbackStep(deps, job)));
  };
  return { ...h, deps, jobs, events, directory, fireNext };
};
