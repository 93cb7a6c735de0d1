import type { OtpError, OtpErrorKind } from '../../errors';
import { classify } from '../../http/classify';
import type { HttpResponse } from '../../http/types';
import { STORE_RETRY_AFTER_S } from '../../timeouts';

/** Seed 004's documented codes, and the 600-range this service fills in (docs/dialects/capillary-v2.md). */
export const V2_CODES = {
  INVALID_ACTION: 600,
  INVALID_ENTITY_TYPE: 601,
  INVALID_ENTITY_VALUE: 602,
  INVALID_CHANNEL: 603,
  NO_OTP: 604,
  INVALID_OTP: 605,
  GENERATION_FAILED: 606,
  WHATSAPP_TEMPLATE_MISSING: 607,
  TEMPLATE_PROBLEM: 608,
  ZALO_TEMPLATE_MISSING: 621,
  RATE_LIMITED: 429,
  UNAUTHORIZED: 401,
  INVALID_MOBILE: 8056,
  SERVICE_UNAVAILABLE: 503,
  INTERNAL: 500,
} as const;

/** The vendor error body: `{"errors": [{code, message}], "warnings": []}`. */
export const v2Error = (status: number, code: number, message: string, extra: object = {}): HttpResponse => ({
  status,
  body: { ...extra, errors: [{ code, message }], warnings: [] },
  ...(status === 401 ? { headers: { 'www-authenticate': 'Basic realm="otp", Bearer' } } : {}),
});

/** A refused validate also carries `entity: false`, as the seed's success shape does. */
const refusedValidate = (status: number, code: number, message: string) =>
  v2Error(status, code, message, { entity: false });

/** Engine error → vendor code, status and message: the whole mapping in one table. */
const ENGINE_ERRORS: Record<OtpErrorKind, (e: OtpError) => HttpResponse> = {
  'invalid-input': (e) => {
    const field = (e as OtpError & { field: string }).field;
    if (field === 'phone') return v2Error(400, V2_CODES.INVALID_MOBILE, 'Invalid mobile');
    if (field === 'template') return v2Error(400, V2_CODES.TEMPLATE_PROBLEM, e.message);
    if (field === 'channel') return v2Error(400, V2_CODES.INVALID_CHANNEL, e.message);
    return v2Error(400, V2_CODES.INVALID_ENTITY_VALUE, e.message);
  },
  'country-not-allowed': () => v2Error(400, V2_CODES.INVALID_MOBILE, 'Invalid mobile: country not allowed'),
  'rate-limited': () => v2Error(429, V2_CODES.RATE_LIMITED, 'OTP limit exceeded, try again later'),
  'destination-locked': () =>
    refusedValidate(429, V2_CODES.RATE_LIMITED, 'Too many failed attempts for this customer today'),
  'no-active-code': () => refusedValidate(400, V2_CODES.NO_OTP, 'No OTP found, generate a new one'),
  'code-expired': () => refusedValidate(400, V2_CODES.NO_OTP, 'OTP expired, generate a new one'),
  'invalid-code': () => refusedValidate(400, V2_CODES.INVALID_OTP, 'Invalid OTP'),
  'too-many-attempts': () => refusedValidate(400, V2_CODES.INVALID_OTP, 'Invalid OTP: too many attempts'),
  'delivery-failed': () => v2Error(503, V2_CODES.GENERATION_FAILED, 'OTP generation failed: Gateway error'),
  'service-unavailable': () => ({
    ...v2Error(503, V2_CODES.SERVICE_UNAVAILABLE, 'Service unavailable, retry later'),
    headers: { 'retry-after': String(STORE_RETRY_AFTER_S) },
  }),
  unauthorized: () => v2Error(401, V2_CODES.UNAUTHORIZED, 'Invalid credentials'),
};

/** Which 600-range code a schema problem in each field gets. */
const FIELD_CODES: Record<string, number> = {
  action: V2_CODES.INVALID_ACTION,
  entityType: V2_CODES.INVALID_ENTITY_TYPE,
  entityValue: V2_CODES.INVALID_ENTITY_VALUE,
  channels: V2_CODES.INVALID_CHANNEL,
  code: V2_CODES.INVALID_OTP,
  otp: V2_CODES.INVALID_OTP,
  template: V2_CODES.TEMPLATE_PROBLEM,
  emailTemplate: V2_CODES.TEMPLATE_PROBLEM,
};

/** Maps any error to seed 004's error shape; never throws, never leaks internals. */
export const mapV2Error = (error: unknown): HttpResponse => {
  const c = classify(error);
  switch (c.kind) {
    case 'refusal':
      return c.response;
    case 'otp':
      return ENGINE_ERRORS[c.error.kind](c.error);
    case 'validation': {
      return v2Error(
        400,
        FIELD_CODES[c.field] ?? V2_CODES.INVALID_ENTITY_VALUE,
        `Invalid request: ${c.message}`,
      );
    }
    case 'http':
      return v2Error(c.status, c.status, c.message);
    default:
      return v2Error(500, V2_CODES.INTERNAL, 'Internal error');
  }
};
