/**
 * Errors a sender throws. The engine logs only `error.name` and turns the throw into a
 * per-channel warning, so the name must say what went wrong and the message must never hold
 * the code, the message text or an unmasked destination.
 */

/** The tenant has not configured this channel (no origination number, no provider URL, …). */
export class ChannelNotConfiguredError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ChannelNotConfiguredError';
  }
}

/** The provider refused or failed the message (HTTP status, provider error number). */
export class ChannelProviderError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ChannelProviderError';
  }
}

/**
 * The message holds a character that would break the provider's headers (a line break in an
 * e-mail subject or address). The dialects refuse these earlier; this is the last guard.
 */
export class UnsafeMessageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsafeMessageError';
  }
}
