import { safeEqual } from '../crypto';
import {
  CodeExpiredError,
  DestinationLockedError,
  InvalidCodeError,
  NoActiveCodeError,
  TooManyAttemptsError,
} from '../errors';
import { maskDestination } from '../mask';
import { type ChallengeItem, consume, refundAttempt, reserveAttempt } from '../store/challenges';
import { chargeFailure, checkNotLocked } from '../store/counters';
import { Transaction } from '../store/dynamo';
import { challengeKey, recipientPk } from '../store/keys';
import { breakerCredit } from '../store/pumping';
import { baseOf } from '../store/shards';
import { codeHash } from './challenge';
import { GuardWatch } from './guard';
import { emit, observeExpiry, type VerifyOutcome, verifyEvents } from './lifecycle';
import type { EngineDeps, Verified, VerifyRequest } from './types';

/**
 * True when the request presents exactly the stored binding: every stored value, and no fewer
 * entries (a request that omits the binding, say a dialect path that forgot the authCode, must
 * not skip it).
 */
const bindingMatches = (stored: Record<string, string>, given: Record<string, string>): boolean => {
  const entries = Object.entries(stored);
  return (
    entries.length === Object.keys(given).length &&
    // Stryker disable next-line StringLiteral: equivalent, `given[k]` is a string here (hasOwn just before; zod-built); `?? ''` is for the type checker
    entries.every(([k, v]) => Object.hasOwn(given, k) && safeEqual(v, given[k] ?? ''))
  );
};

/**
 * One breaker shard per region of a code: a verify proves one delivery, so it credits each region
 * once, however many shards of it the code's sends (resends re-pick shards) were charged to.
 */
const creditedShards = (breakers: Set<string> | undefined): string[] => {
  const byRegion = new Map<string, string>();
  // Stryker disable next-line MethodExpression,ConditionalExpression: equivalent, any one shard of a region may take its credit (each shard judges its own hour); the sort only makes the pick reproducible
  for (const pk of [...(breakers ?? [])].sort()) if (!byRegion.has(baseOf(pk))) byRegion.set(baseOf(pk), pk);
  return [...byRegion.values()];
};

/**
 * Why no guess could be reserved on the item as it was: `old` is what a write under `LIVE AND
 * UNDER_ATTEMPTS` at `now` was refused on (ALL_OLD). Missing, used or expired fails LIVE; an item
 * that passes LIVE failed the other half, so its guesses are used up.
 */
// Stryker disable StringLiteral: an OtpError's message never leaves the process (each dialect answers by its kind; test/support/engine-errors.ts)
export const noReservation = (old: ChallengeItem | undefined, now: number) => {
  if (!old || old.consumedAt !== undefined) return new NoActiveCodeError('No active code');
  if (old.expiresAt <= now) return new CodeExpiredError('The code has expired');
  return new TooManyAttemptsError('Too many wrong attempts');
};
// Stryker restore StringLiteral

/**
 * Checks a code: count first, compare, then answer ("count before compare", SECURITY.md G1).
 *
 * 1. Reserve one guess on the live code (`UpdateItem`, `attempts < max`, ALL_NEW). Of any
 *    number of parallel guesses at most `maxAttemptsPerCode` get a reservation; the rest are
 *    refused without being compared.
 * 2. Compare the guess with the returned hash (and binding) in memory. Nothing about the result
 *    leaves this function before step 3 commits.
 * 3. One TransactWriteItems: a wrong guess reserves a failure on the day of every recipient the
 *    code went to (refused once they are locked); a right one checks that no recipient is locked,
 *    consumes the code (single use) and credits the breakers that counted its messages. Only
 *    then is the answer given, so at most `maxDailyFailuresPerDestination` wrong answers per
 *    recipient per day exist, whatever the concurrency.
 *
 * Two sequential requests for a right or a wrong code; a third only when a locked recipient or
 * a dialect's guard (`VerifyRequest.guard`, checked in step 3's transaction) refuses the guess
 * and its reserved attempt is given back.
 *
 * Cut off by a fault between steps 1 and 3 (the transaction times out, throttles, or the handler's
 * early timeout fires), the guess stays counted and the code stays unconsumed: the answer is a
 * 503, the attempt it used is not given back (it was compared, so it counts), and the same code
 * still verifies on the next try (when the early timeout answered, shared/deadline.ts stops the
 * abandoned handler before its transaction). That is the safe side: a fault can cost the user one attempt,
 * never consume a code without answering success. The one exception is a transaction that
 * committed but whose every response was lost (the SDK retries with the same idempotency token,
 * so one lost response is answered with the committed result): then the code is consumed and
 * the client got a 503, and it must generate again.
 */
