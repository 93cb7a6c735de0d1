import { marshall } from '@aws-sdk/util-dynamodb';
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import type { OutboundMessage } from '../channels/types';
import { generateCode, openCode, randomId, sealCode } from '../crypto';
import {
  CountryNotAllowedError,
  DeliveryFailedError,
  DestinationLockedError,
  InvalidInputError,
  RateLimitedError,
  TooManyAttemptsError,
} from '../errors';
import { maskDestination } from '../mask';
import { failedAt, transact } from '../store/dynamo';
import { render, spellOut } from '../templates';
import type { Policy, Tenant } from '../tenants';
import {
  type ChallengeItem,
  type ChallengeKeys,
  challengeKeys,
  chargeSends,
  codeHash,
  marshallKey,
  sealAad,
} from './challenge';
import { chargePumping, PHONE_CHANNELS, type PumpingScope, pumpingRefusal, pumpingScope } from './pumping';
import type { Delivery, DeliveryResult, EngineDeps, Issued, IssueRequest, MessageContent } from './types';

/** SMS-pumping defence: phone channels go only to the tenant's allowed dialling codes. */
const assertCountriesAllowed = (deliveries: Delivery[], policy: Policy): void => {
  const allowed = new Set(policy.allowedCountryCodes);
  for (const d of deliveries) {
    if (!PHONE_CHANNELS.has(d.channel)) continue;
    const phone = parsePhoneNumberFromString(d.to);
    if (!phone?.isValid()) throw new InvalidInputError('phone', 'Invalid mobile number');
    if (!allowed.has('*') && !allowed.has(phone.countryCallingCode)) {
      throw new CountryNotAllowedError(`Country +${phone.countryCallingCode} is not allowed for this tenant`);
    }
  }
};

/** Builds the message a channel sends; the code enters the text here and nowhere earlier. */
const messageFor = (d: Delivery, content: MessageContent, code: string, tenant: Tenant): OutboundMessage => {
  const base = { channel: d.channel, tenantId: tenant.tenantId, to: d.to, code, settings: tenant.channels };
  switch (d.channel) {
    case 'EMAIL':
      return { ...base, subject: content.email.subject, text: render(content.email.body, code) };
    case 'VOICE':
      return { ...base, text: render(content.voice, spellOut(code)) };
    case 'WHATSAPP':
      return { ...base, text: render(content.sms, code), templateName: content.whatsappTemplateName };
    case 'ZALO':
      return { ...base, text: render(content.sms, code), templateName: content.zaloTemplateId };
    default:
      return { ...base, text: render(content.sms, code) };
  }
};

/** Sends to every channel in parallel; one failing channel never stops the others. */
const deliverAll = async (
  deps: EngineDeps,
  req: IssueRequest,
  code: string,
  challengeId: string,
): Promise<DeliveryResult[]> =>
  Promise.all(
    req.deliveries.map(async (d): Promise<DeliveryResult> => {
      const sender = deps.senders[d.channel];
      const to = maskDestination(d.to);
      if (!sender) {
        deps.logger.warn('channel not configured', { channel: d.channel, to, challengeId });
        return { channel: d.channel, to: d.to, ok: false, error: 'not-configured' };
      }
      try {
        await sender(messageFor(d, req.content, code, req.tenant));
        return { channel: d.channel, to: d.to, ok: true };
      } catch (error) {
        // The provider's error names only the provider's problem; the code is not in it.
        deps.logger.warn('channel send failed', {
          channel: d.channel,
          to,
          challengeId,
          error: error instanceof Error ? error.name : 'unknown',
        });
        return { channel: d.channel, to: d.to, ok: false, error: 'provider-error' };
      }
    }),
  );

/** Seconds until 00:00 UTC, when the daily counters roll over. */
const secondsToNextUtcDay = (now: number): number => {
  const d = new Date(now);
  return Math.ceil((Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1) - now) / 1000);
};

/** Maps a refused counter charge to the error the client sees. */
const counterRefusal = (policy: Policy, old: Record<string, unknown> | undefined, now: number) => {
  if (Number(old?.failures ?? 0) >= policy.maxDailyFailuresPerDestination) {
    return new DestinationLockedError('Too many failed verifications for this destination today');
  }
  return new RateLimitedError('destination-daily', secondsToNextUtcDay(now));
};

