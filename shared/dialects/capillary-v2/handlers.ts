import { randomInt } from 'node:crypto';
import type { ChannelType } from '../../channels/types';
import { issue, verify } from '../../engine';
import type { Delivery, MessageContent } from '../../engine/types';
import { InvalidInputError, UnauthorizedError } from '../../errors';
import { parseBasic, parseBearer, verifyTenantJwt } from '../../http/auth';
import { refuse } from '../../http/refusal';
import type { DialectSpec, HttpResponse, RouteRequest } from '../../http/types';
import { normalizeEmail, type Phone, parsePhone } from '../../phone';
import { assertEmailTemplate, assertTemplate, BUILT_IN_TEMPLATES, withLocales } from '../../templates';
import type { Tenant } from '../../tenants';
import { mapV2Error, V2_CODES, v2Error } from './errors';
import { type GenerateBody, generateBody, validateBody } from './schemas';

/** HTTP Basic (tenant client id / secret) or an OAuth bearer JWT from the tenant's issuer. */
const authenticate = async (req: RouteRequest): Promise<Tenant> => {
  const header = req.headers.authorization;
  const basic = parseBasic(header);
  if (basic) {
    const tenant = await req.deps.tenants.authenticate('v2-basic', basic.id, basic.secret);
    if (!tenant) throw new UnauthorizedError('Invalid client credentials', { credentialId: basic.id });
    return tenant;
  }
  const bearer = parseBearer(header);
  if (bearer) return (await verifyTenantJwt(req.deps, bearer)).tenant;
  throw new UnauthorizedError('Missing credentials');
};

/** The customer a code is for: E.164 mobile or lower-case e-mail (and the parsed mobile). */
const entityOf = (
  entityType: string,
  entityValue: string,
  tenant: Tenant,
): { subject: string; phone?: Phone } => {
  if (entityType === 'MOBILE') {
    const phone = parsePhone(entityValue, tenant.policy.defaultCountry);
    if (!phone) throw new InvalidInputError('phone', 'Invalid mobile');
    return { subject: phone.e164, phone };
  }
  const email = normalizeEmail(entityValue);
  if (!email) throw new InvalidInputError('identifier', 'Invalid entity value: not an e-mail address');
  return { subject: email };
};

const CHANNEL_OF: Record<string, ChannelType> = {
  SMS: 'SMS',
  EMAIL: 'EMAIL',
  PHONE: 'VOICE',
  MOBILE: 'VOICE',
  WHATSAPP: 'WHATSAPP',
  ZALO: 'ZALO',
};

type Entity = ReturnType<typeof entityOf>;

/**
 * Validates the channels (607, 621, 8056, 603) before anything is written or sent. No channels
 * means SMS to a MOBILE entity or e-mail to an EMAIL one, with the entity as parsed already.
 */
const deliveriesOf = (body: GenerateBody, entity: Entity, tenant: Tenant): Delivery[] => {
  if (!body.channels?.length) {
    return [
      entity.phone
        ? { channel: 'SMS', to: entity.subject, phone: entity.phone }
        : { channel: 'EMAIL', to: entity.subject },
    ];
  }
  const deliveries: Delivery[] = [];
  for (const { type, value } of body.channels) {
    const channel = CHANNEL_OF[type] as ChannelType;
    if (channel === 'WHATSAPP' && !body.whatsappTemplateName?.trim()) {
      refuse(
        v2Error(
          400,
          V2_CODES.WHATSAPP_TEMPLATE_MISSING,
          'Mandatory template name not passed for whatsapp type channel',
        ),
        'whatsapp-template-missing',
      );
    }
    if (channel === 'ZALO' && !body.zaloTemplateIdentifier?.trim()) {
      refuse(
        v2Error(400, V2_CODES.ZALO_TEMPLATE_MISSING, 'Zalo template identifier cannot be empty'),
        'zalo-template-missing',
      );
    }
    let delivery: Delivery;
    if (channel === 'EMAIL') {
      const to = normalizeEmail(value);
      if (!to)
        return refuse(
          v2Error(400, V2_CODES.INVALID_CHANNEL, `Invalid channel value for ${type}`),
          'invalid-channel',
        );
      delivery = { channel, to };
    } else {
      const phone = parsePhone(value, tenant.policy.defaultCountry);
      if (!phone) return refuse(v2Error(400, V2_CODES.INVALID_MOBILE, 'Invalid mobile'), 'invalid-mobile');
      delivery = { channel, to: phone.e164, phone };
    }
    if (!deliveries.some((d) => d.channel === delivery.channel && d.to === delivery.to))
      deliveries.push(delivery);
  }
  return deliveries;
};

/**
 * Seed 004's template hierarchy: the request's template, else the tenant's action-level
 * template (in the recipient's locale where it has one), else the built-in text in that locale.
 * Each must hold exactly one placeholder (608).
 */
const contentOf = (body: GenerateBody, tenant: Tenant): MessageContent => {
  const saved = tenant.templates[body.action];
  const givenSms = Boolean(body.template?.trim());
  const sms = givenSms && body.template ? body.template : (saved?.sms ?? BUILT_IN_TEMPLATES.sms);
  const email = body.emailTemplate ?? saved?.email ?? BUILT_IN_TEMPLATES.email;
  assertTemplate(sms, 'SMS');
  assertEmailTemplate(email, 'e-mail');
  return withLocales(
    {
      sms,
      email,
      voice: saved?.voice ?? BUILT_IN_TEMPLATES.voice,
      ...(body.whatsappTemplateName ? { whatsappTemplateName: body.whatsappTemplateName.trim() } : {}),
      ...(body.zaloTemplateIdentifier ? { zaloTemplateId: body.zaloTemplateIdentifier.trim() } : {}),
    },
    saved,
    { sms: givenSms, email: body.emailTemplate !== undefined },
  );
};

const generate = async (req: RouteRequest): Promise<HttpResponse> => {
  const tenant = await authenticate(req);
  const body = generateBody.parse(req.body);
  const entity = entityOf(body.entityType, body.entityValue, tenant);
  const deliveries = deliveriesOf(body, entity, tenant);
  const content = contentOf(body, tenant);
  const issued = await issue(req.deps, {
    tenant,
    purpose: `v2:${body.action}`,
    subject: entity.subject,
    deliveries,
    content,
  });
  return {
    status: 200,
    body: {
      // The seed: "If the OTPs are regenerated within the OTP expiry limit, the same OTP is
      // generated again, and the createdId value appears as 1."
      createdId: issued.resent ? 1 : randomInt(2, 2 ** 47),
      warnings: issued.results
        .filter((r) => !r.ok)
        .map((r) => ({ code: V2_CODES.GENERATION_FAILED, message: 'Gateway error', channel: r.channel })),
    },
  };
};

const validate = async (req: RouteRequest): Promise<HttpResponse> => {
  const tenant = await authenticate(req);
  const body = validateBody.parse(req.body);
  const { subject } = entityOf(body.entityType, body.entityValue, tenant);
  await verify(req.deps, {
    tenant,
    purpose: `v2:${body.action}`,
    subject,
    code: String(body.code ?? body.otp),
  });
  return { status: 200, body: { entity: true, warnings: [] } };
};

/** Seed 004: Capillary v2 multi-channel OTP. */
export const capillaryV2: DialectSpec = {
  dialect: 'capillary-v2',
  handlers: { capillaryV2Generate: generate, capillaryV2Validate: validate },
  mapError: mapV2Error,
};
