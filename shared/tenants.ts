import * as z from 'zod';
import { CONTROL_CHARACTERS_MESSAGE, hasControlCharacters } from './control-characters';
import { regionsOfCallingCode } from './phone';
import { APP_HASH, AUTOFILL_DOMAIN } from './sms-autofill';
import { DEFAULT_LOCALE, LOCALE_PATTERN } from './templates';

/**
 * Per-tenant policy. Every engine number is here with its default (README "Engine rules"); a tenant record
 * overrides any of them.
 */
/** The number types a tenant may open a channel to; nothing else is ever sent to. */
const numberType = z.enum(['MOBILE', 'FIXED_LINE_OR_MOBILE', 'FIXED_LINE', 'VOIP']);

const policyObject = z.object({
  /** Code length; 6 digits gives 1 in 10^6 per guess. */
  codeLength: z.number().int().min(4).max(10).default(6),
  codeAlphabet: z.enum(['numeric', 'alphanumeric']).default('numeric'),
  /** Code lifetime. NIST SP 800-63B §5.1.3 caps out-of-band codes at 10 minutes. */
  ttlSeconds: z.number().int().min(30).max(600).default(600),
  /** Wrong attempts per code before it is dead until expiry (a resend does not reset it). */
  maxAttemptsPerCode: z.number().int().min(1).max(20).default(5),
  /**
   * Failed verifications per recipient per UTC day, across codes, purposes, subjects and dialects
   * (a wrong guess counts against every address its code went to); then generate and verify both
   * refuse for that recipient. The budget is reserved before a guess is compared.
   */
  maxDailyFailuresPerDestination: z.number().int().min(1).max(1000).default(20),
  /** Sends of one code (the first send plus resends), each a request. */
  maxSendsPerCode: z.number().int().min(1).max(50).default(5),
  /** Minimum gap between two sends of one code. */
  resendGapSeconds: z.number().int().min(0).max(3600).default(30),
  /** Messages per recipient per UTC day, whatever the subject (seed 004 documents 500). */
  maxDailySendsPerDestination: z.number().int().min(1).max(100_000).default(500),
  /**
   * Messages per recipient in any sliding window of `recipientWindowSeconds` (Twilio's 60203:
   * five per ten minutes). An SMS and a voice call to one number are two messages.
   */
  maxMessagesPerRecipientWindow: z.number().int().min(1).max(20).default(5),
  recipientWindowSeconds: z.number().int().min(60).max(86_400).default(600),
  /** Messages per tenant per UTC day, across recipients: a spend ceiling. */
  maxDailySendsPerTenant: z.number().int().min(1).max(10_000_000).default(100_000),
  /**
   * ISO 3166 regions that SMS, voice, WhatsApp and Zalo may go to; `*` allows all. Regions, not
   * dialling codes: `+1` is 25 countries and `+44` includes Jersey, Guernsey and Man. The default
   * is deliberately narrow: SMS pumping targets premium ranges in countries a tenant never
   * serves, so an operator opens countries one by one.
   */
  allowedRegions: z.array(z.string().regex(/^(\*|[A-Z]{2})$/)).default(['US', 'CA', 'GB', 'SG', 'VN', 'IN']),
  /**
   * Number types (libphonenumber `getType()`) each phone channel may go to. Only these four can
   * be chosen: premium-rate, toll-free, shared-cost, personal, UAN, voicemail and pager numbers
   * are never sent to (pumping targets, or they cannot take the message). VoIP is off by
   * default; a number whose type libphonenumber cannot tell is refused.
   */
  numberTypes: z
    .object({
      SMS: z.array(numberType).default(['MOBILE', 'FIXED_LINE_OR_MOBILE']),
      WHATSAPP: z.array(numberType).default(['MOBILE', 'FIXED_LINE_OR_MOBILE']),
      ZALO: z.array(numberType).default(['MOBILE', 'FIXED_LINE_OR_MOBILE']),
      VOICE: z.array(numberType).default(['MOBILE', 'FIXED_LINE_OR_MOBILE', 'FIXED_LINE']),
    })
    .default({
      SMS: ['MOBILE', 'FIXED_LINE_OR_MOBILE'],
      WHATSAPP: ['MOBILE', 'FIXED_LINE_OR_MOBILE'],
      ZALO: ['MOBILE', 'FIXED_LINE_OR_MOBILE'],
      VOICE: ['MOBILE', 'FIXED_LINE_OR_MOBILE', 'FIXED_LINE'],
    }),
  /**
   * Shares of the per-recipient limits open to anonymous entry points (seed 002 "Authentication:
   * No"). Anonymous traffic counts in the recipient's totals too, so it can use at most these
   * and the tenant's authenticated dialects always keep the rest: an anonymous flood neither
   * becomes an SMS cannon nor locks a recipient out of the tenant's own apps.
   */
  anonymous: z
    .object({
      maxMessagesPerWindow: z.number().int().min(1).max(20).default(3),
      maxDailyMessages: z.number().int().min(1).max(100_000).default(50),
      maxDailyFailures: z.number().int().min(1).max(1000).default(10),
    })
    .default({ maxMessagesPerWindow: 3, maxDailyMessages: 50, maxDailyFailures: 10 }),
  /**
   * SMS-pumping velocity limit: phone sends (SMS, voice, WhatsApp; first sends and resends) per
   * number prefix per UTC hour. Pumping walks a number range the fraudster is paid for, so many
   * sends into one prefix within an hour are its signature; real users spread over a country.
   */
  maxSendsPerPrefixPerHour: z.number().int().min(1).max(1_000_000).default(50),
  /**
   * National digits after the country code that form the velocity prefix: with 4,
   * `+91 99558 82233` counts under `+919955`. 0 counts a whole country as one prefix.
   */
  velocityPrefixDigits: z.number().int().min(0).max(8).default(4),
  /**
   * Conversion breaker: once a country has `conversionMinSends` phone sends in the current or the
   * previous UTC hour, it takes at least this share of verified codes per send (resends count as
   * sends) or phone sends to that country are refused. Pumped numbers never verify. 0 turns the
   * breaker off.
   */
  minConversionRatio: z.number().min(0).max(1).default(0.2),
  /** Phone sends to a country within an hour before the breaker judges its conversion. */
  conversionMinSends: z.number().int().min(1).max(1_000_000).default(50),
  /**
   * E.164 numbers or prefixes (`+15555550100`, `+1555555`) that the velocity limit and the
   * breaker ignore, such as QA numbers. They still need an allowed region and number type and
   * keep every per-recipient and per-tenant limit.
   */
  safeList: z
    .array(z.string().regex(/^\+\d{1,15}$/))
    .max(1000)
    .default([]),
  /** Region (ISO alpha-2) for phone numbers given without a country code. */
  defaultCountry: z.string().length(2).default('IN'),
});

