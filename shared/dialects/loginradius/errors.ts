import type { ZodError } from 'zod';
import type { OtpError, OtpErrorKind, RateLimitedError, RateLimitReason } from '../../errors';
import { classify } from '../../http/classify';
import { Refusal } from '../../http/refusal';
import type { HttpResponse } from '../../http/types';
import { STORE_RETRY_AFTER_S } from '../../timeouts';
import { REQUIRED } from './schemas';

/**
 * LoginRadius error codes used here. Numbers and Message texts are LoginRadius's own (its
 * Customer Identity, SSO and Cloud Directory API code tables); where LoginRadius documents an
 * HTTP status but no ErrorCode (429, 404), ErrorCode repeats the status. See docs/dialects/loginradius.md.
 */
export const LR_CODES = {
  API_SECRET_UNAUTHORIZED: 902,
  PARAMETER_FORMAT: 908,
  API_KEY_MISSING: 922,
  API_SECRET_MISSING: 923,
  UNKNOWN: 950,
  POST_BODY_INVALID: 965,
  OOPS: 1000,
  INVALID_OTP: 1067,
  INVALID_SMS_OTP_TYPE: 1182,
  NOT_FOUND: 404,
  TOO_MANY_REQUESTS: 429,
} as const;

/** LoginRadius's fixed Message per ErrorCode; the Description says what happened this time. */
const MESSAGES: Record<number, string> = {
  [LR_CODES.API_SECRET_UNAUTHORIZED]: 'The API secret is unauthorized',
  [LR_CODES.PARAMETER_FORMAT]: 'A parameter is not formatted correctly',
  [LR_CODES.API_KEY_MISSING]: 'API key is missing',
  [LR_CODES.API_SECRET_MISSING]: 'API secret is missing',
  [LR_CODES.UNKNOWN]: 'The operation failed due to an unknown error.',
  [LR_CODES.POST_BODY_INVALID]: 'The post body is invalid.',
  [LR_CODES.OOPS]: 'Oops, something is going wrong, please try again.',
  [LR_CODES.INVALID_OTP]: 'Invalid OTP Code',
  [LR_CODES.INVALID_SMS_OTP_TYPE]: 'You have entered an invalid sms otp type',
  [LR_CODES.NOT_FOUND]: 'Not Found',
  [LR_CODES.TOO_MANY_REQUESTS]: 'Too Many Request',
};

/** The LoginRadius error body: `{Description, ErrorCode, Message, IsProviderError, ProviderErrorResponse}`. */
export const lrError = (
  status: number,
  code: number,
  description: string,
  options: { providerError?: string; headers?: Record<string, string> } = {},
): HttpResponse => ({
  status,
  body: {
    Description: description,
    ErrorCode: code,
    Message: MESSAGES[code] ?? 'Error',
    IsProviderError: options.providerError !== undefined,
    ProviderErrorResponse: options.providerError ?? null,
  },
  ...(options.headers ? { headers: options.headers } : {}),
});

/** A refusal decided by the dialect itself (missing key, bad OTP type, missing Uid): throw it. */
export const lrRefusal = (status: number, code: number, description: string): Refusal =>
  new Refusal(lrError(status, code, description), `loginradius-${code}`);

const RATE_LIMIT_TEXT: Record<RateLimitReason, string> = {
  'resend-gap': 'An OTP was sent to this phone number moments ago, please wait before requesting another.',
  'sends-per-code': 'This OTP has been sent too many times, please request a new one after it expires.',
  'destination-daily': 'Too many OTPs were requested for this phone number today, please try again tomorrow.',
  'recipient-window':
    'Too many OTPs were sent to this phone number in the last minutes, please try again later.',
  'tenant-daily': 'This site has reached its daily SMS limit, please try again later.',
  'prefix-velocity': 'Too many OTPs were requested for phone numbers like this one, please try again later.',
  'conversion-breaker': "SMS to this phone number's country is paused for this site, please try again later.",
};

const INVALID_OTP = (description: string) => lrError(403, LR_CODES.INVALID_OTP, description);

