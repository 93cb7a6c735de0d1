import type { TransactWriteItem } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { hmac } from '../crypto';
import { RateLimitedError } from '../errors';
import { type CancelReason, failedAt } from '../store/dynamo';
import { countryPk, HOUR_MS, hourCounterTtl, hourSk, prefixPk, utcHour } from '../store/keys';
import type { Policy } from '../tenants';
import type { Delivery } from './types';

/**
 * SMS-pumping defence beyond the allowed countries (docs/SMS-PUMPING.md): a velocity limit per
 * number prefix and a conversion breaker per country. Both are items of the issue's own
 * TransactWriteItems, so a refusal charges nothing and a fresh issue stays one request.
 */

/** Channels that cost money per message and that pumping abuses. */
export const PHONE_CHANNELS: ReadonlySet<string> = new Set(['SMS', 'VOICE', 'WHATSAPP']);

/**
 * The breaker's fixed-point scale: a verify adds `CREDIT` to an hour's `balance`, a send takes
 * `round(CREDIT * minConversionRatio)`. Condition expressions cannot multiply, so the ratio test
 * `verified / sends >= ratio` is kept as the sign of one number, `balance >= 0`.
 */
export const CREDIT = 1000;

type Key = { pk: string; sk: string };

/** The pumping counters one issue charges; empty for e-mail, Zalo and safe-listed numbers. */
export interface PumpingScope {
  /** Hourly counters of the distinct number prefixes the request sends to by phone. */
  prefixes: Key[];
  /**
   * The subject's country when the request sends to the subject's own number: only then can
   * the verify credit it without a read (it knows the subject, not the delivery list).
   */
  breaker?: { dialCode: string; current: Key; previous: Key };
}

const isSafeListed = (policy: Policy, e164: string): boolean =>
  policy.safeList.some((p) => e164.startsWith(p));

/** The dialling code whose breaker counts `subject`, or undefined when the breaker does not apply. */
const breakerCountry = (policy: Policy, subject: string): string | undefined => {
  if (policy.minConversionRatio <= 0 || !subject.startsWith('+') || isSafeListed(policy, subject)) return;
  const phone = parsePhoneNumberFromString(subject);
  return phone?.isValid() ? phone.countryCallingCode : undefined;
};

const countryHour = (tenantId: string, dialCode: string, ms: number): Key => ({
  pk: countryPk(tenantId, dialCode),
  sk: hourSk(utcHour(ms)),
});

/** Works out which pumping counters an issue charges. Deliveries are already validated numbers. */
export const pumpingScope = (
  pepper: Buffer,
  tenantId: string,
  policy: Policy,
  subject: string,
  deliveries: Delivery[],
  now: number,
): PumpingScope => {
  const hour = hourSk(utcHour(now));
  const prefixes = new Map<string, Key>();
  let toSubject = false;
  for (const d of deliveries) {
    if (!PHONE_CHANNELS.has(d.channel) || isSafeListed(policy, d.to)) continue;
    const phone = parsePhoneNumberFromString(d.to);
    if (!phone) continue;
    const prefix = `+${phone.countryCallingCode}${phone.nationalNumber.slice(0, policy.velocityPrefixDigits)}`;
    const pk = prefixPk(tenantId, hmac(pepper, 'prefix', tenantId, prefix).slice(0, 32));
    prefixes.set(pk, { pk, sk: hour });
    toSubject ||= d.to === subject;
  }
  const dialCode = toSubject ? breakerCountry(policy, subject) : undefined;
  return {
    prefixes: [...prefixes.values()],
    ...(dialCode && {
      breaker: {
        dialCode,
        current: countryHour(tenantId, dialCode, now),
        previous: countryHour(tenantId, dialCode, now - HOUR_MS),
      },
    }),
  };
};

/** The breaker is closed while an hour has too few sends to judge, or enough verifies for them. */
const BREAKER_CLOSED = 'attribute_not_exists(sends) OR sends < :minSends OR balance >= :zero';

/**
 * Charges (`delta` 1) or refunds (`delta` -1, after every channel failed) one phone send to the
 * prefix and breaker counters. The order is fixed: prefixes, then the breaker's current hour,
 * then its previous hour; `pumpingRefusal` reads the cancellation reasons in that order.
 */
