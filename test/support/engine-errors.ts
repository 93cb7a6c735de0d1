import {
  CodeExpiredError,
  CountryNotAllowedError,
  DeliveryFailedError,
  DestinationLockedError,
  InvalidCodeError,
  InvalidInputError,
  NoActiveCodeError,
  type OtpError,
  type OtpErrorKind,
  RateLimitedError,
  ServiceUnavailableError,
  TooManyAttemptsError,
  UnauthorizedError,
} from '../../shared/errors';

/**
 * One instance of every engine error kind, for the dialects' mapping-table tests. The Record
 * type makes a new kind a compile error until every dialect's test covers it.
 */
export const oneOfEachEngineError = (
  overrides: Partial<Record<OtpErrorKind, OtpError>> = {},
): Record<OtpErrorKind, OtpError> => ({
  'invalid-input': new InvalidInputError('phone', 'Invalid mobile number'),
  'country-not-allowed': new CountryNotAllowedError('Country +44 is not allowed'),
  'rate-limited': new RateLimitedError('resend-gap', 12),
  'destination-locked': new DestinationLockedError('locked'),
  'no-active-code': new NoActiveCodeError('No active code'),
  'code-expired': new CodeExpiredError('expired'),
  'invalid-code': new InvalidCodeError(3),
  'too-many-attempts': new TooManyAttemptsError('too many'),
  'delivery-failed': new DeliveryFailedError('no channel delivered'),
  'service-unavailable': new ServiceUnavailableError('throttled'),
  unauthorized: new UnauthorizedError('bad credentials'),
  ...overrides,
});