/** Logs a pumping refusal for the operator (which defence, which country) and returns it. */
const refusedForPumping = (
  deps: EngineDeps,
  req: IssueRequest,
  scope: PumpingScope,
  error: RateLimitedError,
) => {
  deps.logger.warn('sms pumping defence refused a send', {
    tenant: req.tenant.tenantId,
    purpose: req.purpose,
    subject: maskDestination(req.subject),
    reason: error.reason,
    ...(scope.breaker && { dialCode: scope.breaker.dialCode }),
  });
  return error;
};

/** Index of the first pumping item in the issue and resend transactions (after 2 counters + challenge). */
const PUMPING_AT = 3;

/**
 * Issues a code: a new one, or the live one again (same code, same attempt count) when the
 * destination already has one for this purpose. A fresh code costs one TransactWriteItems
 * (counters + challenge + pumping counters); a resend costs two (the refused fresh write, then
 * the resend write).
 */
export const issue = async (deps: EngineDeps, req: IssueRequest): Promise<Issued> => {
  const { policy } = req.tenant;
  assertCountriesAllowed(req.deliveries, policy);
  if (req.deliveries.length === 0) throw new InvalidInputError('channel', 'No channel to send to');

  const pepper = await deps.pepper();
  const now = deps.now();
  const keys = challengeKeys(pepper, req.tenant.tenantId, req.purpose, req.subject, now);
  const scope = pumpingScope(pepper, req.tenant.tenantId, policy, req.subject, req.deliveries, now);
  const code = generateCode(policy.codeLength, policy.codeAlphabet);
  const id = randomId();
  const item: ChallengeItem = {
    ...keys.challenge,
    id,
    codeHash: codeHash(pepper, keys, code),
    sealed: sealCode(pepper, sealAad(keys, id), code),
    expiresAt: now + policy.ttlSeconds * 1000,
    attempts: 0,
    sendCount: 1,
    lastSentAt: now,
    createdAt: now,
    binding: req.binding ?? {},
    channels: req.deliveries.map((d) => d.channel),
    // A verify credits the breaker only for a code whose send the breaker counted.
    ...(scope.breaker && { breakerCountry: scope.breaker.dialCode }),
    // TTL deletes late (up to 48 h in AWS); reads check expiresAt themselves.
    ttl: Math.ceil((now + policy.ttlSeconds * 1000) / 1000) + 60,
  };

  const fresh = await transact(deps.ddb, [
    ...chargeSends(deps.tableName, keys, policy, now, 1),
    {
      Put: {
        TableName: deps.tableName,
        Item: marshall(item, { removeUndefinedValues: true }),
        // One live code per (tenant, purpose, destination): replace only an expired or used one.
        // A code locked by wrong attempts is not replaced before it expires (else a regenerate
        // would reset the attempt count). Parallel generates race here and exactly one wins; the
        // others take the resend path.
        ConditionExpression: 'attribute_not_exists(pk) OR expiresAt <= :now OR attribute_exists(consumedAt)',
        ExpressionAttributeValues: marshall({ ':now': now }),
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
    },
    ...chargePumping(deps.tableName, scope, policy, now, 1),
  ]);

  if (fresh.ok) {
    return finish(deps, req, keys, scope, code, item, false, now);
  }
  if (failedAt(fresh.reasons, 0)) throw counterRefusal(policy, fresh.reasons[0]?.item, now);
  if (failedAt(fresh.reasons, 1)) throw new RateLimitedError('tenant-daily', secondsToNextUtcDay(now));
  const pumping = pumpingRefusal(scope, fresh.reasons, PUMPING_AT, now);
  if (pumping) throw refusedForPumping(deps, req, scope, pumping);
  const old = fresh.reasons[2]?.item as ChallengeItem | undefined;
  if (!old) throw new Error('Issue transaction cancelled without a reason');
  return resend(deps, req, pepper, keys, scope, old, now);
};

/** Sends the live code again, within its send count and resend gap; keeps its attempts. */
const resend = async (
  deps: EngineDeps,
  req: IssueRequest,
  pepper: Buffer,
  keys: ChallengeKeys,
  scope: PumpingScope,
  old: ChallengeItem,
  now: number,
): Promise<Issued> => {
  const { policy } = req.tenant;
  if (old.attempts >= policy.maxAttemptsPerCode)
    throw new TooManyAttemptsError('The code is locked until it expires');
  if (old.sendCount >= policy.maxSendsPerCode) {
    throw new RateLimitedError('sends-per-code', Math.ceil((old.expiresAt - now) / 1000));
  }
  const gapEdge = now - policy.resendGapSeconds * 1000;
  if (old.lastSentAt > gapEdge) {
    throw new RateLimitedError('resend-gap', Math.ceil((old.lastSentAt - gapEdge) / 1000));
  }

  const result = await transact(deps.ddb, [
    ...chargeSends(deps.tableName, keys, policy, now, 1),
    {
      Update: {
        TableName: deps.tableName,
        Key: marshallKey(keys.challenge),
        UpdateExpression: `SET sendCount = sendCount + :one, lastSentAt = :now, previousSentAt = lastSentAt${scope.breaker ? ', breakerCountry = :cc' : ''}`,
        // Same code, still live, under its send count, and past the gap: two parallel resends
        // cannot both pass `lastSentAt <= :gapEdge`, so the gap holds under races.
        ConditionExpression:
          'id = :id AND attribute_not_exists(consumedAt) AND expiresAt > :now AND sendCount < :maxSends AND lastSentAt <= :gapEdge AND attempts < :maxAttempts',
        ExpressionAttributeValues: marshall({
          ':one': 1,
          ':now': now,
          ':id': old.id,
          ':maxSends': policy.maxSendsPerCode,
          ':gapEdge': gapEdge,
          ':maxAttempts': policy.maxAttemptsPerCode,
          ...(scope.breaker && { ':cc': scope.breaker.dialCode }),
        }),
      },
    },
    ...chargePumping(deps.tableName, scope, policy, now, 1),
  ]);
  if (!result.ok) {
    if (failedAt(result.reasons, 0)) throw counterRefusal(policy, result.reasons[0]?.item, now);
    if (failedAt(result.reasons, 1)) throw new RateLimitedError('tenant-daily', secondsToNextUtcDay(now));
    const pumping = pumpingRefusal(scope, result.reasons, PUMPING_AT, now);
    if (pumping) throw refusedForPumping(deps, req, scope, pumping);
    // Another request resent (or verified) this code between our two writes.
    throw new RateLimitedError('resend-gap', policy.resendGapSeconds);
  }
  const code = openCode(pepper, sealAad(keys, old.id), old.sealed);
  return finish(
    deps,
    req,
    keys,
    scope,
    code,
    { ...old, sendCount: old.sendCount + 1, lastSentAt: now },
    true,
    now,
  );
};

/** Delivers, and rolls the charge back when no channel delivered (nothing charged unsent). */
const finish = async (
  deps: EngineDeps,
  req: IssueRequest,
  keys: ChallengeKeys,
  scope: PumpingScope,
  code: string,
  item: ChallengeItem,
  resent: boolean,
  now: number,
): Promise<Issued> => {
  const results = await deliverAll(deps, req, code, item.id);
  const delivered = results.filter((r) => r.ok).length;
  deps.logger.info('otp issued', {
    tenant: req.tenant.tenantId,
    purpose: req.purpose,
    subject: maskDestination(req.subject),
    challengeId: item.id,
    resent,
    sendCount: item.sendCount,
    delivered,
    failed: results.length - delivered,
  });
  if (delivered === 0) {
    await rollback(deps, req.tenant.policy, keys, scope, item, resent, now);
    throw new DeliveryFailedError('No channel could deliver the code');
  }
  return {
    challengeId: item.id,
    expiresAt: item.expiresAt,
    resent,
    sendCount: item.sendCount,
    binding: item.binding,
    results,
  };
};

/** Undoes a charge whose every delivery failed: a fresh code is removed, a resend un-counted. */
const rollback = async (
  deps: EngineDeps,
  policy: Policy,
  keys: ChallengeKeys,
  scope: PumpingScope,
  item: ChallengeItem,
  resent: boolean,
  now: number,
): Promise<void> => {
  const undoChallenge = resent
    ? {
        Update: {
          TableName: deps.tableName,
          Key: marshallKey(keys.challenge),
          UpdateExpression: 'SET sendCount = sendCount - :one, lastSentAt = previousSentAt',
          ConditionExpression: 'id = :id',
          ExpressionAttributeValues: marshall({ ':one': 1, ':id': item.id }),
        },
      }
    : {
        Delete: {
          TableName: deps.tableName,
          Key: marshallKey(keys.challenge),
          ConditionExpression: 'id = :id',
          ExpressionAttributeValues: marshall({ ':id': item.id }),
        },
      };
  const result = await transact(deps.ddb, [
    ...chargeSends(deps.tableName, keys, policy, now, -1),
    undoChallenge,
    ...chargePumping(deps.tableName, scope, policy, now, -1),
  ]);
  if (!result.ok)
    deps.logger.warn('rollback of an undelivered code found the challenge changed', { challengeId: item.id });
};
