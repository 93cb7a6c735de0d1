/**
 * The engine's error hierarchy. Each dialect maps these to its vendor codes in one table;
 * anything else becomes a masked 500. Messages never contain a code or an unmasked destination.
 */
export type OtpErrorKind =
  | 'invalid-input'
  | 'country-not-allowed'
  | 'rate-limited'
  | 'destination-locked'
  | 'no-active-code'
  | 'code-expired'
  | 'invalid-code'
  | 'too-many-attempts'
  | 'delivery-failed'
  | 'service-unavailable'
  | 'unauthorized';

export abstract class OtpError extends Error {
  abstract readonly kind: OtpErrorKind;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Input the engine cannot act on (bad phone, bad e-mail, bad template). */
export class InvalidInputError extends OtpError {
  readonly kind = 'invalid-input';
  constructor(
    readonly field: 'phone' | 'email' | 'template' | 'identifier' | 'channel' | 'code',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** SMS / voice / WhatsApp to a country the tenant does not allow (SMS-pumping defence). */
export class CountryNotAllowedError extends OtpError {
  readonly kind = 'country-not-allowed';
}

export type RateLimitReason =
  | 'resend-gap'
  | 'sends-per-code'
  | 'destination-daily'
  /** More messages to one recipient within its sliding window than the policy allows. */
  | 'recipient-window'
  | 'tenant-daily'
  /** SMS pumping: too many phone sends into one number prefix this hour. */
  | 'prefix-velocity'
  /** SMS pumping: too few codes verified per phone send to this country (breaker open). */
  | 'conversion-breaker';

/** A send limit was reached; nothing was sent and nothing charged. */
export class RateLimitedError extends OtpError {
  readonly kind = 'rate-limited';
  constructor(
    readonly reason: RateLimitReason,
    readonly retryAfterSeconds: number,
    options?: { cause?: unknown },
  ) {
    super(`Rate limited: ${reason}`, options);
  }
}

/** Too many failed verifications for this destination today: generate and verify both refuse. */
export class DestinationLockedError extends OtpError {
  readonly kind = 'destination-locked';
}

/** No live code: never issued, already used, or replaced. */
export class NoActiveCodeError extends OtpError {
  readonly kind = 'no-active-code';
}

/** The code's 10 minutes (or the tenant's expiry) are over. */
export class CodeExpiredError extends OtpError {
  readonly kind = 'code-expired';
}

/** Wrong code (or wrong binding such as an authCode); the attempt was counted. */
export class InvalidCodeError extends OtpError {
  readonly kind = 'invalid-code';
  constructor(
    readonly remainingAttempts: number,
    options?: { cause?: unknown },
  ) {
    super('Invalid code', options);
  }
}

/** The code took its maximum wrong attempts; it stays dead until it expires. */
export class TooManyAttemptsError extends OtpError {
  readonly kind = 'too-many-attempts';
}

/** Every channel of the request failed; the send was rolled back and nothing charged. */
export class DeliveryFailedError extends OtpError {
  readonly kind = 'delivery-failed';
}

/**
 * Why a request was answered 503: the store timed out, throttled or refused the connection after
 * the SDK's retries, a transaction kept conflicting past its budget, or the handler's early
 * timeout fired first. One WARN line per request carries it (shared/http/dialect-handler.ts).
 */
export type FaultKind =
  | 'store-timeout'
  | 'store-throttled'
  | 'store-unreachable'
  | 'store-conflict'
  | 'secrets-unavailable'
  | 'handler-deadline';

/** The store is throttled or unreachable after retries: the client should retry later (503). */
export class ServiceUnavailableError extends OtpError {
  readonly kind = 'service-unavailable';
  readonly fault: FaultKind;
  /** The route that ran out of time (a handler deadline is raised outside the route's handler). */
  readonly operationId?: string;
  constructor(message: string, options?: { cause?: unknown; fault?: FaultKind; operationId?: string }) {
    super(message, options);
    this.fault = options?.fault ?? 'store-timeout';
    if (options?.operationId !== undefined) this.operationId = options.operationId;
  }
}

/** Credentials missing or wrong; `credentialId` (the presented id, never a secret) goes to the log, masked. */
export class UnauthorizedError extends OtpError {
  readonly kind = 'unauthorized';
  readonly credentialId?: string;
  constructor(message: string, options?: { cause?: unknown; credentialId?: string }) {
    super(message, options);
    if (options?.credentialId !== undefined) this.credentialId = options.credentialId;
  }
}
