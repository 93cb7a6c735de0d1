import * as z from 'zod';
import { CONTROL_CHARACTERS_MESSAGE, hasControlCharacters } from '../../control-characters';
import { registerSchemas } from '../schemas';

/**
 * Twilio Verify v2 request and response shapes (Twilio's public OpenAPI description,
 * `twilio-oai` `spec/json/twilio_verify_v2.json`). Bodies are form-encoded as Twilio's clients
 * send them (JSON is accepted too); every value of a form is a string, so numbers and booleans
 * are read from their text.
 */

/** A single-line text field: capped, no control characters (it may end up in a message). */
const line = (max: number) =>
  z
    .string()
    .max(max)
    .refine((v) => !hasControlCharacters(v), { message: CONTROL_CHARACTERS_MESSAGE });

/** Twilio's form booleans (`true` / `false`, as the SDK's serializer writes them). */
const formBoolean = z.preprocess((v) => (v === 'true' ? true : v === 'false' ? false : v), z.boolean());

/** A name that goes into the message text: no placeholder braces, no line breaks. */
const friendlyName = line(64)
  .trim()
  .min(1)
  .refine((v) => !/[{}]/.test(v), { message: 'braces are not allowed' });

/** Parameters of Twilio's that this service does not implement: refused with 60200 when given. */
const notSupported = z.unknown().optional().describe('Not supported by this service: refused with 60200');

export const SERVICE_UNSUPPORTED = [
  'LookupEnabled',
  'SkipSmsToLandlines',
  'DtmfInputRequired',
  'TtsName',
  'Psd2Enabled',
  'Push.IncludeDate',
  'Push.ApnCredentialSid',
  'Push.FcmCredentialSid',
  'Totp.Issuer',
  'Totp.TimeStep',
  'Totp.CodeLength',
  'Totp.Skew',
  'DefaultTemplateSid',
  'Whatsapp.MsgServiceSid',
  'Whatsapp.From',
  'Passkeys.RelyingParty.Id',
  'Passkeys.RelyingParty.Name',
  'Passkeys.RelyingParty.Origins',
  'Passkeys.AuthenticatorAttachment',
  'Passkeys.DiscoverableCredentials',
  'Passkeys.UserVerification',
  'VerifyEventSubscriptionEnabled',
] as const;

export const createServiceBody = z
  .object({
    FriendlyName: friendlyName.describe('Name in the message: "Your <FriendlyName> verification code is: …"'),
    CodeLength: z.coerce.number().int().min(4).max(10).optional().describe('4–10; default 6'),
    CustomCodeEnabled: formBoolean.optional().describe('Allow `CustomCode` on verifications; default false'),
    DoNotShareWarningEnabled: formBoolean.optional(),
    WhatsappTemplateName: line(512)
      .min(1)
      .optional()
      .describe('This service’s addition: the AWS End User Messaging Social template `whatsapp` sends'),
    ...Object.fromEntries(SERVICE_UNSUPPORTED.map((k) => [k, notSupported])),
  })
  .strict();

/** The channels of Twilio's enum this service sends on (`sna` is not one). */
export const CHANNELS = ['sms', 'call', 'email', 'whatsapp'] as const;

export const VERIFICATION_UNSUPPORTED = [
  'CustomMessage',
  'SendDigits',
  'Amount',
  'Payee',
  'RateLimits',
  'TemplateSid',
  'TemplateCustomSubstitutions',
  'EnableSnaClientToken',
] as const;

export const createVerificationBody = z
  .object({
    To: line(254).min(1).describe('E.164 phone number, or an e-mail address for `email`'),
    Channel: z.enum([...CHANNELS, 'sna']).describe('sms, call, email or whatsapp (`sna` is refused)'),
    CustomFriendlyName: friendlyName.optional(),
    CustomCode: z
      .string()
      .regex(/^[0-9A-Za-z]{4,10}$/)
      .optional()
      .describe('4–10 letters or digits; only when the Service has CustomCodeEnabled'),
    Locale: z
      .string()
      .regex(/^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8}){0,2}$/)
      .optional()
      .describe(
        'The message language (en, es, pt-BR, fr, hi, vi, id built in); else the tenant’s choice by country',
      ),
    AppHash: z
      .string()
      .regex(/^[A-Za-z0-9+/]{11}$/)
      .optional()
      .describe('Android SMS Retriever hash, added as the SMS’s last line'),
    ChannelConfiguration: z
      .unknown()
      .optional()
      .describe('Accepted and ignored (the tenant’s e-mail settings apply)'),
    DeviceIp: line(64)
      .optional()
      .describe('Accepted and ignored (the engine’s pumping defence always applies)'),
    RiskCheck: z
      .enum(['enable', 'disable'])
      .optional()
      .describe('Accepted and ignored: the defence cannot be turned off'),
    Tags: line(4096).optional().describe('Accepted and ignored'),
    ...Object.fromEntries(VERIFICATION_UNSUPPORTED.map((k) => [k, notSupported])),
  })
  .strict();