/**
 * Tenant records written before regions carry `allowedCountryCodes` (dialling codes). They keep
 * working with the safe reading of each code, its main market (`1` → US and Canada, `44` → GB;
 * see `regionsOfCallingCode`); `npm run admin -- tenant migrate --tenant ID` rewrites them.
 */
const fromLegacyCountryCodes = (raw: unknown): unknown => {
  if (raw === null || typeof raw !== 'object' || !('allowedCountryCodes' in raw)) return raw;
  const { allowedCountryCodes, ...rest } = raw as { allowedCountryCodes: unknown } & Record<string, unknown>;
  if (rest.allowedRegions !== undefined || !Array.isArray(allowedCountryCodes)) return rest;
  const regions = allowedCountryCodes.flatMap((c) => (c === '*' ? ['*'] : regionsOfCallingCode(String(c))));
  return { ...rest, allowedRegions: [...new Set(regions)] };
};

export const policySchema = z.preprocess(fromLegacyCountryCodes, policyObject);
export type Policy = z.infer<typeof policyObject>;

/** Characters an HTML e-mail template may have (SES takes 10 MB per message; a template is far less). */
export const MAX_EMAIL_HTML_CHARACTERS = 100_000;

/**
 * The subject becomes an e-mail header: no control characters, so no injected `Bcc:` lines. The
 * body is the text part; `html` adds an HTML part (multipart/alternative). Either may be left
 * out, not both: without `body` the text part is derived from the HTML at send time.
 */
