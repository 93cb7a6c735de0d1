import { randomInt } from 'node:crypto';
import { hmac } from '../../crypto';
import { issue, verify } from '../../engine';
import type { MessageContent } from '../../engine/types';
import { UnauthorizedError } from '../../errors';
import { verifyTenantJwt } from '../../http/auth';
import { refuse } from '../../http/refusal';
import type { DialectSpec, HttpResponse, RouteRequest } from '../../http/types';
import { hasVerifiedPhone, phoneVerified, type VerifiedPhoneRef } from '../../store/verified-phones';
import { assertTemplate, BUILT_IN_TEMPLATES, withLocales } from '../../templates';
import type { Tenant } from '../../tenants';
import { appOtpError, mapAppOtpError } from './errors';
import { resolvePhone } from './phone';
import { registerBody, verifyBody } from './schemas';

/** The tenant's action-level template key for this dialect's SMS (register and resend alike). */
export const TEMPLATE_KEY = 'register';
const AUTH_CODE_LENGTH = 4;

interface Caller {
  tenant: Tenant;
  pepper: Buffer;
  /** Keyed hash of the JWT `sub`: the table never names a user. */
  userHash: string;
}

/** `user-jwt-token`: a JWT from the tenant's identity provider (found by `iss`) with a `sub`. */
const authenticate = async (req: RouteRequest): Promise<Caller> => {
  // Apps that copy the token from an `authorization` header sometimes keep the `Bearer ` prefix.
  const token = req.headers['user-jwt-token']?.trim().replace(/^Bearer\s+/i, '');
  const { tenant, claims } = await verifyTenantJwt(req.deps, token);
  const sub = claims.sub;
  if (typeof sub !== 'string' || sub.length === 0 || sub.length > 512) {
    throw new UnauthorizedError('Token without a subject');
  }
  const pepper = await req.deps.pepper();
  return { tenant, pepper, userHash: hmac(pepper, 'app-otp-user', tenant.tenantId, sub).slice(0, 32) };
};

/** Per-user purpose: two users registering one phone get separate codes and authCodes. */
const purposeOf = (caller: Caller): string => `app:${caller.userHash}`;

const verifiedRef = (req: RouteRequest, caller: Caller, phone: string): VerifiedPhoneRef => ({
  ddb: req.deps.ddb,
  tableName: req.deps.tableName,
  pepper: caller.pepper,
  tenantId: caller.tenant.tenantId,
  phone,
  userHash: caller.userHash,
});

/** The tenant's `register` SMS template, or the built-in text when it has none or a broken one. */
const contentOf = (req: RouteRequest, tenant: Tenant): MessageContent => {
  const saved = tenant.templates[TEMPLATE_KEY]?.sms;
  let sms: string = BUILT_IN_TEMPLATES.sms;
  try {
    if (saved) {
      assertTemplate(saved, 'SMS');
      sms = saved;
    }
  } catch {
    // The operator's mistake should not stop users registering; the warning tells them.
    req.deps.logger.warn('tenant template invalid, using the built-in text', {
      tenant: tenant.tenantId,
      template: TEMPLATE_KEY,
    });
  }
  return withLocales({ ...BUILT_IN_TEMPLATES, sms }, tenant.templates[TEMPLATE_KEY]);
};

/** JSON numbers lose leading zeros (`0123` → 123): pad them back to the expected length. */
const digitsOf = (value: string | number, length: number): string =>
  typeof value === 'number' ? String(value).padStart(length, '0') : value;

/** Both results once both have settled; the first rejection (in argument order) is thrown. */
const bothSettled = async <A, B>(a: Promise<A>, b: Promise<B>): Promise<[A, B]> => {
  const [ra, rb] = await Promise.allSettled([a, b]);
  if (ra.status === 'rejected') throw ra.reason;
  if (rb.status === 'rejected') throw rb.reason;
  return [ra.value, rb.value];
};

/**
 * register and resend: both send the live code again within expiry (same code, same authCode),
 * else a fresh code with a fresh authCode. The read for `isNewUser` runs beside the engine's
 * write, not before it (DESIGN §4: a fresh generate is one sequential round trip); both are
 * awaited before answering. A store failure on the read alone answers 503 after the code went
 * out: the fault side the engine already takes (charged, maybe delivered, retry re-sends the
 * same code after the resend gap), never an uncharged send.
 */
const send = async (req: RouteRequest): Promise<HttpResponse> => {
  const caller = await authenticate(req);
  const body = registerBody.parse(req.body);
  const phone = resolvePhone(body.phone_number, body.countryCode);
  if (!phone.ok) return refuse(appOtpError(400, phone.error), phone.error);
  const [known, issued] = await bothSettled(
    hasVerifiedPhone(verifiedRef(req, caller, phone.phone.e164)),
    issue(req.deps, {
      tenant: caller.tenant,
      purpose: purposeOf(caller),
      subject: phone.phone.e164,
      deliveries: [{ channel: 'SMS', to: phone.phone.e164, phone: phone.phone }],
      content: contentOf(req, caller.tenant),
      binding: { authCode: String(randomInt(0, 10 ** AUTH_CODE_LENGTH)).padStart(AUTH_CODE_LENGTH, '0') },
    }),
  );
  const authCode = issued.binding.authCode;
  if (!authCode) throw new Error('Issued challenge carries no authCode');
  return { status: 200, body: { authCode, isNewUser: !known } };
};

/** verify: the code and its authCode together; a wrong authCode counts as a wrong code. */
const check = async (req: RouteRequest): Promise<HttpResponse> => {
  const caller = await authenticate(req);
  const body = verifyBody.parse(req.body);
  const phone = resolvePhone(body.phone_number, body.countryCode);
  if (!phone.ok) return refuse(appOtpError(400, phone.error), phone.error);
  await verify(req.deps, {
    tenant: caller.tenant,
    purpose: purposeOf(caller),
    subject: phone.phone.e164,
    code: digitsOf(body.otp, caller.tenant.policy.codeLength),
    binding: { authCode: digitsOf(body.authCode, AUTH_CODE_LENGTH) },
    // `isNewUser` turns false with the consume itself, in the same transaction.
    onSuccess: { verified: phoneVerified(verifiedRef(req, caller, phone.phone.e164), req.deps.now()) },
  });
  return { status: 200, body: { message: 'Phone number verified successfully' } };
};

/** Seed 001: app register / verify / resend with a `user-jwt-token`. */
export const appOtp: DialectSpec = {
  dialect: 'app-otp',
  handlers: { appOtpRegister: send, appOtpResend: send, appOtpVerify: check },
  mapError: mapAppOtpError,
};
