import * as z from 'zod';
import { registerSchemas, type SecurityRequirement } from '../schemas';

/** Seed 000's SMS OTP types (canonical, lower case). */
export const SMS_OTP_TYPES = [
  'addphone',
  'phoneverification',
  'forgotpassword',
  'forgotpin',
  'onetouchlogin',
  'smartlogin',
  'passwordlesslogin',
] as const;
export type SmsOtpType = (typeof SMS_OTP_TYPES)[number];

/**
 * LoginRadius's API reference spells phone verification `phoneidverification`, its guide
 * `phoneverification`: both name one purpose, so a code from either verifies under either.
 */
const ALIASES: Record<string, SmsOtpType> = { phoneidverification: 'phoneverification' };

/** The canonical type for a path segment (case-insensitive), or undefined when it is not one. */
export const canonicalType = (raw: string | undefined): SmsOtpType | undefined => {
  const lower = (raw ?? '').trim().toLowerCase();
  // hasOwn: a type such as `__proto__` must not find a prototype member.
  return (
    (Object.hasOwn(ALIASES, lower) ? ALIASES[lower] : undefined) ?? SMS_OTP_TYPES.find((t) => t === lower)
  );
};

/**
 * LoginRadius matches body keys case-insensitively (`Phone`, `phone`, `PHONE`). Keys are
 * lower-cased before the schema sees them; a body that is not a plain object is left for the
 * schema to refuse.
 */
const lowerKeys = (value: unknown): unknown =>
  value !== null && typeof value === 'object' && !Array.isArray(value)
    ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k.toLowerCase(), v]))
    : value;

/** The issue message of a field that is absent or blank, so the mapper can say "is a required parameter". */
export const REQUIRED = 'required';
const required = {
  error: (issue: { input?: unknown }) =>
    issue.input === undefined || issue.input === '' ? REQUIRED : undefined,
};

/** A phone as sent: `+919876543210`, `919876543210` or national digits; JSON numbers allowed. */
const phone = z
  .union(
    [z.string().trim().min(1, required).max(32), z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER)],
    required,
  )
  .transform(String);

/** What the handlers parse: keys already lower-cased. */
export const generateBody = z.preprocess(
  lowerKeys,
  z.object({
    phone,
    // Only `addphone` needs a Uid (the handler checks); a blank one counts as absent.
    uid: z
      .string()
      .trim()
      .max(256)
      .optional()
      .transform((v) => v || undefined),
  }),
);
export type GenerateBody = z.infer<typeof generateBody>;

export const verifyBody = z.preprocess(
  lowerKeys,
  z.object({
    phone,
    otp: z
      .union([z.string().trim().min(1, required).max(32), z.number().int().nonnegative()], required)
      .transform(String),
  }),
);

registerSchemas(
  () => {
    /** The documented (vendor-cased) shapes for the OpenAPI document; any key casing is accepted. */
    const generateDoc = z.object({
      Phone: z.string().describe('Phone number: E.164, digits with country code, or national digits'),
      Uid: z.string().optional().describe('The user id; required for `addphone` only'),
    });
    const verifyDoc = z.object({
      Phone: z.string().describe('The phone number the code was sent to'),
      Otp: z.string().describe('The code from the SMS'),
    });

    const generateResponse = z.object({
      Token: z.string().describe('Opaque id of this code (never the code); stable across re-sends'),
      ExpiresIn: z.string().describe('ISO-8601 time at which the code expires'),
    });
    const verifyResponse = z.object({ IsVerified: z.literal(true) });
    const errorResponse = z.object({
      Description: z.string(),
      ErrorCode: z.number(),
      Message: z.string(),
      IsProviderError: z.boolean(),
      ProviderErrorResponse: z.string().nullable(),
    });

    /**
     * `{smsotptype}`: the seed's seven types (matched case-insensitively) and the API reference's
     * spelling of phone verification.
     */
    const pathParameters = z.object({
      smsotptype: z
        .enum([...SMS_OTP_TYPES, ...Object.keys(ALIASES)])
        .describe('The SMS OTP type (case-insensitive)'),
    });

    /**
     * The site key in the query (`?apikey=…&apisecret=…`, seed 000) or in headers; with request
     * signing, `digest` and `X-Request-Expires` replace the secret.
     */
    const security: SecurityRequirement[] = [
      { loginRadiusApiKey: [], loginRadiusApiSecret: [] },
      { loginRadiusApiKeyHeader: [], loginRadiusApiSecretHeader: [] },
      { loginRadiusApiKeyHeader: [], loginRadiusRequestDigest: [] },
    ];
    /** What both operations share: the path, error shape, statuses, Retry-After, body types and auth. */
    const common = {
      path: pathParameters,
      error: errorResponse,
      errorStatuses: [400, 401, 403, 404, 429, 500, 503],
      retryAfterStatuses: [429, 503],
      bodyMediaTypes: ['application/json', 'application/x-www-form-urlencoded'] as const,
      security,
    };
    return {
      loginRadiusSmsOtpGenerate: {
        body: generateDoc,
        response: generateResponse,
        ...common,
        examples: {
          request: {
            addphone: { summary: 'addphone (seed 000)', value: { Phone: '+919955882233', Uid: '<Uid>' } },
            forgotpassword: { summary: 'Every other type (seed 000)', value: { Phone: '+919955882233' } },
          },
          response: { Token: 'c1f3b0a2-5d7e-4b8a-9f0e-2a6c4d8e1b3f', ExpiresIn: '2026-01-01T10:10:00.000Z' },
        },
      },
      loginRadiusSmsOtpVerify: {
        body: verifyDoc,
        response: verifyResponse,
        ...common,
        examples: {
          request: {
            verify: { summary: 'The code from the SMS', value: { Phone: '+919955882233', Otp: '123456' } },
          },
          response: { IsVerified: true },
        },
      },
    };
  },
  {
    loginRadiusApiKey: { type: 'apiKey', in: 'query', name: 'apikey', description: 'The site API key' },
    loginRadiusApiSecret: {
      type: 'apiKey',
      in: 'query',
      name: 'apisecret',
      description: 'The site API secret',
    },
    loginRadiusApiKeyHeader: {
      type: 'apiKey',
      in: 'header',
      name: 'X-LoginRadius-apiKey',
      description: 'The site API key, as a header',
    },
    loginRadiusApiSecretHeader: {
      type: 'apiKey',
      in: 'header',
      name: 'X-LoginRadius-apiSecret',
      description: 'The site API secret, as a header',
    },
    loginRadiusRequestDigest: {
      type: 'apiKey',
      in: 'header',
      name: 'digest',
      description:
        'Request signing instead of the secret: `SHA-256=<base64 HMAC-SHA256 keyed with the API secret over X-Request-Expires, the URL and the body>`, with an `X-Request-Expires` header',
    },
  },
);