const emailTemplateSchema = z
  .object({
    subject: z
      .string()
      .min(1)
      .refine((v) => !hasControlCharacters(v), { message: CONTROL_CHARACTERS_MESSAGE }),
    body: z.string().min(1).optional(),
    html: z.string().min(1).max(MAX_EMAIL_HTML_CHARACTERS).optional(),
  })
  .refine((t) => t.body !== undefined || t.html !== undefined, { message: 'body or html is required' });

/**
 * An India DLT id (TRAI principal entity id or content template id): AWS takes 1–50 characters;
 * the ids TRAI issues are 19 digits.
 */
const dltId = z.string().regex(/^[A-Za-z0-9_-]{1,50}$/);

/** A locale key of `templates.*.locales` and `locales`: a lower-case BCP 47 tag (`hi`, `pt-br`). */
const localeTag = z
  .string()
  .regex(LOCALE_PATTERN, { message: 'a lower-case BCP 47 language tag (hi, pt-br)' });

/**
 * The `VoiceId` values of @aws-sdk/client-pinpoint-sms-voice-v2, copied: importing the SDK's enum
 * pulled the whole voice client (about 250 KB) into every dialect's bundle, which the lazy
 * channel imports (shared/channels/aws.ts) exist to avoid. test/unit/tenants.test.ts fails when
 * the SDK's list changes.
 */
export const VOICE_IDS = [
  'AMY',
  'ASTRID',
  'BIANCA',
  'BRIAN',
  'CAMILA',
  'CARLA',
  'CARMEN',
  'CELINE',
  'CHANTAL',
  'CONCHITA',
  'CRISTIANO',
  'DORA',
  'EMMA',
  'ENRIQUE',
  'EWA',
  'FILIZ',
  'GERAINT',
  'GIORGIO',
  'GWYNETH',
  'HANS',
  'INES',
  'IVY',
  'JACEK',
  'JAN',
  'JOANNA',
  'JOEY',
  'JUSTIN',
  'KARL',
  'KENDRA',
  'KIMBERLY',
  'LEA',
  'LIV',
  'LOTTE',
  'LUCIA',
  'LUPE',
  'MADS',
  'MAJA',
  'MARLENE',
  'MATHIEU',
  'MATTHEW',
  'MAXIM',
  'MIA',
  'MIGUEL',
  'MIZUKI',
  'NAJA',
  'NICOLE',
  'PENELOPE',
  'RAVEENA',
  'RICARDO',
  'RUBEN',
  'RUSSELL',
  'SALLI',
  'SEOYEON',
  'TAKUMI',
  'TATYANA',
  'VICKI',
  'VITORIA',
  'ZEINA',
  'ZHIYU',
] as const;

/** Bytes one SNS SMS publish may carry. */
export const MAX_SMS_TEMPLATE_BYTES = 1600;
/** Characters a SendVoiceMessage body may have. */
export const MAX_VOICE_TEMPLATE_CHARACTERS = 3000;

/** The texts of one template key in one locale. */
const actionTextsSchema = z.object({
  /**
   * One SNS publish carries at most 1,600 bytes; SNS splits longer text into segments it bills
   * separately, and refuses beyond that. Sized in UTF-8 bytes, not characters: 600 Devanagari
   * characters are 1,800 bytes.
   */
  sms: z
    .string()
    .min(1)
    .refine((v) => Buffer.byteLength(v, 'utf8') <= MAX_SMS_TEMPLATE_BYTES, {
      message: `at most ${MAX_SMS_TEMPLATE_BYTES} bytes (UTF-8), the size of one SNS publish`,
    })
    .optional(),
  email: emailTemplateSchema.optional(),
  /** SendVoiceMessage refuses a message body over 3,000 characters. */
  voice: z.string().min(1).max(MAX_VOICE_TEMPLATE_CHARACTERS).optional(),
});

/** One locale's texts of a template key; each channel it leaves out falls back (README "Locales"). */
const localizedTemplatesSchema = actionTextsSchema.extend({
  /** India DLT content template id of this locale's SMS text (each registered text has its own). */
  dltTemplateId: dltId.optional(),
});

/** Action-level templates: the second choice after a template in the request body (seed 004). */
export const actionTemplatesSchema = localizedTemplatesSchema.extend({
  /** The same texts per locale (`hi`, `pt-br`); the engine picks one per recipient. */
  locales: z.record(localeTag, localizedTemplatesSchema).optional(),
});

