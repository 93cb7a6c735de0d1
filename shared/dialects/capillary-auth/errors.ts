import type { OtpError, OtpErrorKind } from '../../errors';
import { classify } from '../../http/classify';
import { Refusal } from '../../http/refusal';
import type { HttpResponse } from '../../http/types';
import { STORE_RETRY_AFTER_S } from '../../timeouts';

/** Capillary's auth engine response codes (docs "Status codes"), plus the seed's 5004. */
export const AE_CODES = {
  SUCCESS: 200,
  UNABLE_TO_VALIDATE_OTP: 1502,
  UNABLE_TO_GENERATE_OTP: 1503,
  UNABLE_TO_GENERATE_TOKEN: 1504,
  INVALID_SESSION: 1505,
  INVALID_OTP: 1506,
  MOBILE_MISMATCH: 1507,
  DEVICE_MISMATCH: 1508,
  BRAND_MISMATCH: 1509,
  MAX_OTP_ATTEMPTS: 1518,
  INVALID_DETAILS: 1519,
  CANNOT_REGENERATE: 1525,
  MAX_OTPS: 1534,
  OTP_NOT_GENERATED: 1537,
  MOBILE_OR_EMAIL_REQUIRED: 1540,
  IDENTIFIER_MISMATCH: 1541,
  INVALID_IDENTIFIER_TYPE: 1546,
  RESPONSE_TAMPERED: 5004,
  INTERNAL: 500,
} as const;

/** The one envelope of every answer: `{"status": {success, code, message}, ...rest}`. */
export const envelope = (
  httpStatus: number,
  code: number,
  message: string,
  rest: object = {},
): HttpResponse => ({
  status: httpStatus,
  body: { status: { success: code === AE_CODES.SUCCESS, code, message }, ...rest },
});

/** A refusal the dialect decides itself (session, brand, hash), with its vendor code and status. */
const aeRefusal = (code: number, httpStatus: number, message: string): Refusal =>
  new Refusal(envelope(httpStatus, code, message), `capillary-auth-${code}`);

/** The refusals, each with Capillary's wording where its docs have one. */
export const refusals = {
  unknownBrand: () => aeRefusal(AE_CODES.INVALID_DETAILS, 400, 'Invalid details passed: unknown brand'),
  tampered: () => aeRefusal(AE_CODES.RESPONSE_TAMPERED, 403, 'Response tampered'),
  invalidSession: () => aeRefusal(AE_CODES.INVALID_SESSION, 400, 'Invalid session'),
  mobileMismatch: () =>
    aeRefusal(
      AE_CODES.MOBILE_MISMATCH,
      400,
      'Mobile number does not match with the mobile number used to generate token/session',
    ),
  identifierMismatch: () =>
    aeRefusal(
      AE_CODES.IDENTIFIER_MISMATCH,
      400,
      'Identifier used to generate session does not match with the identifier used to generate or validate OTP',
    ),
  deviceMismatch: () =>
    aeRefusal(
      AE_CODES.DEVICE_MISMATCH,
      400,
      'Device ID does not match with the device ID used to generate token/session',
    ),
  brandMismatch: () =>
    aeRefusal(
      AE_CODES.BRAND_MISMATCH,
      400,
      'Brand name does not match with the brand name used to generate token/session',
    ),
  noDestination: () =>
    aeRefusal(AE_CODES.MOBILE_OR_EMAIL_REQUIRED, 400, 'Either mobile or email is required to send OTP'),
  invalidOtp: () => aeRefusal(AE_CODES.INVALID_OTP, 400, 'Invalid OTP'),
  cannotRegenerate: () =>
    aeRefusal(AE_CODES.CANNOT_REGENERATE, 400, 'Cannot regenerate token, please authenticate again'),
};

/** Which endpoint failed: the same engine error reads differently on generate and validate. */
export type Operation = 'token' | 'otp-generate' | 'otp-validate';

const OPERATION = Symbol('capillary-auth.operation');

/** Marks an error with the operation it came from (read by the mapper). */
export const tagOperation = (error: unknown, operation: Operation): unknown => {
  if (error !== null && typeof error === 'object' && !(OPERATION in error)) {
    Object.defineProperty(error, OPERATION, { value: operation });
  }
  return error;
};

/** The operation of a route id (`capillaryAuthMobileOtpGenerate` → otp-generate). */
const operationOfRoute = (operationId: string | undefined): Operation | undefined => {
  if (operationId?.endsWith('OtpGenerate')) return 'otp-generate';
  if (operationId?.endsWith('OtpValidate')) return 'otp-validate';
  return operationId === undefined ? undefined : 'token';
};

