import * as z from 'zod';
import { EVENT_SOURCE, EVENT_VERSION, type OtpEventType } from './names';

/**
 * The lifecycle events of a verification, version 1. These zod schemas are the one definition:
 * `npm run schemas` writes them as JSON Schema to `schemas/events/<type>.json` (what subscribers
 * read), and test/unit/event-schemas.test.ts fails when the committed files drift from them and
 * validates every event the engine emits against the committed files with ajv.
 *
 * Every object is strict (`additionalProperties: false`), so an event cannot carry a field the
 * schema does not name: no code, no destination in clear. Recipients must match the masked
 * shapes of shared/mask.ts (`+91*******219`, `to***@gmail.com`).
 */

// The names are their own module so that the Lambdas, which import only them and this module's
// types, never build these schemas at start-up.
export { EVENT_SOURCE, EVENT_TYPES, EVENT_VERSION, type OtpEventType } from './names';

const channel = z.enum(['SMS', 'EMAIL', 'VOICE', 'WHATSAPP', 'ZALO']);

/** A destination as shared/mask.ts shows it: a masked phone (or Zalo id) or a masked e-mail. */
const maskedRecipient = z
  .string()
  .max(320)
  .regex(/^(\+?\d{0,3}\**\d{0,3}|[^@*\s]{0,2}\*\*\*@[^@\s]+)$/)
  .describe('Masked destination: +91*******219 or to***@example.com; never the address in clear');

const common = {
  version: z.literal(EVENT_VERSION),
  eventId: z.uuid().describe('Unique per event; receivers deduplicate on it'),
  occurredAt: z.iso.datetime().describe('When the engine observed it (UTC)'),
  tenantId: z.string().min(1).max(64),
  dialect: z
    .string()
    .max(40)
    .describe('The API dialect whose request caused it (loginradius, app-otp, …), or "admin"'),
  purpose: z
    .string()
    .max(200)
    .describe('What the code is for (v2:REGISTRATION, lr:forgotpassword); session ids are cut off'),
  caller: z.enum(['authenticated', 'anonymous']).optional(),
  test: z
    .literal(true)
    .optional()
    .describe(
      "A test destination's code (the tenant's fixed code): nothing was sent to a provider and no send limit counted it",
    ),
};

/** One verification (one code, stable across resends). */
const verificationId = z.string().min(1).max(64).describe('Opaque id of the code, never the code');

const attempts = z.number().int().min(0).describe('Guesses counted against the code so far');
const attemptsLeft = z.number().int().min(0);
const at = z.iso.datetime();

const event = <T extends OtpEventType, S extends z.ZodRawShape>(type: T, shape: S) =>
  z.strictObject({ type: z.literal(type), ...common, ...shape });

const delivery = {
  verificationId,
  channel,
  recipient: maskedRecipient,
  country: z
    .string()
    .regex(/^[A-Z]{2}$/)
    .optional()
    .describe('ISO 3166 region of a phone recipient'),
};

export const EVENT_SCHEMAS = {
  'otp.issued': event('otp.issued', {
    verificationId,
    channels: z.array(channel).min(1),
    expiresAt: at,
  }),
  'otp.sent': event('otp.sent', {
    ...delivery,
    resent: z.boolean(),
    step: z
      .number()
      .int()
      .min(1)
      .optional()
      .describe(
        "The fallback workflow's step that sent it (1 = the first fallback); absent for a request's own send",
      ),
    sendCount: z.number().int().min(1),
    attempts,
    expiresAt: at,
  }),
  'otp.delivered': event('otp.delivered', {
    ...delivery,
    provider: z.enum(['ses', 'sms-voice-v2', 'social-messaging', 'local']),
    providerStatus: z.string().max(64),
  }),
  'otp.delivery_failed': event('otp.delivery_failed', {
    ...delivery,
    stage: z
      .enum(['send', 'receipt'])
      .describe('send: the provider refused or timed out; receipt: the provider reported failure later'),
    reason: z.string().max(120),
    provider: z.enum(['ses', 'sms-voice-v2', 'social-messaging', 'local', 'engine']),
  }),
  'otp.approved': event('otp.approved', {
    verificationId,
    recipient: maskedRecipient,
    attempts,
  }),
  'otp.attempt_failed': event('otp.attempt_failed', {
    verificationId,
    recipient: maskedRecipient,
    attempts,
    attemptsLeft,
  }),
  'otp.max_attempts_reached': event('otp.max_attempts_reached', {
    verificationId,
    recipient: maskedRecipient,
    attempts,
  }),
  'otp.expired': event('otp.expired', {
    verificationId,
    recipient: maskedRecipient,
    attempts,
    expiresAt: at,
  }),
  'otp.canceled': event('otp.canceled', {
    verificationId,
    attempts,
  }),
  'otp.refused': event('otp.refused', {
    verificationId: verificationId.optional(),
    recipient: maskedRecipient.optional(),
    reason: z
      .enum(['limits', 'pumping', 'number-policy', 'locked'])
      .describe(
        'limits: a send limit; pumping: the SMS-pumping defence; number-policy: country or number type',
      ),
    detail: z.string().max(60).describe('Which rule: resend-gap, prefix-velocity, country-not-allowed, …'),
    step: z
      .number()
      .int()
      .min(1)
      .optional()
      .describe('The fallback step refused (and skipped); absent for a refused request'),
    retryAfterSeconds: z.number().int().min(0).optional(),
  }),
} as const satisfies Record<OtpEventType, z.ZodType>;

export type OtpEventDetail = { [T in OtpEventType]: z.infer<(typeof EVENT_SCHEMAS)[T]> }[OtpEventType];
export type OtpEventOf<T extends OtpEventType> = z.infer<(typeof EVENT_SCHEMAS)[T]>;

/** The JSON Schema of one event's `detail`, as committed under `schemas/events/`. */
export const jsonSchemaOf = (type: OtpEventType): Record<string, unknown> => ({
  $id: `https://otp-service.local/schemas/events/${type}.json`,
  title: `${type} v${EVENT_VERSION}`,
  description: `The detail of an EventBridge event with source "${EVENT_SOURCE}" and detail-type "${type}".`,
  ...z.toJSONSchema(EVENT_SCHEMAS[type], { target: 'draft-2020-12' }),
});