export const verify = async (deps: EngineDeps, req: VerifyRequest): Promise<Verified> => {
  const guard = new GuardWatch(req.guard);
  try {
    return await verifyGuarded(deps, req, guard);
  } catch (error) {
    // A dialect's guard ranks first (see `Guard.recheck`).
    throw await guard.rank(error);
  }
};

const verifyGuarded = async (deps: EngineDeps, req: VerifyRequest, guard: GuardWatch): Promise<Verified> => {
  const { policy } = req.tenant;
  const trust = req.caller ?? 'authenticated';
  const now = deps.now();
  const pepper = await deps.pepper();
  const key = challengeKey(pepper, req.tenant.tenantId, req.purpose, req.subject);

  const reservation = await reserveAttempt(deps.ddb, deps.tableName, key, policy.maxAttemptsPerCode, now);
  if (!reservation.ok) {
    const refusal = noReservation(reservation.old, now);
    if (refusal instanceof CodeExpiredError && reservation.old)
      await observeExpiry(deps, req, reservation.old);
    throw refusal;
  }
  const item = reservation.item;

  const right =
    safeEqual(item.codeHash, codeHash(pepper, key, req.code)) &&
    bindingMatches(item.binding, req.binding ?? {});
  // Codes issued before recipients were recorded are charged to their subject.
  const recipients = item.recipients?.size
    ? [...item.recipients]
    : [recipientPk(pepper, req.tenant.tenantId, req.subject)];
  const tx = new Transaction();
  recipients.forEach((pk, i) => {
    tx.add(
      `recipientDay:${i}`,
      right
        ? checkNotLocked(deps.tableName, pk, policy, trust, now)
        : chargeFailure(deps.tableName, pk, policy, trust, now),
    );
  });
  if (right) {
    // Stryker disable next-line StringLiteral: equivalent, failures are told apart by the `recipientDay:` and `onSuccess:` prefixes and the consume is the rest, so any name behaves the same
    tx.add('challenge', consume(deps.tableName, item, now));
    creditedShards(item.breakers).forEach((pk, i) => {
      tx.add(`breakerCredit:${i}`, breakerCredit(deps.tableName, pk, now));
    });
    for (const [name, write] of Object.entries(req.onSuccess ?? {})) tx.add(`onSuccess:${name}`, write);
  }
  // The guard's own check, unless a right guess's write on its item carries the condition.
  const carrier = right && req.guard?.carriedBy && req.onSuccess?.[req.guard.carriedBy];
  const guardName = carrier ? `onSuccess:${req.guard?.carriedBy}` : 'guard';
  if (!carrier) tx.add('guard', guard.check);
  const result = await tx.run(deps.ddb);
  const refusedByGuard = guard.refusal(result, guardName);
  // The one place each verify outcome is told: the log line and its lifecycle events.
  const log = async (outcome: VerifyOutcome) => {
    deps.logger.info(outcome === 'verified' ? 'otp verified' : 'otp rejected', {
      tenant: req.tenant.tenantId,
      purpose: req.purpose,
      subject: maskDestination(req.subject),
      challengeId: item.id,
      caller: trust,
      attempt: item.attempts,
      outcome,
      ...(item.test && { test: true }),
    });
    await emit(deps, verifyEvents(deps, req, item, outcome));
  };

  if (result.ok) {
    await log(right ? 'verified' : 'wrong');
    if (right) return { verifiedAt: now };
    throw new InvalidCodeError(Math.max(0, policy.maxAttemptsPerCode - item.attempts));
  }
  if (refusedByGuard) {
    // Refused before it was answered, as for a locked recipient: the guess is not counted.
    await refundAttempt(deps.ddb, deps.tableName, item);
    throw refusedByGuard;
  }
  const extra = result.failures().find((n) => n.startsWith('onSuccess:'));
  if (extra) throw new Error(`A verify's own write failed its condition: ${extra}`);
  if (result.failures().some((n) => n.startsWith('recipientDay:'))) {
    // Refused unanswered: the guess was not compared as far as anyone can tell, so it is not counted.
    await refundAttempt(deps.ddb, deps.tableName, item);
    await log('locked');
    // Stryker disable next-line StringLiteral: the message never leaves the process (dialects answer by kind)
    throw new DestinationLockedError('Too many failed verifications for this recipient today');
  }
  // A parallel right guess consumed the code between our two writes.
  await log('consumed-by-another');
  // Stryker disable next-line StringLiteral: the message never leaves the process (dialects answer by kind)
  throw new NoActiveCodeError('No active code');
};
