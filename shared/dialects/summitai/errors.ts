import type { InvalidInputError, OtpError, OtpErrorKind, RateLimitedError } from '../../errors';
import { classify } from '../../http/classify';
import type { HttpResponse } from '../../http/types';
import { STORE_RETRY_AFTER_S } from '../../timeouts';

/**
 * SummitAI's envelope. Every answer, error or not, has the same eight keys; an error fills
 * `Errors` and leaves `OutputObject` null.
 */
export const envelope = (fields: { Errors?: string; OrgID?: number; OutputObject?: unknown }) => ({
  Errors: fields.Errors ?? '',
  Message: '',
  Output: '',
  // No session token is issued: every call carries its own credentials (documented).
  TokenID: '',
  OrgID: fields.OrgID ?? 0,
  OutputObject: fields.OutputObject ?? null,
  OutputID: 0,
  Input: null,
});

/** An error answer. OrgID stays 0: no organisation is confirmed for a refused request. */
export const summitError = (
  status: number,
  message: string,
  headers?: Record<string, string>,
): HttpResponse => ({
  status,
  body: envelope({ Errors: message }),
  ...(headers ? { headers } : {}),
});

/** One message for every credential failure, so none tells which part (org, user, key) was wrong. */
export const INVALID_CREDENTIALS = 'Invalid credentials';

const INPUT_MESSAGES: Record<InvalidInputError['field'], string> = {
  phone: 'The registered mobile number of the user is not valid',
  email: 'The registered e-mail address of the user is not valid',
  channel: 'No registered mobile number or e-mail address for the user',
  template: 'The OTP message template of this organisation is invalid',
  identifier: 'Invalid user',
  code: 'Invalid OTP',
};

const tooMany = (e: OtpError): HttpResponse => {
  const { reason, retryAfterSeconds } = e as RateLimitedError;
  const message =
    reason === 'resend-gap'
      ? `An OTP was sent moments ago: wait ${retryAfterSeconds} seconds before requesting another`
      : 'OTP request limit reached, try again later';
  return summitError(429, message, { 'retry-after': String(retryAfterSeconds) });
};

/** Engine error → HTTP status and `Errors` text: the whole mapping in one table. */
const ENGINE_ERRORS: Record<OtpErrorKind, (e: OtpError) => HttpResponse> = {
  'invalid-input': (e) => summitError(400, INPUT_MESSAGES[(e as InvalidInputError).field]),
  'country-not-allowed': () =>
    summitError(400, 'The mobile number of the user is in a country this organisation does not send to'),
  'rate-limited': tooMany,
  'destination-locked': () => summitError(429, 'Too many failed OTP attempts for this user today'),
  'no-active-code': () =>
    summitError(400, 'No valid OTP found (never sent or already used): generate a new OTP'),
  'code-expired': () => summitError(400, 'OTP expired: generate a new OTP'),
  'invalid-code': () => summitError(400, 'Invalid OTP'),
  'too-many-attempts': () => summitError(429, 'Too many wrong attempts: the OTP is locked until it expires'),
  'delivery-failed': () => summitError(503, 'The OTP could not be sent, try again later'),
  'service-unavailable': () =>
    summitError(503, 'Service unavailable, try again later', { 'retry-after': String(STORE_RETRY_AFTER_S) }),
  unauthorized: () =>
    summitError(401, INVALID_CREDENTIALS, {
      'www-authenticate': 'FORM realm="summitai", APIKey realm="summitai"',
    }),
};

/** Maps any error to SummitAI's envelope; never throws, never leaks internals or input. */
export const mapSummitError = (error: unknown): HttpResponse => {
  const c = classify(error);
  switch (c.kind) {
    case 'refusal':
      return c.response;
    case 'otp':
      return ENGINE_ERRORS[c.error.kind](c.error);
    case 'validation':
      return summitError(400, `Invalid request: ${c.message}`);
    case 'http':
      return summitError(c.status, c.message);
    default:
      return summitError(500, 'Internal error');
  }
};