/**
 * Provider settings are checked against what AWS accepts, so a typo fails when the tenant is
 * saved rather than as a provider error on every send.
 */
export const channelSettingsSchema = z.object({
  sms: z
    .object({
      /** SNS sender ID: 3–11 ASCII letters, digits or hyphens, at least one letter. */
      senderId: z
        .string()
        .regex(/^(?=.*[A-Za-z])[A-Za-z0-9-]{3,11}$/)
        .optional(),
      /**
       * The registered number (toll-free, 10DLC, short code) SNS sends from, as the
       * `AWS.MM.SMS.OriginationNumber` attribute. US and Canadian traffic needs one; unset, SNS
       * picks a number of the account's own.
       */
      originationNumber: z
        .string()
        .regex(/^\+[1-9]\d{2,14}$/, { message: 'an E.164 number like +18005550100' })
        .optional(),
      /**
       * Only when the stack sends SMS through End User Messaging (`smsProvider`): the origination
       * identity `SendTextMessage` uses, a pool, phone number or sender id by id or ARN
       * (`pool-…`, `phone-…`, `arn:aws:sms-voice:…`). Unset: `originationNumber`, then `senderId`.
       */
      originationIdentity: z
        .string()
        .regex(/^[A-Za-z0-9_:/+-]{1,256}$/)
        .optional(),
    })
    .optional(),
  /** z.email() takes ASCII only: SES needs a 7-bit local part and a punycode domain. */
  email: z.object({ from: z.email() }).optional(),
  voice: z
    .object({
      originationIdentity: z.string().min(1),
      /** One of the SDK's Polly voices (upper case, as SendVoiceMessage takes them). */
      voiceId: z.enum(VOICE_IDS).optional(),
    })
    .optional(),
  whatsapp: z
    .object({
      /** AWS End User Messaging Social's id (`phone-number-id-…`) or its ARN, not Meta's number id. */
      phoneNumberId: z
        .string()
        .regex(
          /^(phone-number-id-[0-9A-Za-z]+|arn:aws[a-z-]*:social-messaging:[a-z0-9-]+:\d{12}:phone-number-id\/[0-9A-Za-z]+)$/,
        ),
      /**
       * The language the template was approved in, as Meta names it: `en`, `en_US`, `pt_BR`…
       * (WhatsApp Manager's "English" is `en`, "English (US)" is `en_US`). A template exists per
       * language, so this must be the one it was approved in.
       */
      languageCode: z
        .string()
        .regex(/^[a-z]{2,3}(_[A-Z]{2})?$/, { message: 'a Meta language code like en or en_US' })
        .default('en'),
      /**
       * The Meta Graph API version Social Messaging forwards the message with (`v24.0`). Meta
       * retires a version about two years after its release; unset, the service's current
       * default (shared/channels/whatsapp.ts META_API_VERSION) is used.
       */
      metaApiVersion: z
        .string()
        .regex(/^v\d{1,3}\.\d$/, { message: 'a Graph API version like v24.0' })
        .optional(),
      /**
       * Delivery receipts for WhatsApp (README, "Events and receipts"): Social Messaging names a
       * status by the message id only, so each send also writes a message-id → code item (one
       * more PutItem per WhatsApp code). Off unless the tenant wants `otp.delivered` for WhatsApp.
       */
      receipts: z.boolean().optional(),
    })
    .optional(),
  /**
   * Zalo notifications (ZNS) through an HTTPS endpoint. `accessToken` is sent as the
   * `access_token` header; Zalo OA access tokens expire after about 25 hours, and this service
   * does not refresh them: point `url` at a proxy that holds the OA refresh token and refreshes
   * (README, Deploy), or rewrite `accessToken` with `tenant put` before it expires.
   */
  zalo: z
    .object({
      url: z.url(),
      accessToken: z.string().min(1),
      /** The ZNS template's parameter that takes the code (`otp` unless the template names it otherwise). */
      templateParameter: z
        .string()
        .regex(/^[A-Za-z0-9_]{1,64}$/)
        .optional(),
    })
    .optional(),
});
export type ChannelSettings = z.infer<typeof channelSettingsSchema>;

