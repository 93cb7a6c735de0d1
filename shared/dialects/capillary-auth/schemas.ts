import * as z from 'zod';
import { type OperationSchemas, registerSchemas } from '../schemas';

/** The identifier types of the auth engine, matched case-insensitively. */
export const IDENTIFIER_TYPES = ['MOBILE', 'EMAIL', 'USERNAME'] as const;
export type IdentifierType = (typeof IDENTIFIER_TYPES)[number];

/** Every field has a cap so a huge body cannot make the service do huge work. */
const text = (max: number) => z.string().trim().min(1).max(max);

/** Only the brand is read before the payload hash is checked (it picks the tenant and secret). */
export const brandOnly = z.object({
  brand: text(64).describe('Brand (org) name; matched case-insensitively'),
});

const identifierType = z
  .preprocess((v) => (typeof v === 'string' ? v.trim().toUpperCase() : v), z.enum(IDENTIFIER_TYPES))
  .describe('MOBILE, EMAIL or USERNAME (case-insensitive)');

const base = {
  identifierType,
  identifierValue: text(254).describe('Mobile number, e-mail address or username'),
  brand: brandOnly.shape.brand,
  hash: z
    .string()
    .max(128)
    .optional()
    .describe('`<unix seconds>.<hex HMAC-SHA256>`; required when the brand turns payload signing on'),
};
const deviceId = text(256).describe('Unique id of the device (mobile app)');
const sessionId = text(64).describe('`sessionId` from token/generate');

/**
 * An OTP as Capillary documents it (`long`) or as a string. A number loses leading zeros, so the
 * handler pads it back to the tenant's code length.
 */
const otp = z.union([z.string().trim().min(1).max(32), z.number().int().nonnegative().max(1e12)]);

export const schemasFor = (variant: 'mobile' | 'web') => {
  // The web app has no device: a deviceId there is accepted and ignored.
  const device = { deviceId: variant === 'mobile' ? deviceId : z.string().max(256).optional() };
  const tokenGenerate = z.object({ ...base, ...device });
  const otpGenerate = z.object({ ...base, ...device, sessionId });
  const otpValidate = z.object({ ...base, ...device, sessionId, otp });
  const tokenRegenerate =
    variant === 'mobile'
      ? z.object({ ...base, ...device, key: text(512).describe('Refresh key from otp/validate') })
      : z.object({
          ...base,
          ...device,
          expiredToken: text(8192).describe('Access token from web otp/validate (expired or not)'),
        });
  return { tokenGenerate, otpGenerate, otpValidate, tokenRegenerate };
};

/** The success and error shapes, for the OpenAPI document only. */
const responses = () => {
  const status = z.object({
    success: z.boolean(),
    code: z.number().describe('200 on success, else the auth engine code (15xx, 5004)'),
    message: z.string(),
  });
  const auth = z.object({ token: z.string().nullable(), key: z.string().nullable() });
  const user = z.object({
    appRegistered: z.boolean(),
    sessionId: z.string().nullable(),
    role: z.enum(['VIEW', 'USER']),
    userRegisteredForPassword: z.boolean(),
  });

  const statusOnlyResponse = z.object({ status });
  const authResponse = z.object({ status, auth, user });
  return { statusOnlyResponse, authResponse };
};

const ERROR_STATUSES = [400, 403, 413, 429, 500, 503];

/** The OpenAPI shapes of one variant's four operations. */
const operations = (
  variant: 'Mobile' | 'Web',
  { statusOnlyResponse, authResponse }: ReturnType<typeof responses>,
): Record<string, OperationSchemas> => {
  const s = schemasFor(variant === 'Mobile' ? 'mobile' : 'web');
  const op = (body: z.ZodType, response: z.ZodType, example?: Record<string, unknown>): OperationSchemas => ({
    body,
    response,
    error: statusOnlyResponse,
    errorStatuses: ERROR_STATUSES,
    // Seed 002 "Authentication: No": the brand names the tenant; a brand may require a payload `hash`.
    security: [],
    ...(example ? { examples: { request: { seed: { summary: 'Seed 002', value: example } } } } : {}),
  });
  // Seed 002's bodies (the web app sends no deviceId).
  const device = variant === 'Mobile' ? { deviceId: '32rtsdered' } : {};
  const token = { identifierType: 'MOBILE', identifierValue: '9940000000', ...device, brand: 'STANDARDAPP' };
  const session = { ...token, sessionId: 'D-502259d3-d4d6-4458-bc5f-b89d3d8e4c7b' };
  return {
    [`capillaryAuth${variant}TokenGenerate`]: op(s.tokenGenerate, authResponse, token),
    [`capillaryAuth${variant}TokenRegenerate`]: op(s.tokenRegenerate, authResponse),
    [`capillaryAuth${variant}OtpGenerate`]: op(s.otpGenerate, statusOnlyResponse, session),
    [`capillaryAuth${variant}OtpValidate`]: op(s.otpValidate, authResponse, { ...session, otp: '123456' }),
  };
};

registerSchemas(() => {
  const shapes = responses();
  return { ...operations('Mobile', shapes), ...operations('Web', shapes) };
});
