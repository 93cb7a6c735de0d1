import { maskDestination } from '../mask';
import { parseE164 } from '../phone';
import { liveSessionCheck, sessionOfPurpose } from '../store/capillary-auth-sessions';
import { type ChallengeItem, getChallenge, skipStep } from '../store/challenges';
import { tenantPk } from '../store/keys';
import type { Tenant } from '../tenants';
import { type FallbackPlan, openPlan, scheduleStep } from './fallback-plan';
import { sendStep } from './issue';
import { emit, refusalEvents } from './lifecycle';
import type { FallbackJob, Scheduler } from './scheduler';
import type { Delivery, EngineDeps, Guard, IssueRequest } from './types';

/** What a fallback step needs: the engine's deps with a scheduler, and a way to read tenants. */
export interface FallbackDeps extends EngineDeps {
  scheduler: Scheduler;
  tenants: { get(tenantId: string): Promise<Tenant | undefined> };
}

/**
 * How one firing ended. `sent`: the step's channel took the message; `undelivered`: it was
 * charged and tried, and its provider failed (rolled back, not retried); `skipped`: a limit
 * refused it or the request named no destination for its channel; `stopped`: the workflow is
 * over (verified, cancelled, expired, locked, replaced) or this step already ran.
 */
export type StepOutcome = 'sent' | 'undelivered' | 'skipped' | 'stopped';

/** A step whose code can no longer be used: the workflow is over (nothing was written). */
class WorkflowEnded extends Error {
  constructor(readonly reason: string) {
    super(`fallback workflow ended: ${reason}`);
    this.name = 'WorkflowEnded';
  }
}

/**
 * What a step's send must still hold beyond the code itself: a Capillary auth code (`ae:`) is
 * usable only while its session lives (its validate answers 1505 after), so a step after the
 * session ended would be a paid message no one can use. Checked in the step's own transaction.
 */
const stepGuard = (deps: FallbackDeps, purpose: string): Guard | undefined => {
  const sessionId = sessionOfPurpose(purpose);
  if (sessionId === undefined) return undefined;
  return {
    check: liveSessionCheck(deps, sessionId, deps.now()),
    refusal: () => new WorkflowEnded('session-ended'),
  };
};

/** Why a challenge takes no more steps, or undefined while it may. */
const stopReason = (item: ChallengeItem | undefined, job: FallbackJob, maxAttempts: number, now: number) => {
  if (!item || item.id !== job.id || item.fallback === undefined) return 'replaced';
  if (item.consumedAt !== undefined) return item.settledAs ?? 'verified';
  if (item.expiresAt <= now) return 'expired';
  if (item.attempts >= maxAttempts) return 'locked';
  if ((item.fallbackStep ?? 0) !== job.step - 1) return 'already-run';
  return undefined;
};

/** Where a step's channel goes: the request's phone or e-mail, as fixed at issue. */
const deliveryOf = (
  channel: FallbackPlan['steps'][number]['channel'],
  plan: FallbackPlan,
): Delivery | undefined => {
  if (channel === 'EMAIL') return plan.email === undefined ? undefined : { channel, to: plan.email };
  const phone = plan.phone === undefined ? undefined : parseE164(plan.phone);
  return phone && { channel, to: phone.e164, phone };
};

/**
 * Runs fallback step `job.step` of a challenge (the scheduler's target: functions/fallback.ts in
 * AWS, a timer locally): re-reads the challenge, and while its code is live, unverified, not
 * locked and this step is due, sends the same code on the step's channel, charged and limited
 * like any send; then schedules the next step. A step a limit refuses is skipped (`otp.refused`
 * with its step) and the workflow goes on; it is never retried. A firing that finds the step
 * done, or the code gone, does nothing: a schedule delivered twice sends once.
 */
export const runFallbackStep = async (deps: FallbackDeps, job: FallbackJob): Promise<StepOutcome> => {
  const log = { challengeId: job.id, step: job.step };
  // The job names its tenant; its keys must be that tenant's (a job can touch nothing else).
  if (!job.pk.startsWith(`${tenantPk(job.tenantId)}#`)) return 'stopped';
  const tenant = await deps.tenants.get(job.tenantId);
  if (!tenant) return 'stopped';
  const old = await getChallenge(deps.ddb, deps.tableName, { pk: job.pk, sk: job.sk });
  const { maxAttemptsPerCode } = tenant.policy;
  const stopped = stopReason(old, job, maxAttemptsPerCode, deps.now());
  if (stopped || !old?.fallback) {
    deps.logger.info('fallback stopped', { ...log, reason: stopped });
    return 'stopped';
  }
  const plan = openPlan(await deps.pepper(), old, old.id, old.fallback);
  const step = plan.steps[job.step - 1];
  if (!step) return 'stopped';
  const delivery = deliveryOf(step.channel, plan);
  const req: IssueRequest = {
    tenant,
    purpose: old.sk.slice('CH#'.length),
    subject: plan.subject,
    deliveries: delivery ? [delivery] : [],
    content: plan.content,
    caller: plan.caller,
    ...(plan.locale !== undefined && { locale: plan.locale }),
    ...(plan.appHash !== undefined && { appHash: plan.appHash }),
  };
  const guard = stepGuard(deps, req.purpose);
  if (guard) req.guard = guard;
  const skip = async (): Promise<boolean> =>
    skipStep(deps.ddb, deps.tableName, old, job.step, { maxAttempts: maxAttemptsPerCode }, deps.now());
  /** Tells a limit's refusal of this step: the operator's log line and `otp.refused` with the step. */
  const tellRefused = async (to: string, error: unknown, refused: ReturnType<typeof refusalEvents>) => {
    deps.logger.info('fallback step refused', {
      ...log,
      channel: step.channel,
      to: maskDestination(to),
      reason: error instanceof Error ? error.name : 'unknown',
    });
    await emit(
      deps,
      refused.map((e) => ({ ...e, verificationId: old.id, step: job.step })),
    );
  };

  let outcome: StepOutcome;
  if (!delivery) {
    deps.logger.info('fallback step has no destination', { ...log, channel: step.channel });
    if (!(await skip())) return 'stopped';
    outcome = 'skipped';
  } else {
    try {
      const sent = await sendStep(deps, req, old, job.step);
      if (!sent.claimed) {
        const reason = stopReason(sent.old, job, maxAttemptsPerCode, deps.now());
        // Still live and due: the sends per code ran out between the read and the write.
        if (reason || !(await skip())) {
          deps.logger.info('fallback stopped', { ...log, reason: reason ?? 'changed' });
          return 'stopped';
        }
        outcome = 'skipped';
      } else if (sent.refused) {
        // Claimed, then given back by a whole limit: already spent, so skipped without a write.
        await tellRefused(delivery.to, sent.refused, refusalEvents(deps, req, sent.refused, false));
        outcome = 'skipped';
      } else outcome = sent.delivered ? 'sent' : 'undelivered';
    } catch (error) {
      if (error instanceof WorkflowEnded) {
        deps.logger.info('fallback stopped', { ...log, reason: error.reason });
        return 'stopped';
      }
      const refused = refusalEvents(deps, req, error, false);
      if (refused.length === 0) throw error;
      // Skipped for good: a limit that refused it now is not waited out.
      if (!(await skip())) {
        deps.logger.info('fallback stopped', { ...log, reason: 'changed' });
        return 'stopped';
      }
      await tellRefused(delivery.to, error, refused);
      outcome = 'skipped';
    }
  }
  await scheduleStep(deps, { ...job, step: job.step + 1 }, old, plan);
  return outcome;
};
