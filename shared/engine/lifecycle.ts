import { randomUUID } from 'node:crypto';
import {
  CountryNotAllowedError,
  DestinationLockedError,
  InvalidInputError,
  RateLimitedError,
  TooManyAttemptsError,
} from '../errors';
import { EVENT_VERSION } from '../events/names';
import type { OtpEventDetail, OtpEventOf, OtpEventType } from '../events/schema';
import { maskDestination } from '../mask';
import { markExpiryObserved } from '../store/challenge-status';
import type { ChallengeItem } from '../store/challenges';
import type { Caller, DeliveryResult, EngineDeps, IssueRequest, VerifyRequest } from './types';

/**
 * Lifecycle events from the engine's outcomes (the schemas: shared/events/schema.ts). One builder
 * per outcome, each called at the one place that outcome is decided, so every event is emitted
 * exactly once: issue.ts `finish` (issued, sent, send failures) and its refusal catch; verify.ts
 * where the answer is decided (approved, attempt failed, max attempts, expired, locked).
 */

/** The dialect a purpose belongs to, from its namespace (`v2:` …, shared/dialects/<id>/handlers.ts). */
const DIALECT_OF_PREFIX: Record<string, string> = {
  v2: 'capillary-v2',
  lr: 'loginradius',
  app: 'app-otp',
  ae: 'capillary-auth',
  adm: 'summitai',
  tw: 'twilio-verify',
};

/**
 * The purpose as events show it: its first two segments. `ae:<BRAND>:<sessionId>` becomes
 * `ae:<BRAND>`: a session id is a handle a receiver has no use for.
 */
export const publicPurpose = (purpose: string): string => purpose.split(':').slice(0, 2).join(':');

export const dialectOf = (purpose: string): string =>
  DIALECT_OF_PREFIX[purpose.split(':', 1)[0] ?? ''] ?? 'unknown';

/** The fields every event carries. */
export const envelope = <T extends OtpEventType>(
  type: T,
  at: number,
  scope: { tenantId: string; purpose: string; caller?: Caller | undefined; test?: boolean | undefined },
) => ({
  type,
  version: EVENT_VERSION,
  eventId: randomUUID(),
  occurredAt: new Date(at).toISOString(),
  tenantId: scope.tenantId,
  dialect: dialectOf(scope.purpose),
  purpose: publicPurpose(scope.purpose),
  ...(scope.caller ? { caller: scope.caller } : {}),
  // A test destination's code (README "Test destinations"): subscribers filter these out of
  // delivery and conversion figures.
  ...(scope.test ? { test: true as const } : {}),
});

const scopeOf = (req: IssueRequest | VerifyRequest, test: boolean | undefined) => ({
  tenantId: req.tenant.tenantId,
  purpose: req.purpose,
  caller: req.caller ?? 'authenticated',
  test,
});

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * The events of one send: `otp.issued` for a fresh code that reached at least one channel,
 * `otp.sent` per channel that took the message, `otp.delivery_failed` (stage `send`) per channel
 * that did not. A send no channel took is rolled back, so it has no `otp.issued`.
 */
export const sendEvents = (
  deps: EngineDeps,
  req: IssueRequest,
  item: ChallengeItem,
  results: DeliveryResult[],
  resent: boolean,
  /** The fallback step that sent these (README "Fallback workflows"); absent for a request's own send. */
  step?: number,
): OtpEventDetail[] => {
  const now = deps.now();
  const scope = scopeOf(req, item.test);
  const delivered = results.filter((r) => r.ok);
  const events: OtpEventDetail[] = [];
  if (!resent && delivered.length > 0) {
    events.push({
      ...envelope('otp.issued', now, scope),
      verificationId: item.id,
      channels: delivered.map((r) => r.channel),
      expiresAt: iso(item.expiresAt),
    });
  }
  results.forEach((r, i) => {
    const d = req.deliveries[i];
    const region = d && d.channel !== 'EMAIL' ? d.phone.region : undefined;
    const delivery = {
      verificationId: item.id,
      channel: r.channel,
      recipient: maskDestination(r.to),
      ...(region ? { country: region } : {}),
    };
    events.push(
      r.ok
        ? {
            ...envelope('otp.sent', now, scope),
            ...delivery,
            resent,
            ...(step !== undefined && { step }),
            sendCount: item.sendCount,
            attempts: item.attempts,
            expiresAt: iso(item.expiresAt),
          }
        : {
            ...envelope('otp.delivery_failed', now, scope),
            ...delivery,
            stage: 'send',
            reason: r.error ?? 'provider-error',
            provider: 'engine',
          },
    );
  });
  return events;
};

