import { type FallbackDeps, runFallbackStep } from '../../shared/engine/fallback';
import type { IssueRequest } from '../../shared/engine/types';
import type { FallbackWorkflow, Tenant } from '../../shared/tenants';
import { recordingEvents } from './events';
import { engineHarness, phoneDelivery, smsIssue, testTenant } from './harness';
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

export const PHONE = '+919876543219';
export const EMAIL = 'someone@example.com';
export const PURPOSE = 'v2:REGISTRATION';

type Steps = FallbackWorkflow['steps'];

const VOICE_THEN_EMAIL: Steps = [
  { channel: 'VOICE', afterSeconds: 60 },
  { channel: 'EMAIL', afterSeconds: 120 },
];

/** A tenant whose `v2:REGISTRATION` runs `steps` (voice after 60 s, e-mail after 120 s unless given). */
export const workflowTenant = (
  overrides: Parameters<typeof testTenant>[0] = {},
  steps: Steps = VOICE_THEN_EMAIL,
): Tenant => testTenant({ fallback: { [PURPOSE]: { steps } }, ...overrides });

/** An SMS (and, with `email`, e-mail) request for `v2:REGISTRATION` to PHONE. */
export const request = (tenant: Tenant, email = false, extra: Partial<IssueRequest> = {}): IssueRequest =>
  smsIssue(tenant, PHONE, PURPOSE, {
    ...extra,
    deliveries: [phoneDelivery('SMS', PHONE), ...(email ? [{ channel: 'EMAIL' as const, to: EMAIL }] : [])],
  });