/**
 * The tag the route's handler set, or else the route the error names: the handler's early
 * timeout fires outside the handler, so only its route id says which endpoint ran out of time.
 */
const operationOf = (error: unknown): Operation | undefined =>
  error !== null && typeof error === 'object'
    ? ((error as { [OPERATION]?: Operation })[OPERATION] ??
      operationOfRoute((error as { operationId?: string }).operationId))
    : undefined;

const UNAVAILABLE: Record<Operation, [number, string]> = {
  token: [AE_CODES.UNABLE_TO_GENERATE_TOKEN, 'Unable to generate token, retry later'],
  'otp-generate': [AE_CODES.UNABLE_TO_GENERATE_OTP, 'Unable to generate OTP, retry later'],
  'otp-validate': [AE_CODES.UNABLE_TO_VALIDATE_OTP, 'Unable to validate OTP, retry later'],
};

const tooManyAttempts = () =>
  envelope(
    429,
    AE_CODES.MAX_OTP_ATTEMPTS,
    'Reached the maximum allowed OTP retry attempts, Authenticate from the start',
  );
const tooManyOtps = () =>
  envelope(429, AE_CODES.MAX_OTPS, 'Reached the maximum number of OTPs allowed per customer');

/** Engine error → auth engine code, HTTP status and message: the whole mapping in one table. */
const ENGINE_ERRORS: Record<OtpErrorKind, (e: OtpError, op: Operation) => HttpResponse> = {
  'invalid-input': (e) => {
    const field = (e as OtpError & { field?: string }).field;
    if (field === 'code') return envelope(400, AE_CODES.INVALID_OTP, 'Invalid OTP');
    if (field === 'template')
      return envelope(400, AE_CODES.INVALID_DETAILS, 'Invalid details passed: template');
    return envelope(400, AE_CODES.MOBILE_OR_EMAIL_REQUIRED, 'Either mobile or email is required to send OTP');
  },
  'country-not-allowed': () =>
    envelope(
      400,
      AE_CODES.MOBILE_OR_EMAIL_REQUIRED,
      'Either mobile or email is required to send OTP: country not allowed',
    ),
  'rate-limited': () => tooManyOtps(),
  // Generate refuses with "too many OTPs" (the brief's 1534); validate with 1518.
  'destination-locked': (_, op) => (op === 'otp-generate' ? tooManyOtps() : tooManyAttempts()),
  'no-active-code': () =>
    envelope(
      400,
      AE_CODES.OTP_NOT_GENERATED,
      'OTP is not generated for the provided details. Please generate OTP and try again',
    ),
  'code-expired': () =>
    envelope(400, AE_CODES.OTP_NOT_GENERATED, 'OTP has expired. Please generate OTP and try again'),
  'invalid-code': () => envelope(400, AE_CODES.INVALID_OTP, 'Invalid OTP'),
  'too-many-attempts': () => tooManyAttempts(),
  'delivery-failed': () => envelope(503, AE_CODES.UNABLE_TO_GENERATE_OTP, 'Unable to generate OTP'),
  'service-unavailable': (_, op) => ({
    ...envelope(503, ...UNAVAILABLE[op]),
    headers: { 'retry-after': String(STORE_RETRY_AFTER_S) },
  }),
  unauthorized: () => envelope(400, AE_CODES.INVALID_DETAILS, 'Invalid details passed'),
};

/** Maps any error to the auth engine envelope; never throws, never leaks internals. */
export const mapAuthEngineError = (error: unknown): HttpResponse => {
  const c = classify(error);
  switch (c.kind) {
    case 'refusal':
      return c.response;
    case 'otp':
      return ENGINE_ERRORS[c.error.kind](c.error, operationOf(error) ?? 'token');
    case 'validation':
      return c.paths.some((p) => p.split('.')[0] === 'identifierType')
        ? envelope(400, AE_CODES.INVALID_IDENTIFIER_TYPE, 'Invalid identifierType passed')
        : envelope(400, AE_CODES.INVALID_DETAILS, `Invalid details passed: ${c.message}`);
    case 'http':
      return envelope(c.status, c.status === 400 ? AE_CODES.INVALID_DETAILS : c.status, c.message);
    default:
      return envelope(500, AE_CODES.INTERNAL, 'Internal error');
  }
};