export type CreateVerificationBody = z.infer<typeof createVerificationBody>;

export const updateVerificationBody = z.object({ Status: z.enum(['canceled', 'approved']) }).strict();

export const createCheckBody = z
  .object({
    Code: z.string().min(1).max(32).describe('The code the user typed'),
    To: line(254).min(1).optional(),
    VerificationSid: z.string().max(64).optional(),
    Amount: notSupported,
    Payee: notSupported,
    SnaClientToken: notSupported,
  })
  .strict()
  .refine((b) => b.To !== undefined || b.VerificationSid !== undefined, {
    message: 'To or VerificationSid is required',
    path: ['To'],
  });

registerSchemas(
  () => {
    const date = z.string().describe('ISO 8601, UTC');
    const sid = (prefix: string) => z.string().describe(`${prefix}…`);

    const verificationResponse = z.object({
      sid: sid('VE'),
      service_sid: sid('VA'),
      account_sid: sid('AC'),
      to: z.string(),
      channel: z.enum(CHANNELS),
      status: z.enum([
        'pending',
        'approved',
        'canceled',
        'max_attempts_reached',
        'deleted',
        'failed',
        'expired',
      ]),
      valid: z.boolean(),
      lookup: z.unknown(),
      amount: z.null(),
      payee: z.null(),
      send_code_attempts: z.array(
        z.object({ attempt_sid: sid('VL'), channel: z.enum(CHANNELS), time: date.nullable() }),
      ),
      date_created: date,
      date_updated: date,
      sna: z.null(),
      url: z.string(),
    });

    const checkResponse = verificationResponse
      .pick({
        sid: true,
        service_sid: true,
        account_sid: true,
        to: true,
        channel: true,
        status: true,
        valid: true,
        amount: true,
        payee: true,
        date_created: true,
        date_updated: true,
      })
      .extend({ sna_attempts_error_codes: z.array(z.unknown()) });

    const serviceResponse = z.object({
      sid: sid('VA'),
      account_sid: sid('AC'),
      friendly_name: z.string(),
      code_length: z.number(),
      lookup_enabled: z.boolean(),
      psd2_enabled: z.boolean(),
      skip_sms_to_landlines: z.boolean(),
      dtmf_input_required: z.boolean(),
      tts_name: z.null(),
      do_not_share_warning_enabled: z.boolean(),
      custom_code_enabled: z.boolean(),
      push: z.null(),
      totp: z.null(),
      default_template_sid: z.null(),
      whatsapp: z.null(),
      passkeys: z.null(),
      verify_event_subscription_enabled: z.boolean(),
      whatsapp_template_name: z.string().nullable(),
      date_created: date,
      date_updated: date,
      url: z.string(),
      links: z.record(z.string(), z.string()),
    });

    const serviceListResponse = z.object({
      services: z.array(serviceResponse),
      meta: z.object({
        page: z.number(),
        page_size: z.number(),
        first_page_url: z.string(),
        previous_page_url: z.null(),
        url: z.string(),
        next_page_url: z.null(),
        key: z.literal('services'),
      }),
    });

    const errorResponse = z.object({
      code: z.number(),
      message: z.string(),
      more_info: z.string(),
      status: z.number(),
    });

    /**
     * What every operation shares: Twilio's error body and statuses, form (or JSON) bodies, and HTTP
     * Basic with the account SID and auth token or an API key SID and secret.
     */
    const errors = {
      error: errorResponse,
      errorStatuses: [400, 401, 403, 404, 429, 503],
      bodyMediaTypes: ['application/x-www-form-urlencoded', 'application/json'] as const,
      security: [{ twilioBasic: [] }],
    };
    return {
      twilioCreateService: {
        body: createServiceBody,
        response: serviceResponse,
        successStatus: 201,
        ...errors,
      },
      twilioListServices: { response: serviceListResponse, ...errors },
      twilioFetchService: { response: serviceResponse, ...errors },
      twilioCreateVerification: {
        body: createVerificationBody,
        response: verificationResponse,
        successStatus: 201,
        ...errors,
      },
      twilioFetchVerification: { response: verificationResponse, ...errors },
      twilioUpdateVerification: { body: updateVerificationBody, response: verificationResponse, ...errors },
      twilioCreateVerificationCheck: { body: createCheckBody, response: checkResponse, ...errors },
    };
  },
  {
    twilioBasic: {
      type: 'http',
      scheme: 'basic',
      description:
        'The account SID (AC…) and auth token, or an API key SID (SK…) and its secret (`npm run admin -- twilio account|apikey`)',
    },
  },
);