/** Engine error → status, code and Description: the whole mapping in one table. */
const ENGINE_ERRORS: Record<OtpErrorKind, (e: OtpError) => HttpResponse> = {
  'invalid-input': (e) => {
    const field = (e as OtpError & { field: string }).field;
    if (field === 'phone') {
      return lrError(
        400,
        LR_CODES.PARAMETER_FORMAT,
        'The phone number is not valid, please use a valid phone number with its country code.',
      );
    }
    // A tenant's saved SMS template without exactly one placeholder: the site's set-up, not the request.
    if (field === 'template')
      return lrError(500, LR_CODES.OOPS, 'The SMS template of this site is not valid.');
    return lrError(400, LR_CODES.PARAMETER_FORMAT, e.message);
  },
  'country-not-allowed': () =>
    lrError(
      400,
      LR_CODES.PARAMETER_FORMAT,
      "SMS to this phone number's country is not enabled for this site.",
    ),
  'rate-limited': (e) => {
    const limited = e as RateLimitedError;
    return lrError(429, LR_CODES.TOO_MANY_REQUESTS, RATE_LIMIT_TEXT[limited.reason], {
      headers: { 'retry-after': String(Math.max(1, limited.retryAfterSeconds)) },
    });
  },
  'destination-locked': () =>
    lrError(
      429,
      LR_CODES.TOO_MANY_REQUESTS,
      'Too many failed OTP verifications for this phone number today, please try again tomorrow.',
    ),
  'no-active-code': () => INVALID_OTP('The OTP code is invalid, please request for a new OTP.'),
  'code-expired': () => INVALID_OTP('The OTP code has expired, please request for a new OTP.'),
  'invalid-code': () => INVALID_OTP('The OTP code is incorrect, please check the code and try again.'),
  'too-many-attempts': () =>
    INVALID_OTP(
      'Too many wrong attempts: this OTP code is locked, please request for a new OTP after it expires.',
    ),
  'delivery-failed': () =>
    lrError(503, LR_CODES.OOPS, 'The OTP could not be sent, please try again.', {
      providerError: 'The SMS provider did not accept the message.',
    }),
  'service-unavailable': () =>
    lrError(503, LR_CODES.OOPS, 'The service is busy, please try again shortly.', {
      headers: { 'retry-after': String(STORE_RETRY_AFTER_S) },
    }),
  unauthorized: () =>
    lrError(
      401,
      LR_CODES.API_SECRET_UNAUTHORIZED,
      'The provided LoginRadius API key or secret is invalid or is not authorized, please use a valid API key and secret.',
    ),
};

/** 908 with LoginRadius's "The <field> is a required parameter." wording, or 965 for a body that is not an object. */
const validationError = (error: ZodError): HttpResponse => {
  const issue = error.issues[0];
  const field = issue?.path[0];
  if (field === undefined) {
    return lrError(400, LR_CODES.POST_BODY_INVALID, 'Please use a valid post body: a JSON object or a form.');
  }
  const name = String(field).toLowerCase();
  return lrError(
    400,
    LR_CODES.PARAMETER_FORMAT,
    issue?.message === REQUIRED
      ? `The ${name} is a required parameter.`
      : `The ${name} is not formatted correctly.`,
  );
};

/** Maps any error to LoginRadius's error shape; never throws, never leaks internals. */
export const mapLoginRadiusError = (error: unknown): HttpResponse => {
  const c = classify(error);
  switch (c.kind) {
    case 'refusal':
      return c.response;
    case 'otp':
      return ENGINE_ERRORS[c.error.kind](c.error);
    case 'validation':
      return validationError(error as ZodError);
    case 'http':
      if (c.status === 400 || c.status === 413 || c.status === 415) {
        return lrError(
          c.status === 413 ? 413 : 400,
          LR_CODES.POST_BODY_INVALID,
          c.status === 413
            ? 'The post body is too large.'
            : 'Please use a valid post body: JSON (application/json) or a form (application/x-www-form-urlencoded).',
        );
      }
      if (c.status === 404) return lrError(404, LR_CODES.NOT_FOUND, 'The API endpoint is not correct.');
      return lrError(c.status, c.status, c.message);
    default:
      return lrError(
        500,
        LR_CODES.UNKNOWN,
        'An unknown error has occurred, please try again in a few minutes or contact your system admin.',
      );
  }
};
