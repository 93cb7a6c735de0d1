import type { TransactWriteItem } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { safeEqual } from '../crypto';
import {
  CodeExpiredError,
  DestinationLockedError,
  InvalidCodeError,
  NoActiveCodeError,
  TooManyAttemptsError,
} from '../errors';
import { maskDestination } from '../mask';
import { failedAt, transact } from '../store/dynamo';
import { dayCounterTtl } from '../store/keys';
import type { Policy } from '../tenants';
import {
  type ChallengeItem,
  type ChallengeKeys,
  challengeKeys,
  codeHash,
  isLive,
  marshallKey,
} from './challenge';
import { breakerCredit } from './pumping';
import type { EngineDeps, Verified, VerifyRequest } from './types';

/**
 * `size(binding) = :bn AND binding.#b0 = :b0 AND …`: the verify must present every stored
 * binding value, not just some. The size check closes the gap where a request that omits the
 * binding (say, a dialect path that forgot the authCode) would skip it.
 */
const bindingCondition = (binding: Record<string, string>) => {
  const entries = Object.entries(binding);
  return {
    expression: ` AND size(binding) = :bn${entries.map((_, i) => ` AND binding.#b${i} = :b${i}`).join('')}`,
    names: Object.fromEntries(entries.map(([k], i) => [`#b${i}`, k])),
    values: { ':bn': entries.length, ...Object.fromEntries(entries.map(([, v], i) => [`:b${i}`, v])) },
  };
};

/** True when `old` holds this code and binding: the request would pass but for the breaker credit. */
const wouldPass = (
  old: ChallengeItem,
  hash: string,
  binding: Record<string, string>,
  now: number,
  policy: Policy,
) =>
  isLive(old, now, policy) &&
  safeEqual(old.codeHash, hash) &&
  Object.keys(old.binding).length === Object.keys(binding).length &&
  Object.entries(binding).every(([k, v]) => old.binding[k] === v);

/**
 * Checks a code and consumes it in the same write. One TransactWriteItems: a condition check
 * that the destination is not locked by the day's failures, the conditional consume and, when
 * the subject is a phone number the conversion breaker counts, the credit of one verified code
 * to its country's hour. The lock check is needed in the same request: with the lock checked
 * only on wrong codes, a guesser past the daily limit could keep guessing and a right guess
 * would still pass.
 */
export const verify = async (deps: EngineDeps, req: VerifyRequest): Promise<Verified> => {
  const { policy } = req.tenant;
  const now = deps.now();
  const credit = breakerCredit(deps.tableName, req.tenant.tenantId, policy, req.subject, now);
  return consume(deps, req, now, credit);
};

