import type { InvalidInputError, OtpError, OtpErrorKind, RateLimitedError } from '../../errors';
import { classify } from '../../http/classify';
import type { HttpResponse } from '../../http/types';
import { STORE_RETRY_AFTER_S } from '../../timeouts';

/**
 * The `message` values this dialect answers with. The seed documents only `UN_AUTHORIZED`; the
 * others follow its SCREAMING_SNAKE style (docs/dialects/app-otp.md lists them with their causes).
 */
export const APP_OTP_ERRORS = {
  UN_AUTHORIZED: 'UN_AUTHORIZED',
  INVALID_REQUEST: 'INVALID_REQUEST',
  INVALID_PHONE_NUMBER: 'INVALID_PHONE_NUMBER',
  INVALID_COUNTRY_CODE: 'INVALID_COUNTRY_CODE',
  COUNTRY_NOT_SUPPORTED: 'COUNTRY_NOT_SUPPORTED',
  INVALID_OTP: 'INVALID_OTP',
  OTP_EXPIRED: 'OTP_EXPIRED',
  OTP_NOT_FOUND: 'OTP_NOT_FOUND',
  OTP_ATTEMPTS_EXCEEDED: 'OTP_ATTEMPTS_EXCEEDED',
  PHONE_NUMBER_LOCKED: 'PHONE_NUMBER_LOCKED',
  TOO_MANY_REQUESTS: 'TOO_MANY_REQUESTS',
  OTP_DELIVERY_FAILED: 'OTP_DELIVERY_FAILED',
  SERVICE_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  NOT_FOUND: 'NOT_FOUND',
  METHOD_NOT_ALLOWED: 'METHOD_NOT_ALLOWED',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  INTERNAL_SERVER_ERROR: 'INTERNAL_SERVER_ERROR',
} as const;
export type AppOtpErrorName = keyof typeof APP_OTP_ERRORS;

/** The seed's error body: `{"message": "<NAME>"}`. */
export const appOtpError = (status: number, name: AppOtpErrorName, headers?: Record<string, string>) => ({
  status,
  body: { message: APP_OTP_ERRORS[name] },
  ...(headers ? { headers } : {}),
});

const INPUT_ERRORS: Record<InvalidInputError['field'], () => HttpResponse> = {
  phone: () => appOtpError(400, 'INVALID_PHONE_NUMBER'),
  code: () => appOtpError(400, 'INVALID_OTP'),
  email: () => appOtpError(400, 'INVALID_REQUEST'),
  identifier: () => appOtpError(400, 'INVALID_REQUEST'),
  channel: () => appOtpError(400, 'INVALID_REQUEST'),
  // Templates come from the tenant record, not the caller: a bad one is the operator's fault.
  template: () => appOtpError(500, 'INTERNAL_SERVER_ERROR'),
};

/** Engine error → status and name: the whole mapping in one table. */
const ENGINE_ERRORS: Record<OtpErrorKind, (e: OtpError) => HttpResponse> = {
  'invalid-input': (e) => INPUT_ERRORS[(e as InvalidInputError).field](),
  'country-not-allowed': () => appOtpError(400, 'COUNTRY_NOT_SUPPORTED'),
  'rate-limited': (e) =>
    appOtpError(429, 'TOO_MANY_REQUESTS', {
      'retry-after': String(Math.max(1, (e as RateLimitedError).retryAfterSeconds)),
    }),
  'destination-locked': () => appOtpError(429, 'PHONE_NUMBER_LOCKED'),
  'no-active-code': () => appOtpError(400, 'OTP_NOT_FOUND'),
  'code-expired': () => appOtpError(400, 'OTP_EXPIRED'),
  'invalid-code': () => appOtpError(400, 'INVALID_OTP'),
  'too-many-attempts': () => appOtpError(400, 'OTP_ATTEMPTS_EXCEEDED'),
  'delivery-failed': () => appOtpError(503, 'OTP_DELIVERY_FAILED'),
  'service-unavailable': () =>
    appOtpError(503, 'SERVICE_UNAVAILABLE', {
      'retry-after': String(STORE_RETRY_AFTER_S),
    }),
  unauthorized: () => appOtpError(401, 'UN_AUTHORIZED'),
};

/** Which name a schema problem in each body field gets. */
const FIELD_ERRORS: Record<string, AppOtpErrorName> = {
  phone_number: 'INVALID_PHONE_NUMBER',
  countryCode: 'INVALID_COUNTRY_CODE',
};

/** Plumbing statuses (router, body limit, parsers) → names. */
const HTTP_ERRORS: Record<number, AppOtpErrorName> = {
  400: 'INVALID_REQUEST',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  413: 'PAYLOAD_TOO_LARGE',
};

/** Maps any error to seed 001's `{"message": …}` shape; never throws, never leaks internals. */
export const mapAppOtpError = (error: unknown): HttpResponse => {
  const c = classify(error);
  switch (c.kind) {
    case 'refusal':
      return c.response;
    case 'otp':
      return ENGINE_ERRORS[c.error.kind](c.error);
    case 'validation': {
      return appOtpError(400, FIELD_ERRORS[c.field] ?? 'INVALID_REQUEST');
    }
    case 'http':
      return appOtpError(c.status, HTTP_ERRORS[c.status] ?? 'INVALID_REQUEST');
    default:
      return appOtpError(500, 'INTERNAL_SERVER_ERROR');
  }
};
