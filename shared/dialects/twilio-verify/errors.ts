import type { OtpError, OtpErrorKind, RateLimitedError, RateLimitReason } from '../../errors';
import { classify } from '../../http/classify';
import type { HttpResponse } from '../../http/types';
import { STORE_RETRY_AFTER_S } from '../../timeouts';

/** The Twilio error codes this dialect answers with (https://www.twilio.com/docs/errors/<code>). */
export const TWILIO_CODES = {
  INVALID_PARAMETER_GENERIC: 20001,
  AUTHENTICATE: 20003,
  METHOD_NOT_ALLOWED: 20004,
  NOT_FOUND: 20404,
  TOO_MANY_REQUESTS: 20429,
  INTERNAL: 20500,
  SERVICE_UNAVAILABLE: 20503,
  INVALID_PARAMETER: 60200,
  MAX_CHECK_ATTEMPTS: 60202,
  MAX_SEND_ATTEMPTS: 60203,
  CONCURRENT_REQUESTS: 60212,
  DELIVERY_BLOCKED: 60410,
  GEO_PERMISSIONS: 60605,
} as const;

/** Twilio's error body: `{code, message, more_info, status}`, with the status in the body too. */
export const twilioError = (status: number, code: number, message: string): HttpResponse => ({
  status,
  body: { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status },
  // Twilio's own challenge; the SDK ignores it, browsers and curl show it.
  ...(status === 401 ? { headers: { 'www-authenticate': 'Basic realm="Twilio API"' } } : {}),
});

/** 20404 in Twilio's words. */
export const notFound = (): HttpResponse =>
  twilioError(404, TWILIO_CODES.NOT_FOUND, 'The requested resource was not found');

/** 60200 for one parameter, named as Twilio spells it (`To`, `Channel`, `CustomCode`). */
export const invalidParameter = (name: string, detail?: string): HttpResponse =>
  twilioError(
    400,
    TWILIO_CODES.INVALID_PARAMETER,
    `Invalid parameter \`${name}\`${detail ? `: ${detail}` : ''}`,
  );

const withRetryAfter = (response: HttpResponse, seconds: number): HttpResponse => ({
  ...response,
  headers: { ...response.headers, 'retry-after': String(Math.max(1, Math.ceil(seconds))) },
});

/** Which Twilio code each send limit is: the per-recipient ones are Twilio's 60203 (five per ten minutes). */
const RATE_LIMITS: Record<RateLimitReason, () => HttpResponse> = {
  'resend-gap': () =>
    twilioError(429, TWILIO_CODES.CONCURRENT_REQUESTS, 'Too many concurrent requests for phone number'),
  'sends-per-code': () => twilioError(429, TWILIO_CODES.MAX_SEND_ATTEMPTS, 'Max send attempts reached'),
  'recipient-window': () => twilioError(429, TWILIO_CODES.MAX_SEND_ATTEMPTS, 'Max send attempts reached'),
  'destination-daily': () => twilioError(429, TWILIO_CODES.MAX_SEND_ATTEMPTS, 'Max send attempts reached'),
  'tenant-daily': () => twilioError(429, TWILIO_CODES.TOO_MANY_REQUESTS, 'Too many requests'),
  'prefix-velocity': () =>
    twilioError(403, TWILIO_CODES.DELIVERY_BLOCKED, 'Verification delivery attempt blocked'),
  'conversion-breaker': () =>
    twilioError(403, TWILIO_CODES.DELIVERY_BLOCKED, 'Verification delivery attempt blocked'),
};

/** Engine error → Twilio code, status and message: the whole mapping in one table. */
const ENGINE_ERRORS: Record<OtpErrorKind, (e: OtpError) => HttpResponse> = {
  'invalid-input': (e) => {
    const field = (e as OtpError & { field: string }).field;
    if (field === 'code') return invalidParameter('CustomCode', e.message);
    if (field === 'channel') return invalidParameter('Channel');
    return invalidParameter('To');
  },
  'country-not-allowed': () =>
    twilioError(
      403,
      TWILIO_CODES.GEO_PERMISSIONS,
      'Verification delivery attempt blocked: geo permissions do not allow this country',
    ),
  'rate-limited': (e) => {
    const limited = e as RateLimitedError;
    return withRetryAfter(RATE_LIMITS[limited.reason](), limited.retryAfterSeconds);
  },
  'destination-locked': () => twilioError(429, TWILIO_CODES.MAX_CHECK_ATTEMPTS, 'Max check attempts reached'),
  'no-active-code': notFound,
  'code-expired': notFound,
  // A wrong code is an answer (`status: pending`), not an error; the handler gives it.
  'invalid-code': () => invalidParameter('Code'),
  'too-many-attempts': () => twilioError(429, TWILIO_CODES.MAX_CHECK_ATTEMPTS, 'Max check attempts reached'),
  'delivery-failed': () =>
    twilioError(
      503,
      TWILIO_CODES.SERVICE_UNAVAILABLE,
      'Service unavailable: the code could not be delivered',
    ),
  'service-unavailable': () =>
    withRetryAfter(
      twilioError(503, TWILIO_CODES.SERVICE_UNAVAILABLE, 'Service unavailable, retry later'),
      STORE_RETRY_AFTER_S,
    ),
  unauthorized: () => twilioError(401, TWILIO_CODES.AUTHENTICATE, 'Authenticate'),
};

/** Maps any error to Twilio's error body; never throws, never leaks internals or input. */
export const mapTwilioError = (error: unknown): HttpResponse => {
  const c = classify(error);
  switch (c.kind) {
    case 'refusal':
      return c.response;
    case 'otp':
      return ENGINE_ERRORS[c.error.kind](c.error);
    case 'validation':
      return invalidParameter(c.field || 'body');
    case 'http':
      if (c.status === 404) return notFound();
      if (c.status === 405) return twilioError(405, TWILIO_CODES.METHOD_NOT_ALLOWED, 'Method not allowed');
      return twilioError(c.status, TWILIO_CODES.INVALID_PARAMETER_GENERIC, c.message);
    default:
      return twilioError(500, TWILIO_CODES.INTERNAL, 'Internal server error');
  }
};
