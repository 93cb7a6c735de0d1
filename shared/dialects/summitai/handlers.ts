import { randomUUID } from 'node:crypto';
import type { AppDeps } from '../../app-deps';
import { issue, verify } from '../../engine';
import type { Delivery, MessageContent } from '../../engine/types';
import { UnauthorizedError } from '../../errors';
import { refuse } from '../../http/refusal';
import type { DialectSpec, HttpResponse, RouteRequest } from '../../http/types';
import { maskEmailStrict, maskPhoneTail } from '../../mask';
import { normalizeEmail, parsePhone } from '../../phone';
import { assertEmailTemplate, assertTemplate, BUILT_IN_TEMPLATES, withLocales } from '../../templates';
import type { Contact } from '../../tenant-directory';
import type { Tenant } from '../../tenants';
import { apiKeyCredentialId, formCredentialId } from './credentials';
import { envelope, mapSummitError, summitError } from './errors';
import { generateRequest, type ProxyDetails, serviceRequest, userOf, validateRequest } from './schemas';

/** One purpose for both services: a SummitAI code can verify nothing else. */
const PURPOSE = 'adm:otp';

/** Key of a tenant's own templates (`tenant.templates`), else the texts below. */
const TEMPLATE_KEY = 'ADM_GenerateOTP';

/** Auth from `_ProxyDetails`; OrgID is part of the credential id, so it selects the tenant. */
const authenticate = async (deps: AppDeps, p: ProxyDetails): Promise<Tenant> => {
  // SummitAI's FORM parameter table lists no AuthType, so its absence means FORM unless a key is sent.
  const type = (p.AuthType || (p.APIKey ? 'APIKEY' : 'FORM')).toUpperCase();
  const tenant =
    type === 'FORM'
      ? await deps.tenants.authenticate(
          'summitai-form',
          formCredentialId(p.OrgID, p.UserName ?? ''),
          p.Password ?? '',
        )
      : type === 'APIKEY' && p.APIKey
        ? await deps.tenants.authenticate('summitai-apikey', apiKeyCredentialId(p.OrgID, p.APIKey), p.APIKey)
        : undefined;
  if (!tenant)
    throw new UnauthorizedError(`SummitAI ${type} authentication failed`, { credentialId: p.OrgID });
  return tenant;
};

/** The user's e-mail, then phone (the order of "OTP sent to …"), per the tenant's channel choice. */
const deliveriesFor = (contact: Contact, tenant: Tenant): Delivery[] => {
  const want = tenant.summitAiChannels;
  const email = want !== 'SMS' && contact.email ? normalizeEmail(contact.email) : undefined;
  const phone =
    want !== 'EMAIL' && contact.phone ? parsePhone(contact.phone, tenant.policy.defaultCountry) : undefined;
  return [
    ...(email ? [{ channel: 'EMAIL' as const, to: email }] : []),
    ...(phone ? [{ channel: 'SMS' as const, to: phone.e164, phone }] : []),
  ];
};

/** The tenant's `ADM_GenerateOTP` templates, else short texts that name the expiry. */
const contentFor = (tenant: Tenant): MessageContent => {
  const saved = tenant.templates[TEMPLATE_KEY];
  const minutes = Math.ceil(tenant.policy.ttlSeconds / 60);
  const sms =
    saved?.sms ?? `Your one-time password is {{ validation_code }}. It expires in ${minutes} minutes.`;
  const email = saved?.email ?? {
    subject: 'Your one-time password',
    body: `Your one-time password is {{ validation_code }}. It expires in ${minutes} minutes. If you did not ask for it, ignore this e-mail.`,
  };
  assertTemplate(sms, 'SMS');
  assertEmailTemplate(email, 'e-mail');
  return withLocales({ sms, email, voice: saved?.voice ?? BUILT_IN_TEMPLATES.voice }, saved);
};

const generate = async (req: RouteRequest, tenant: Tenant, orgId: string): Promise<HttpResponse> => {
  const body = generateRequest.parse(req.body);
  const userId = userOf(body.objCommonParameters.objUserInformation) as string;
  // The caller holds the organisation's own credentials, so saying the user is unknown tells it
  // nothing it could not see in its own directory (documented).
  const contact = await req.deps.tenants.contact(tenant.tenantId, userId);
  if (!contact) return refuse(summitError(400, 'User not found'), 'user-not-found');
  const deliveries = deliveriesFor(contact, tenant);
  if (deliveries.length === 0)
    return refuse(
      summitError(400, 'No registered mobile number or e-mail address for the user'),
      'no-contact',
    );
  const issued = await issue(req.deps, {
    tenant,
    purpose: PURPOSE,
    subject: `user:${userId}`,
    deliveries,
    content: contentFor(tenant),
    // A re-send within expiry keeps the first binding, so the caller gets the same TransactionID.
    binding: { transactionId: randomUUID() },
  });
  const transactionId = issued.binding.transactionId;
  if (!transactionId) throw new Error('Live SummitAI challenge without a transaction id');
  const sentTo = issued.results
    .filter((r) => r.ok)
    .map((r) => (r.channel === 'EMAIL' ? maskEmailStrict(r.to) : maskPhoneTail(r.to)));
  return {
    status: 200,
    body: envelope({
      OrgID: Number(orgId),
      OutputObject: {
        OTP_Communication: [
          {
            Message: `OTP sent to ${sentTo.join(' and ')}`,
            AuthenticationType: 'password',
            TransactionID: transactionId,
          },
        ],
      },
    }),
  };
};

const validate = async (req: RouteRequest, tenant: Tenant, orgId: string): Promise<HttpResponse> => {
  const user = validateRequest.parse(req.body).objCommonParameters.objUserInformation;
  const { codeLength, codeAlphabet } = tenant.policy;
  // A numeric OTP_Text has lost its leading zeros in JSON; numeric codes have a fixed length.
  const code =
    typeof user.OTP_Text === 'number' && codeAlphabet === 'numeric'
      ? String(user.OTP_Text).padStart(codeLength, '0')
      : String(user.OTP_Text);
  await verify(req.deps, {
    tenant,
    purpose: PURPOSE,
    subject: `user:${userOf(user) as string}`,
    code,
    binding: { transactionId: user.TransactionID },
  });
  return {
    status: 200,
    body: envelope({
      OrgID: Number(orgId),
      OutputObject: { OTP_Validation: [{ Message: 'OTP validated successfully' }] },
    }),
  };
};

// A Map, not an object: a ServiceName such as `__proto__` must not find a prototype member.
const SERVICES = new Map<string, typeof generate>([
  ['adm_generateotp', generate],
  ['adm_validateotp', validate],
]);

/** `POST /adm/service`: authenticate from the body, then dispatch on ServiceName. */
const service = async (req: RouteRequest): Promise<HttpResponse> => {
  const { ServiceName, objCommonParameters } = serviceRequest.parse(req.body);
  const proxy = objCommonParameters._ProxyDetails;
  const tenant = await authenticate(req.deps, proxy);
  const run = SERVICES.get(ServiceName.toLowerCase());
  if (!run)
    return refuse(
      summitError(400, 'Invalid ServiceName: expected ADM_GenerateOTP or ADM_ValidateOTP'),
      'invalid-service',
    );
  return run(req, tenant, proxy.OrgID);
};

/** Seed 003: SummitAI ADM service dispatch. */
export const summitAi: DialectSpec = {
  dialect: 'summitai',
  handlers: { summitAiService: service },
  mapError: mapSummitError,
};