/** One consume attempt; `credit` undefined leaves the breaker alone (used for the retry too). */
const consume = async (
  deps: EngineDeps,
  req: VerifyRequest,
  now: number,
  credit: ReturnType<typeof breakerCredit>,
): Promise<Verified> => {
  const { policy } = req.tenant;
  const pepper = await deps.pepper();
  const keys = challengeKeys(pepper, req.tenant.tenantId, req.purpose, req.subject, now);
  const bind = bindingCondition(req.binding ?? {});
  const hash = codeHash(pepper, keys, req.code);
  // The credit is conditioned on the challenge: only a code whose SMS the breaker counted may
  // raise the country's conversion, else e-mailed codes for a phone subject could buy pumping.
  const creditCondition = credit ? ' AND breakerCountry = :cc' : '';

  const result = await transact(deps.ddb, [
    {
      ConditionCheck: {
        TableName: deps.tableName,
        Key: marshallKey(keys.destinationDay),
        ConditionExpression: 'attribute_not_exists(failures) OR failures < :maxFailures',
        ExpressionAttributeValues: marshall({ ':maxFailures': policy.maxDailyFailuresPerDestination }),
      },
    },
    {
      Update: {
        TableName: deps.tableName,
        Key: marshallKey(keys.challenge),
        UpdateExpression: 'SET consumedAt = :now',
        // Single use: of any number of parallel verifies with the right code, exactly one
        // sees `attribute_not_exists(consumedAt)`. The hash comparison happens inside DynamoDB,
        // so no read-then-write window exists.
        ConditionExpression: `attribute_exists(pk) AND codeHash = :hash AND attribute_not_exists(consumedAt) AND expiresAt > :now AND attempts < :maxAttempts${bind.expression}${creditCondition}`,
        ...(Object.keys(bind.names).length > 0 && { ExpressionAttributeNames: bind.names }),
        ExpressionAttributeValues: marshall({
          ':hash': hash,
          ':now': now,
          ':maxAttempts': policy.maxAttemptsPerCode,
          ...bind.values,
          ...(credit && { ':cc': credit.dialCode }),
        }),
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
    },
    ...(credit ? [credit.item] : []),
  ]);

  if (result.ok) {
    deps.logger.info('otp verified', {
      tenant: req.tenant.tenantId,
      purpose: req.purpose,
      subject: maskDestination(req.subject),
    });
    return { verifiedAt: now };
  }
  if (failedAt(result.reasons, 0)) {
    throw new DestinationLockedError('Too many failed verifications for this destination today');
  }
  const old = result.reasons[1]?.item as ChallengeItem | undefined;
  // A right code whose send the breaker did not count (sent by e-mail, or before the breaker):
  // consume it without the credit. Costs a second request only in that rare case.
  if (
    credit &&
    old &&
    old.breakerCountry !== credit.dialCode &&
    wouldPass(old, hash, req.binding ?? {}, now, policy)
  ) {
    return consume(deps, req, now, undefined);
  }
  if (!old || old.consumedAt !== undefined) throw new NoActiveCodeError('No active code');
  if (old.expiresAt <= now) throw new CodeExpiredError('The code has expired');
  if (old.attempts >= policy.maxAttemptsPerCode) throw new TooManyAttemptsError('Too many wrong attempts');
  return wrongCode(deps, req, keys, old, now);
};

/**
 * Counts a wrong code (or wrong binding) against the code and the destination's day, in one
 * more write. The write is conditioned on the attempt count this request saw, so the count is
 * exact under parallel wrong guesses and each one reports its own remaining attempts (with
 * `attempts < :maxAttempts` alone, five parallel guesses all reported "4 left"). A request that
 * lost that race counts again on the newer value; some request wins each round, so this ends
 * within `maxAttemptsPerCode` rounds.
 */
const wrongCode = async (
  deps: EngineDeps,
  req: VerifyRequest,
  keys: ChallengeKeys,
  old: ChallengeItem,
  now: number,
): Promise<never> => {
  const { policy } = req.tenant;
  const log = (counted: boolean) =>
    deps.logger.info('otp rejected', {
      tenant: req.tenant.tenantId,
      purpose: req.purpose,
      subject: maskDestination(req.subject),
      challengeId: old.id,
      counted,
    });
  for (let seen = old.attempts; ; ) {
    const items: TransactWriteItem[] = [
      {
        Update: {
          TableName: deps.tableName,
          Key: marshallKey(keys.challenge),
          UpdateExpression: 'ADD attempts :one',
          ConditionExpression: 'id = :id AND attempts = :seen AND attribute_not_exists(consumedAt)',
          ExpressionAttributeValues: marshall({ ':one': 1, ':id': old.id, ':seen': seen }),
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        },
      },
      {
        Update: {
          TableName: deps.tableName,
          Key: marshallKey(keys.destinationDay),
          UpdateExpression: 'ADD failures :one SET #ttl = if_not_exists(#ttl, :ttl)',
          ExpressionAttributeNames: { '#ttl': 'ttl' },
          ExpressionAttributeValues: marshall({ ':one': 1, ':ttl': dayCounterTtl(now) }),
        },
      },
    ];
    const result = await transact(deps.ddb, items);
    if (result.ok) {
      log(true);
      throw new InvalidCodeError(policy.maxAttemptsPerCode - seen - 1);
    }
    // A parallel request used or replaced the code, or counted a guess, between our writes.
    const current = result.reasons[0]?.item as ChallengeItem | undefined;
    if (!current || current.id !== old.id || current.consumedAt !== undefined) {
      log(false);
      throw new NoActiveCodeError('No active code');
    }
    if (current.attempts >= policy.maxAttemptsPerCode) {
      log(false);
      throw new TooManyAttemptsError('Too many wrong attempts');
    }
    seen = current.attempts;
  }
};