export const jwtSettingsSchema = z
  .object({
    issuer: z.string().min(1),
    audience: z.string().min(1).optional(),
    hs256Secret: z.string().min(32).optional(),
    jwksUrl: z.url().optional(),
    /**
     * Longest a token may live: its lifetime `exp - iat` and its age `now - iat` must both be at
     * most this. Tokens must carry `exp` and `iat`, so a token that leaks stops working within
     * this time. One hour by default (ID and access tokens of common identity providers live an
     * hour or less); at most a day.
     */
    maxTokenAgeSeconds: z.number().int().min(60).max(86_400).default(3600),
  })
  .refine((j) => j.hs256Secret ?? j.jwksUrl, { message: 'hs256Secret or jwksUrl is required' });

export const brandSettingsSchema = z.object({
  /** When set, every auth-engine request for this brand must carry a valid payload `hash`. */
  payloadSigningSecret: z.string().min(16).optional(),
});

/**
 * A browser origin as browsers send it in `Origin`: scheme, lower-case host and an optional port,
 * no path. HTTPS only, but for `localhost` and `127.0.0.1` (development); no wildcards, so a
 * tenant names every site that may read the answers of its web routes.
 */
export const originSchema = z
  .string()
  .regex(
    /^(https:\/\/[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*|http:\/\/(localhost|127\.0\.0\.1))(:\d{1,5})?$/,
    { message: 'an origin like https://app.example.com (lower case, no path; http only for localhost)' },
  );

/** CORS for the browser routes (Capillary's `/auth/v1/web/...`). */
export const corsSettingsSchema = z.object({
  /** Origins whose pages may call the web routes and read the answers (errors included). */
  allowedOrigins: z.array(originSchema).max(50).default([]),
});

/** Destinations a tenant may list as test destinations; a load test needs a few, not thousands. */
export const MAX_TEST_DESTINATIONS = 100;

/**
 * A test destination (app-store review, QA, load tests): a phone (E.164) or e-mail address that
 * always gets `code`, never a message (shared/engine/test-destinations.ts). The record's shape
 * only; `tenant put` also checks that each entry is written in the form requests are matched in
 * and that its code fits the tenant's code length and alphabet (shared/tenant-config.ts).
 */
const testDestinationSchema = z.strictObject({
  to: z.string().min(3).max(254),
  code: z.string().min(4).max(10),
});
export type TestDestination = z.infer<typeof testDestinationSchema>;

/** Channels a fallback step may use: those whose text the engine has for every purpose. */
export const FALLBACK_CHANNELS = ['SMS', 'VOICE', 'EMAIL'] as const;

/** Most fallback steps one workflow may have (each is a send of the code: `maxSendsPerCode` bounds it too). */
export const MAX_FALLBACK_STEPS = 5;

/**
 * A fallback workflow (README "Fallback workflows"): after the request's own send, each step
 * sends the same code again on its channel `afterSeconds` after the code was issued, while the
 * code is live and unverified. A phone step goes to the request's phone, an e-mail step to its
 * e-mail address; a step whose destination the request did not name is skipped.
 */
const fallbackWorkflowSchema = z.object({
  steps: z
    .array(
      z.object({
        channel: z.enum(FALLBACK_CHANNELS),
        /** Seconds after the code was issued (not after the previous step); at least 1. */
        afterSeconds: z.number().int().min(1).max(600),
      }),
    )
    .min(1)
    .max(MAX_FALLBACK_STEPS),
});
export type FallbackWorkflow = z.infer<typeof fallbackWorkflowSchema>;

/**
 * A workflow's key: the purpose as events show it, `<dialect prefix>:<name>` (`v2:REGISTRATION`,
 * `lr:forgotpassword`, `tw:<ServiceSid>`, `ae:<BRAND>`), shared/engine/lifecycle.ts `publicPurpose`.
 */
export const FALLBACK_PURPOSE = /^[a-z0-9]{2,4}:[^:\s]{1,128}$/;

/** A tenant as stored in the table (credentials live in their own items, hashed). */
export const tenantSchema = z.object({
  tenantId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
  name: z.string().min(1),
  policy: policySchema.default(policySchema.parse({})),
  templates: z.record(z.string(), actionTemplatesSchema).default({}),
  channels: channelSettingsSchema.default({}),
  /** Bearer JWTs this tenant's apps present (seed 001 `user-jwt-token`, seed 004 OAuth). */
  jwt: jwtSettingsSchema.optional(),
  /** Capillary auth-engine brands (seed 002). */
  brands: z.record(z.string(), brandSettingsSchema).default({}),
  /** Browser origins allowed on the web routes; none by default (a browser cannot read answers). */
  cors: corsSettingsSchema.optional(),
  /** SummitAI: which of the user's contacts a generate goes to. */
  summitAiChannels: z.enum(['SMS', 'EMAIL', 'BOTH']).default('BOTH'),
  /**
   * Which locale's texts a recipient gets when the request names none: `byRegion` by the phone's
   * region (ISO alpha-2), else `default`. E-mail recipients have no region and get `default`.
   */
  locales: z
    .object({
      default: localeTag.default(DEFAULT_LOCALE),
      byRegion: z.record(z.string().regex(/^[A-Z]{2}$/), localeTag).default({}),
    })
    .default({ default: DEFAULT_LOCALE, byRegion: {} }),
  /**
   * Autofill lines added to every SMS (shared/sms-autofill.ts): `domain` the origin-bound last
   * line `@domain #code` (WebOTP, iOS and Android autofill), `appHash` the Android SMS Retriever
   * hash of the tenant's app. A request may give its own app hash where its dialect has a field.
   */
  smsAutofill: z
    .object({
      domain: z
        .string()
        .regex(AUTOFILL_DOMAIN, { message: 'a lower-case host such as example.com' })
        .optional(),
      appHash: z
        .string()
        .regex(APP_HASH, { message: '11 characters of base64 (A-Z a-z 0-9 + /)' })
        .optional(),
    })
    .default({}),
  /**
   * India DLT registration (TRAI): the principal entity id and the default content template id,
   * sent with every SMS to India. A template key or locale may name its own `dltTemplateId`.
   * Required on write for a tenant that allows `IN` (shared/tenant-config.ts): Indian carriers
   * drop SMS whose entity and template are not registered.
   */
  dlt: z.object({ entityId: dltId, templateId: dltId }).optional(),
  /**
   * Test destinations with their fixed codes: nothing is ever sent to them and no send limit or
   * pumping defence counts them, but their codes are single use and attempt-limited like any
   * other. Anyone who knows one can log in as it: keep the list empty in production, or list only
   * numbers of review accounts (README "Test destinations", SECURITY.md T1).
   */
  testDestinations: z.array(testDestinationSchema).max(MAX_TEST_DESTINATIONS).default([]),
  /** Fallback workflows by purpose (`v2:REGISTRATION`); none by default. */
  fallback: z
    .record(
      z.string().regex(FALLBACK_PURPOSE, { message: 'a purpose like v2:REGISTRATION' }),
      fallbackWorkflowSchema,
    )
    .default({}),
});
export type Tenant = z.infer<typeof tenantSchema>;

/**
 * Credential kinds, one per dialect and auth type: a credential is looked up only by the dialect
 * it was made for, so one stored at the id another dialect computes is still refused there
 * (a SummitAI key presented to LoginRadius as `apikey=<OrgID>:<sha256(key)>&apisecret=<key>`).
 * `jwt-issuer` pointers are not credentials (they hold no secret) and keep their own key.
 */
export const CREDENTIAL_KINDS = [
  'v2-basic', // seed 004 HTTP Basic client id / secret
  'loginradius-apikey', // seed 000 apikey / apisecret
  'summitai-apikey', // seed 003 AuthType APIKey: id `<OrgID>:<sha256(APIKey)>`, secret the key
  'summitai-form', // seed 003 AuthType FORM: id `<OrgID>:<UserName>`, secret the password
  'twilio-account', // Twilio Verify HTTP Basic: id the account SID `AC…`, secret the auth token
  'twilio-apikey', // Twilio Verify HTTP Basic: id an API key SID `SK…`, secret the key's secret
] as const;
export type CredentialKind = (typeof CREDENTIAL_KINDS)[number];

/**
 * Kinds stored before credentials were scoped to a dialect: `basic` (v2 only), `form` (SummitAI
 * FORM only) and `apikey`, shared by LoginRadius and SummitAI APIKey. Still read, by the rule in
 * tenant-directory.ts `LEGACY_KINDS`, until `npm run admin -- credential migrate` rewrites them.
 */
export type LegacyCredentialKind = 'basic' | 'apikey' | 'form';
