/** The names of the lifecycle events (shared/events/schema.ts holds their zod schemas). */

/** The EventBridge `source` of every lifecycle event. */
export const EVENT_SOURCE = 'otp-service';

/** Bumped on a breaking change of any detail; additive fields keep the version. */
export const EVENT_VERSION = '1' as const;

export const EVENT_TYPES = [
  'otp.issued',
  'otp.sent',
  'otp.delivered',
  'otp.delivery_failed',
  'otp.approved',
  'otp.attempt_failed',
  'otp.max_attempts_reached',
  'otp.expired',
  'otp.canceled',
  'otp.refused',
] as const;
export type OtpEventType = (typeof EVENT_TYPES)[number];
