import { createHmac } from 'node:crypto';
import { safeEqual } from '../../crypto';
import { claimPayloadHash, type TableRef } from '../../store/capillary-auth-sessions';
import { refusals } from './errors';

/** A hash is valid this long after its timestamp (the seed: "the defined time for the hash"). */
export const HASH_VALIDITY_SECONDS = 300;
/** Tolerated client clock skew for a timestamp in the future. */
export const HASH_FUTURE_SKEW_SECONDS = 60;

const HASH_FORMAT = /^(\d{1,12})\.([0-9a-fA-F]{64})$/;

/**
 * The signed text of a body: `JSON.stringify` of the parsed body without its `hash` key, keys in
 * the order received. JSON.parse keeps that order (except integer-like keys, which JavaScript
 * always lists first; the auth engine's bodies have none).
 */
export const signedText = (body: Record<string, unknown>): string => {
  const { hash: _hash, ...rest } = body;
  return JSON.stringify(rest);
};

/** `<unix seconds>.<hex HMAC-SHA256(secret, "<unix seconds>." + signed text)>` (clients and tests). */
export const signPayload = (secret: string, body: Record<string, unknown>, unixSeconds: number): string => {
  const mac = createHmac('sha256', secret)
    .update(`${unixSeconds}.${signedText(body)}`)
    .digest('hex');
  return `${unixSeconds}.${mac}`;
};

/**
 * Enforces payload signing for a brand that turned it on: the body's `hash` must be present,
 * carry a timestamp within HASH_VALIDITY_SECONDS (and at most HASH_FUTURE_SKEW_SECONDS ahead),
 * match the HMAC in constant time, and not have been used before (the first use is recorded
 * until the hash goes stale). Any failure is 5004 "Response tampered".
 */
export const assertSignedPayload = async (
  ref: TableRef,
  secret: string,
  body: Record<string, unknown>,
  now: number,
): Promise<void> => {
  const hash = typeof body.hash === 'string' ? body.hash.trim() : '';
  const match = HASH_FORMAT.exec(hash);
  if (!match?.[1] || !match[2]) throw refusals.tampered();
  const stamp = Number(match[1]);
  const nowSeconds = Math.floor(now / 1000);
  if (stamp < nowSeconds - HASH_VALIDITY_SECONDS || stamp > nowSeconds + HASH_FUTURE_SKEW_SECONDS) {
    throw refusals.tampered();
  }
  const expected = signPayload(secret, body, stamp);
  if (!safeEqual(expected, `${match[1]}.${match[2].toLowerCase()}`)) throw refusals.tampered();
  const staleAt = (stamp + HASH_VALIDITY_SECONDS + 1) * 1000;
  if (!(await claimPayloadHash(ref, expected, staleAt))) throw refusals.tampered();
};
