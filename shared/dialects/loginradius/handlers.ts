import { issue, verify } from '../../engine';
import type { MessageContent } from '../../engine/types';
import { InvalidInputError } from '../../errors';
import type { DialectSpec, HttpResponse, RouteRequest } from '../../http/types';
import { type Phone, parsePhone } from '../../phone';
import { assertTemplate, BUILT_IN_TEMPLATES, withLocales } from '../../templates';
import type { Tenant } from '../../tenants';
import { authenticate } from './auth';
import { LR_CODES, lrRefusal, mapLoginRadiusError } from './errors';
import { canonicalType, generateBody, type SmsOtpType, verifyBody } from './schemas';

/** The `{smsotptype}` path segment, case-insensitive; anything else is seed 000's 1182. */
const smsOtpType = (req: RouteRequest): SmsOtpType => {
  const type = canonicalType(req.pathParameters.smsotptype);
  if (!type) {
    throw lrRefusal(
      400,
      LR_CODES.INVALID_SMS_OTP_TYPE,
      'The sms otp type must be one of addphone, phoneverification (phoneidverification), forgotpassword, forgotpin, onetouchlogin, smartlogin or passwordlesslogin.',
    );
  }
  return type;
};

const phoneOf = (raw: string, tenant: Tenant): Phone => {
  const phone = parsePhone(raw, tenant.policy.defaultCountry);
  if (!phone) throw new InvalidInputError('phone', 'Invalid phone number');
  return phone;
};

const WHAT_FOR: Record<SmsOtpType, string> = {
  addphone: 'add this phone number to your account',
  phoneverification: 'verify your phone number',
  forgotpassword: 'reset your password',
  forgotpin: 'reset your PIN',
  onetouchlogin: 'log in',
  smartlogin: 'log in',
  passwordlesslogin: 'log in',
};

/**
 * The tenant's action-level SMS template for this type, else a built-in text in LoginRadius's
 * style. The code comes first so phones can offer it for autofill; the engine fills it in.
 */
const contentOf = (type: SmsOtpType, tenant: Tenant): MessageContent => {
  const minutes = Math.max(1, Math.ceil(tenant.policy.ttlSeconds / 60));
  const sms =
    tenant.templates[type]?.sms ??
    `{{ validation_code }} is your verification code to ${WHAT_FOR[type]}. It expires in ${minutes} minute${minutes === 1 ? '' : 's'}. Do not share it with anyone.`;
  assertTemplate(sms, 'SMS');
  return withLocales(
    { sms, email: BUILT_IN_TEMPLATES.email, voice: BUILT_IN_TEMPLATES.voice },
    tenant.templates[type],
  );
};

const generate = async (req: RouteRequest): Promise<HttpResponse> => {
  const tenant = await authenticate(req);
  const type = smsOtpType(req);
  const body = generateBody.parse(req.body);
  if (type === 'addphone' && !body.uid) {
    throw lrRefusal(400, LR_CODES.PARAMETER_FORMAT, 'The uid is a required parameter.');
  }
  const phone = phoneOf(body.phone, tenant);
  // This service keeps no LoginRadius accounts, so every type sends to the number given: the
  // answer to forgotpassword and the login types is the same whether or not an account exists.
  const issued = await issue(req.deps, {
    tenant,
    purpose: `lr:${type}`,
    subject: phone.e164,
    deliveries: [{ channel: 'SMS', to: phone.e164, phone }],
    content: contentOf(type, tenant),
  });
  return {
    status: 200,
    body: { Token: issued.challengeId, ExpiresIn: new Date(issued.expiresAt).toISOString() },
  };
};

/** This project's extension: `PUT …/smsotp/{smsotptype}/verify` with `{Phone, Otp}`. */
const verifyOtp = async (req: RouteRequest): Promise<HttpResponse> => {
  const tenant = await authenticate(req);
  const type = smsOtpType(req);
  const body = verifyBody.parse(req.body);
  await verify(req.deps, {
    tenant,
    purpose: `lr:${type}`,
    subject: phoneOf(body.phone, tenant).e164,
    code: body.otp,
  });
  return { status: 200, body: { IsVerified: true } };
};

/** Seed 000: LoginRadius multipurpose SMS OTP, JSON or form bodies. */
export const loginRadius: DialectSpec = {
  dialect: 'loginradius',
  handlers: { loginRadiusSmsOtpGenerate: generate, loginRadiusSmsOtpVerify: verifyOtp },
  mapError: mapLoginRadiusError,
  formBodies: true,
};
