import { openCode } from '../crypto';
import { maskDestination } from '../mask';
import { type ChallengeItem, getChallenge, settleChallenge } from '../store/challenges';
import { challengeSk, destinationPk, subjectPk } from '../store/keys';
import type { Tenant } from '../tenants';
import { noteAad } from './challenge';
import { emit, envelope } from './lifecycle';
import type { EngineDeps } from './types';
import { noReservation } from './verify';

/**
 * Where a challenge is: by its subject, or by the subject's key (`subjectKeyOf`) when the client
 * holds only an id derived from it (Twilio's verification sid).
 */
export type ChallengeRef = { tenant: Tenant; purpose: string } & (
  | { subject: string; subjectKey?: never }
  | { subjectKey: string; subject?: never }
);

/** A challenge's lifecycle, in Twilio's words (DESIGN.md §8 "Status"). */
export type ChallengeStatus = 'pending' | 'approved' | 'canceled' | 'max_attempts_reached' | 'expired';

/** What a status read shows of a challenge: never the code or its hash. */
export interface ChallengeView {
  id: string;
  status: ChallengeStatus;
  /** Epoch milliseconds. */
  createdAt: number;
  /** Epoch milliseconds of the last change (send, guess-free settle, consume). */
  updatedAt: number;
  expiresAt: number;
  lastSentAt: number;
  previousSentAt?: number;
  sendCount: number;
  attempts: number;
  /** Engine channels of the first send. */
  channels: string[];
  /** The client's name for the destination (IssueRequest.note), opened; undefined when none. */
  note?: string;
  /** A test destination's code: nothing was sent (README "Test destinations"). */
  test?: true;
}

/** The keyed-hash part of a subject's partition: stable for a (tenant, subject), reveals nothing. */
export const subjectKeyOf = async (deps: EngineDeps, tenant: Tenant, subject: string): Promise<string> =>
  subjectPk(await deps.pepper(), tenant.tenantId, subject).slice(destinationPk(tenant.tenantId, '').length);

const keyOf = async (deps: EngineDeps, ref: ChallengeRef) => ({
  pk:
    ref.subject !== undefined
      ? subjectPk(await deps.pepper(), ref.tenant.tenantId, ref.subject)
      : destinationPk(ref.tenant.tenantId, ref.subjectKey),
  sk: challengeSk(ref.purpose),
});

const statusOf = (item: ChallengeItem, now: number, maxAttempts: number): ChallengeStatus => {
  if (item.consumedAt !== undefined) return item.settledAs ?? 'approved';
  if (item.attempts >= maxAttempts) return 'max_attempts_reached';
  if (item.expiresAt <= now) return 'expired';
  return 'pending';
};

const viewOf = async (deps: EngineDeps, ref: ChallengeRef, item: ChallengeItem): Promise<ChallengeView> => {
  const now = deps.now();
  return {
    id: item.id,
    status: statusOf(item, now, ref.tenant.policy.maxAttemptsPerCode),
    createdAt: item.createdAt,
    updatedAt: Math.max(item.lastSentAt, item.consumedAt ?? 0),
    expiresAt: item.expiresAt,
    lastSentAt: item.lastSentAt,
    ...(item.previousSentAt !== undefined && { previousSentAt: item.previousSentAt }),
    sendCount: item.sendCount,
    attempts: item.attempts,
    channels: item.channels,
    ...(item.test && { test: true as const }),
    ...(item.note !== undefined && {
      note: openCode(await deps.pepper(), noteAad(item, item.id), item.note),
    }),
  };
};

/** The challenge of a (tenant, purpose, subject) as it stands, or undefined: one consistent read. */
export const readChallenge = async (
  deps: EngineDeps,
  ref: ChallengeRef,
): Promise<ChallengeView | undefined> => {
  const item = await getChallenge(deps.ddb, deps.tableName, await keyOf(deps, ref));
  return item ? viewOf(deps, ref, item) : undefined;
};

/**
 * Ends a live code without a guess: `canceled` (the user gave up) or `approved` (the tenant
 * verified the user another way). The code never verifies afterwards and the next issue makes a
 * fresh one. A code that is used, expired or locked by wrong guesses cannot be settled (the
 * same errors as a verify: NoActiveCodeError, CodeExpiredError, TooManyAttemptsError), so a
 * cancel cannot give a locked code fresh attempts. An approve credits no pumping breaker: only a
 * code typed back proves a message arrived. One conditional write.
 */
export const settle = async (
  deps: EngineDeps,
  ref: ChallengeRef,
  outcome: 'canceled' | 'approved',
): Promise<ChallengeView> => {
  const now = deps.now();
  const { maxAttemptsPerCode } = ref.tenant.policy;
  const result = await settleChallenge(
    deps.ddb,
    deps.tableName,
    await keyOf(deps, ref),
    outcome,
    { maxAttempts: maxAttemptsPerCode },
    now,
  );
  if (!result.ok) throw noReservation(result.old, now);
  deps.logger.info('otp settled', {
    tenant: ref.tenant.tenantId,
    purpose: ref.purpose,
    ...(ref.subject !== undefined && { subject: maskDestination(ref.subject) }),
    challengeId: result.item.id,
    outcome,
    ...(result.item.test && { test: true }),
  });
  // Twilio's update: a cancel is `otp.canceled`; an approve by the tenant's backend is `otp.approved`.
  const scope = { tenantId: ref.tenant.tenantId, purpose: ref.purpose, test: result.item.test };
  const about = { verificationId: result.item.id, attempts: result.item.attempts };
  await emit(deps, [
    outcome === 'canceled'
      ? { ...envelope('otp.canceled', now, scope), ...about }
      : {
          ...envelope('otp.approved', now, scope),
          ...about,
          recipient: maskDestination(ref.subject ?? ''),
        },
  ]);
  return viewOf(deps, ref, result.item);
};
