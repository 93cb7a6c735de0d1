import { openCode, sealCode } from '../crypto';
import type { FallbackWorkflow } from '../tenants';
import { sealAad } from './challenge';
import { publicPurpose } from './lifecycle';
import type { FallbackJob, Scheduler } from './scheduler';
import type { Caller, Delivery, EngineDeps, IssueRequest, MessageContent } from './types';

type Key = { pk: string; sk: string };
type PhoneDelivery = Extract<Delivery, { phone: unknown }>;

/**
 * What a fallback step needs that the challenge does not hold in the clear, fixed when the code
 * is issued: the workflow's steps (a tenant edit does not change a live code's workflow), the
 * subject (for logs and events, masked), where each channel goes, and the request's texts.
 * Stored sealed on the challenge (`ChallengeItem.fallback`), never in a schedule's payload.
 */
export interface FallbackPlan {
  steps: FallbackWorkflow['steps'];
  subject: string;
  /** E.164 of the request's first phone channel: SMS and VOICE steps go there. */
  phone?: string;
  /** The request's first e-mail address: EMAIL steps go there. */
  email?: string;
  content: MessageContent;
  caller: Caller;
  locale?: string;
  appHash?: string;
}

/** The associated data of a challenge's sealed fallback plan. */
const planAad = (key: Key, id: string): string => `${sealAad(key, id)}|fallback`;

/** An address under the `.invalid` top-level domain, which never exists (RFC 2606 §2). */
const isReservedInvalid = (address: string): boolean => /\.invalid\.?$/i.test(address);

/** The plan of a request whose purpose has a workflow, or undefined. */
export const fallbackPlan = (req: IssueRequest): FallbackPlan | undefined => {
  const workflow = req.tenant.fallback[publicPurpose(req.purpose)];
  if (!workflow) return undefined;
  const phone = req.deliveries.find((d): d is PhoneDelivery => d.channel !== 'EMAIL');
  // Never an address under the reserved `.invalid` TLD (RFC 2606): that is the Capillary auth
  // engine's decoy for a username with no contact (shared/dialects/capillary-auth/identifiers.ts),
  // whose first send is dropped. The plan is still made and its steps still scheduled, so a decoy
  // answers as fast as a real user; its e-mail steps find no destination and send nothing (a
  // real mail there would only bounce, and bounces count against the whole SES account).
  const email = req.deliveries.find((d) => d.channel === 'EMAIL' && !isReservedInvalid(d.to));
  return {
    steps: workflow.steps,
    subject: req.subject,
    ...(phone && { phone: phone.phone.e164 }),
    ...(email && { email: email.to }),
    content: req.content,
    caller: req.caller ?? 'authenticated',
    ...(req.locale !== undefined && { locale: req.locale }),
    ...(req.appHash !== undefined && { appHash: req.appHash }),
  };
};

export const sealPlan = (pepper: Buffer, key: Key, id: string, plan: FallbackPlan): string =>
  sealCode(pepper, planAad(key, id), JSON.stringify(plan));

export const openPlan = (pepper: Buffer, key: Key, id: string, sealed: string): FallbackPlan =>
  JSON.parse(openCode(pepper, planAad(key, id), sealed)) as FallbackPlan;

/**
 * Schedules step `step` of a challenge at `createdAt + afterSeconds`, unless the workflow has no
 * such step or the code expires first. A scheduler fault is logged, not thrown: the code is out
 * and verifies; only its fallback is lost.
 */
export const scheduleStep = async (
  deps: EngineDeps & { scheduler: Scheduler },
  job: FallbackJob,
  challenge: { createdAt: number; expiresAt: number },
  plan: FallbackPlan,
): Promise<boolean> => {
  const next = plan.steps[job.step - 1];
  if (!next) return false;
  const at = challenge.createdAt + next.afterSeconds * 1000;
  if (at >= challenge.expiresAt) return false;
  try {
    await deps.scheduler.schedule(job, at);
    return true;
  } catch (error) {
    deps.logger.error('fallback step could not be scheduled', {
      challengeId: job.id,
      step: job.step,
      error: error instanceof Error ? error.name : 'unknown',
    });
    return false;
  }
};