export const chargePumping = (
  tableName: string,
  scope: PumpingScope,
  policy: Policy,
  now: number,
  delta: 1 | -1,
): TransactWriteItem[] => {
  const charge = delta > 0;
  const ttl = hourCounterTtl(now);
  const items: TransactWriteItem[] = scope.prefixes.map((key) => ({
    Update: {
      TableName: tableName,
      Key: marshall(key),
      UpdateExpression: 'ADD sends :delta SET #ttl = if_not_exists(#ttl, :ttl)',
      // Evaluated against the committed count, so parallel sends cannot overshoot the limit.
      ...(charge && { ConditionExpression: 'attribute_not_exists(sends) OR sends < :max' }),
      ExpressionAttributeNames: { '#ttl': 'ttl' },
      ExpressionAttributeValues: marshall({
        ':delta': delta,
        ':ttl': ttl,
        ...(charge && { ':max': policy.maxSendsPerPrefixPerHour }),
      }),
    },
  }));
  if (!scope.breaker) return items;
  const cost = Math.round(CREDIT * policy.minConversionRatio);
  const judge = { ':minSends': policy.conversionMinSends, ':zero': 0 };
  items.push({
    Update: {
      TableName: tableName,
      Key: marshall(scope.breaker.current),
      UpdateExpression: 'ADD sends :delta, balance :cost SET #ttl = if_not_exists(#ttl, :ttl)',
      ...(charge && { ConditionExpression: BREAKER_CLOSED }),
      ExpressionAttributeNames: { '#ttl': 'ttl' },
      ExpressionAttributeValues: marshall({
        ':delta': delta,
        ':cost': -delta * cost,
        ':ttl': ttl,
        ...(charge && judge),
      }),
    },
  });
  // The previous hour's verdict holds through the current hour, so a tripped breaker stays open
  // for at least one whole hour instead of closing at the first turn of the clock.
  if (charge) {
    items.push({
      ConditionCheck: {
        TableName: tableName,
        Key: marshall(scope.breaker.previous),
        ConditionExpression: BREAKER_CLOSED,
        ExpressionAttributeValues: marshall(judge),
      },
    });
  }
  return items;
};

/** Seconds from `now` to the start of the UTC hour `hours` after the current one. */
const secondsToHour = (now: number, hours: number): number =>
  Math.ceil(((Math.floor(now / HOUR_MS) + hours) * HOUR_MS - now) / 1000);

/**
 * The refusal for a cancelled issue whose pumping items start at `offset`, or undefined when
 * none of them failed. A breaker tripped this hour stays open through the next hour.
 */
export const pumpingRefusal = (
  scope: PumpingScope,
  reasons: CancelReason[],
  offset: number,
  now: number,
): RateLimitedError | undefined => {
  for (let i = 0; i < scope.prefixes.length; i++) {
    if (failedAt(reasons, offset + i)) return new RateLimitedError('prefix-velocity', secondsToHour(now, 1));
  }
  if (!scope.breaker) return;
  const current = offset + scope.prefixes.length;
  if (failedAt(reasons, current)) return new RateLimitedError('conversion-breaker', secondsToHour(now, 2));
  if (failedAt(reasons, current + 1))
    return new RateLimitedError('conversion-breaker', secondsToHour(now, 1));
  return;
};

/**
 * What a successful verify credits to the breaker: the subject's country this hour. Undefined
 * when the breaker does not count this subject (not a phone number, safe-listed, breaker off).
 */
export const breakerCredit = (
  tableName: string,
  tenantId: string,
  policy: Policy,
  subject: string,
  now: number,
): { dialCode: string; item: TransactWriteItem } | undefined => {
  const dialCode = breakerCountry(policy, subject);
  if (!dialCode) return;
  return {
    dialCode,
    item: {
      Update: {
        TableName: tableName,
        Key: marshall(countryHour(tenantId, dialCode, now)),
        UpdateExpression: 'ADD verified :one, balance :credit SET #ttl = if_not_exists(#ttl, :ttl)',
        ExpressionAttributeNames: { '#ttl': 'ttl' },
        ExpressionAttributeValues: marshall({ ':one': 1, ':credit': CREDIT, ':ttl': hourCounterTtl(now) }),
      },
    },
  };
};