const PUMPING: ReadonlySet<string> = new Set(['prefix-velocity', 'conversion-breaker']);

/** Why a generate was refused, as `otp.refused` says it; undefined for an error that is no refusal. */
const refusalOf = (
  error: unknown,
): Pick<OtpEventOf<'otp.refused'>, 'reason' | 'detail' | 'retryAfterSeconds'> | undefined => {
  if (error instanceof RateLimitedError) {
    return {
      reason: PUMPING.has(error.reason) ? 'pumping' : 'limits',
      detail: error.reason,
      retryAfterSeconds: error.retryAfterSeconds,
    };
  }
  if (error instanceof CountryNotAllowedError)
    return { reason: 'number-policy', detail: 'country-not-allowed' };
  if (error instanceof InvalidInputError && error.field === 'phone') {
    return { reason: 'number-policy', detail: 'number-type' };
  }
  if (error instanceof DestinationLockedError) return { reason: 'locked', detail: 'destination-locked' };
  if (error instanceof TooManyAttemptsError) return { reason: 'locked', detail: 'code-locked' };
  return undefined;
};

/**
 * `otp.refused` for a generate the engine refused (limits, pumping defence, number policy,
 * locks; `test` for a test destination's). A request for one recipient names it, masked; a
 * fan-out names none.
 */
export const refusalEvents = (
  deps: EngineDeps,
  req: IssueRequest,
  error: unknown,
  test: boolean,
): OtpEventDetail[] => {
  const refusal = refusalOf(error);
  if (!refusal) return [];
  const recipients = new Set(req.deliveries.map((d) => d.to));
  const [only] = recipients;
  return [
    {
      ...envelope('otp.refused', deps.now(), scopeOf(req, test)),
      ...(recipients.size === 1 && only ? { recipient: maskDestination(only) } : {}),
      ...refusal,
    },
  ];
};

/** How a verify ended, as verify.ts decides it. */
export type VerifyOutcome = 'verified' | 'wrong' | 'locked' | 'consumed-by-another';

/**
 * The events of one verify: `otp.approved`; `otp.attempt_failed` (plus `otp.max_attempts_reached`
 * on the guess that used the last attempt: the reservations are serialised on the item, so
 * exactly one guess holds attempt number `max`); `otp.refused` when the recipient is locked;
 * `otp.expired` when a verify finds the code past its expiry (verify.ts makes that once per code).
 */
export const verifyEvents = (
  deps: EngineDeps,
  req: VerifyRequest,
  item: ChallengeItem,
  outcome: VerifyOutcome | 'expired',
): OtpEventDetail[] => {
  const now = deps.now();
  const scope = scopeOf(req, item.test);
  const max = req.tenant.policy.maxAttemptsPerCode;
  const about = { verificationId: item.id, recipient: maskDestination(req.subject), attempts: item.attempts };
  switch (outcome) {
    case 'verified':
      return [{ ...envelope('otp.approved', now, scope), ...about }];
    case 'wrong': {
      const left = Math.max(0, max - item.attempts);
      return [
        { ...envelope('otp.attempt_failed', now, scope), ...about, attemptsLeft: left },
        ...(left === 0 ? [{ ...envelope('otp.max_attempts_reached', now, scope), ...about }] : []),
      ];
    }
    case 'locked':
      return [
        {
          ...envelope('otp.refused', now, scope),
          verificationId: item.id,
          recipient: about.recipient,
          reason: 'locked',
          detail: 'destination-locked',
        },
      ];
    case 'expired':
      return [{ ...envelope('otp.expired', now, scope), ...about, expiresAt: iso(item.expiresAt) }];
    case 'consumed-by-another':
      // A parallel right guess won; its own verify tells `otp.approved`.
      return [];
  }
};

/**
 * Tells `otp.expired` the first time a verify finds this code past its expiry: one conditional
 * write marks the code, so parallel and later verifies of the same dead code tell nothing more.
 * Skipped (no write) when no bus is configured.
 */
export const observeExpiry = async (
  deps: EngineDeps,
  req: VerifyRequest,
  old: ChallengeItem,
): Promise<void> => {
  if (!deps.events) return;
  if (await markExpiryObserved(deps.ddb, deps.tableName, old, deps.now()))
    await emit(deps, verifyEvents(deps, req, old, 'expired'));
};

/** Hands one outcome's events to the port (which never throws and is bounded in time). */
export const emit = async (deps: EngineDeps, events: OtpEventDetail[]): Promise<void> => {
  if (events.length > 0 && deps.events) await deps.events.publish(events);
};
