import * as z from 'zod';
import { registerSchemas } from '../schemas';

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

/** The documented (vendor-cased) shapes for the OpenAPI document; any key casing is accepted. */
const generateDoc = z.object({
  Phone: z.string().describe('Phone number: E.164, digits with country code, or national digits'),
  Uid: z.string().optional().describe('The user id; required for `addphone` only'),
});
const verifyDoc = z.object({
  Phone: z.string().describe('The phone number the code was sent to'),
  Otp: z.string().describe('The code from the SMS'),
});

/** The key in the query; the secret in a header (documented) or, as seed 000 has it, in the query. */
export const credentialsQuery = z.object({
  apiKey: z.string().optional().describe('The site API key (or the X-LoginRadius-apiKey header)'),
  apisecret: z
    .string()
    .optional()
    .describe(
      "The site API secret: seed 000's form, still accepted; prefer the X-LoginRadius-apiSecret header",
    ),
});

/** The secret header, or a request signature in its place (docs/dialects/loginradius.md "Authentication"). */
export const credentialsHeaders = z.object({
  'X-LoginRadius-apiKey': z.string().optional().describe('The site API key (or ?apiKey=)'),
  'X-LoginRadius-apiSecret': z.string().optional().describe('The site API secret (the documented form)'),
  'X-Request-Expires': z
    .string()
    .optional()
    .describe('Request signing: expiry `YYYY-MM-DD HH:mm:ss` (UTC), at most 1 hour ahead'),
  digest: z
    .string()
    .optional()
    .describe(
      'Request signing: `SHA-256=<base64 HMAC-SHA256(secret, "<expires>:<lower-cased encoded URL>[:<body>]")>`',
    ),
});

export const generateResponse = z.object({
  Token: z.string().describe('Opaque id of this code (never the code); stable across re-sends'),
  ExpiresIn: z.string().describe('ISO-8601 time at which the code expires'),
});
export const verifyResponse = z.object({ IsVerified: z.literal(true) });
export const errorResponse = z.object({
  Description: z.string(),
  ErrorCode: z.number(),
  Message: z.string(),
  IsProviderError: z.boolean(),
  ProviderErrorResponse: z.string().nullable(),
});

registerSchemas({
  loginRadiusSmsOtpGenerate: {
    body: generateDoc,
    query: credentialsQuery,
    headers: credentialsHeaders,
    response: generateResponse,
    error: errorResponse,
    errorStatuses: [400, 401, 403, 404, 429, 500, 503],
  },
  loginRadiusSmsOtpVerify: {
    body: verifyDoc,
    query: credentialsQuery,
    headers: credentialsHeaders,
    response: verifyResponse,
    error: errorResponse,
    errorStatuses: [400, 401, 403, 404, 429, 500, 503],
  },
});
