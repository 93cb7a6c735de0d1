import { createHash } from 'node:crypto';
import type { AppDeps } from '../../app-deps';
import type { ChannelType } from '../../channels/types';
import {
  type ChallengeRef,
  type ChallengeView,
  issue,
  readChallenge,
  settle,
  subjectKeyOf,
  verify,
} from '../../engine';
import type { Delivery, MessageContent } from '../../engine/types';
import { InvalidCodeError, UnauthorizedError } from '../../errors';
import { parseBasic } from '../../http/auth';
import { refuse } from '../../http/refusal';
import type { DialectSpec, HttpResponse, RouteRequest } from '../../http/types';
import { normalizeEmail, type Phone, parseE164 } from '../../phone';
import { type TwilioService, TwilioServices } from '../../store/twilio-services';
import { withLocales } from '../../templates';
import type { Tenant } from '../../tenants';
import { invalidParameter, mapTwilioError, notFound } from './errors';
import {
  type CHANNELS,
  createCheckBody,
  createServiceBody,
  createVerificationBody,
  SERVICE_UNSUPPORTED,
  updateVerificationBody,
  VERIFICATION_UNSUPPORTED,
} from './schemas';
import { accountSidOf, newServiceSid } from './sids';

type TwilioChannel = (typeof CHANNELS)[number];

const ENGINE_CHANNEL: Record<TwilioChannel, ChannelType> = {
  sms: 'SMS',
  call: 'VOICE',
  email: 'EMAIL',
  whatsapp: 'WHATSAPP',
};
const TWILIO_CHANNEL: Partial<Record<string, TwilioChannel>> = {
  SMS: 'sms',
  VOICE: 'call',
  EMAIL: 'email',
  WHATSAPP: 'whatsapp',
};

/** One Service store per deps (per container), so its cache lives as long as the tenants'. */
const stores = new WeakMap<AppDeps, TwilioServices>();
const servicesOf = (deps: AppDeps): TwilioServices => {
  let store = stores.get(deps);
  if (!store) {
    store = new TwilioServices(deps.ddb, deps.tableName);
    stores.set(deps, store);
  }
  return store;
};

/**
 * HTTP Basic, as Twilio's clients send it: the account SID and auth token, or an API key SID and
 * its secret. Each is its own credential kind, so neither works for any other dialect.
 */
const authenticate = async (req: RouteRequest): Promise<Tenant> => {
  const basic = parseBasic(req.headers.authorization);
  if (!basic) throw new UnauthorizedError('Missing credentials');
  const kind = basic.id.startsWith('AC')
    ? 'twilio-account'
    : basic.id.startsWith('SK')
      ? 'twilio-apikey'
      : undefined;
  const tenant = kind && (await req.deps.tenants.authenticate(kind, basic.id, basic.secret));
  if (!tenant) throw new UnauthorizedError('Invalid credentials', { credentialId: basic.id });
  return tenant;
};

/** The tenant's Service named in the path, or 20404 (another tenant's Service is unknown here). */
const serviceOf = async (req: RouteRequest, tenant: Tenant): Promise<TwilioService> => {
  const service = await servicesOf(req.deps).get(tenant.tenantId, req.pathParameters.servicesid ?? '');
  return service ?? refuse(notFound(), 'unknown-service');
};

/** Refuses the first Twilio parameter given that this service does not implement (60200). */
const refuseUnsupported = (body: Record<string, unknown>, names: readonly string[]): void => {
  const given = names.find((n) => body[n] !== undefined);
  if (given) refuse(invalidParameter(given, 'not supported by this service'), 'unsupported-parameter');
};

/** The origin and stage the client called, for the resources' `url` fields. */
const baseUrl = (req: RouteRequest): string => {
  const host = req.headers.host ?? 'localhost';
  const proto = req.headers['x-forwarded-proto'] ?? (/^(localhost|127\.)/.test(host) ? 'http' : 'https');
  const full = req.event.requestContext?.path ?? req.event.path;
  const stage = full.endsWith(req.event.path) ? full.slice(0, full.length - req.event.path.length) : '';
  return `${proto}://${host}${stage}`;
};

const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** Twilio's `lookup.carrier.type` from libphonenumber's type (no carrier lookup is made). */
const lookupOf = (phone: Phone | undefined) => {
  if (!phone) return { carrier: null };
  const type =
    phone.type === 'FIXED_LINE' ? 'landline' : phone.type === 'VOIP' ? 'voip' : phone.type ? 'mobile' : null;
  return {
    carrier: { error_code: null, name: null, mobile_country_code: null, mobile_network_code: null, type },
  };
};

/** The destination as Twilio names it: E.164 (phones) or a lower-case address (e-mail). */
const destinationOf = (to: string, channel: TwilioChannel): { to: string; phone?: Phone } => {
  if (channel === 'email') {
    const email = normalizeEmail(to);
    return email ? { to: email } : refuse(invalidParameter('To'), 'invalid-to');
  }
  // Twilio takes E.164 only: a number without its country code is refused, never guessed.
  const phone = parseE164(to.trim());
  return phone ? { to: phone.e164, phone } : refuse(invalidParameter('To'), 'invalid-to');
};

/** A `To` given in a path or a check: an e-mail address when it has an `@`, else E.164. */
const subjectOf = (to: string): string => destinationOf(to, to.includes('@') ? 'email' : 'sms').to;

/** The verification sid is the subject's key with Twilio's prefix: the same `To` has one live verification. */
const SID_PATTERN = /^VE[A-Za-z0-9_-]{32}$/;
const sidOf = (subjectKey: string): string => `VE${subjectKey}`;

/** Where a path's `{Sid}` (a verification sid or a `To`, as Twilio allows) points. */
const refOf = (tenant: Tenant, service: TwilioService, sidOrTo: string): ChallengeRef => {
  const purpose = purposeOf(service);
  return SID_PATTERN.test(sidOrTo)
    ? { tenant, purpose, subjectKey: sidOrTo.slice(2) }
    : { tenant, purpose, subject: subjectOf(sidOrTo) };
};

/** Verifications of a Service are one engine purpose: a live code per (Service, To). */
const purposeOf = (service: TwilioService): string => `tw:${service.sid}`;

/** The tenant as the Service narrows it: the Service's code length, every other limit the tenant's. */
const scoped = (tenant: Tenant, service: TwilioService): Tenant => ({
  ...tenant,
  policy: { ...tenant.policy, codeLength: service.codeLength },
});

/** Twilio's default texts, with the Service's (or the request's) friendly name. */
/**
 * The Service's texts (English, with its friendly name), plus the built-in translations the
 * engine picks by `Locale`, else the tenant's choice for the number's region (shared/templates.ts).
 */
const contentOf = (service: TwilioService, name: string): MessageContent => {
  const warning = service.doNotShareWarningEnabled
    ? " Don't share this code with anyone; our employees will never ask for the code."
    : '';
  return withLocales(
    {
      sms: `Your ${name} verification code is: {{ validation_code }}.${warning}`,
      email: {
        subject: `${name} verification code`,
        body: `Your ${name} verification code is: {{ validation_code }}.${warning}`,
      },
      voice: `Your ${name} verification code is {{ validation_code }}. Again, your code is {{ validation_code }}.`,
      ...(service.whatsappTemplateName !== undefined && {
        whatsappTemplateName: service.whatsappTemplateName,
      }),
    },
    undefined,
  );
};

interface Shown {
  sid: string;
  to: string;
  channel: TwilioChannel;
  status: string;
  createdAt: number;
  updatedAt: number;
  sends: Array<number | null>;
  phone?: Phone;
}

/** Twilio's verification resource. */
const verificationResource = (req: RouteRequest, tenant: Tenant, service: TwilioService, v: Shown) => ({
  sid: v.sid,
  service_sid: service.sid,
  account_sid: accountSidOf(tenant.tenantId),
  to: v.to,
  channel: v.channel,
  status: v.status,
  valid: v.status === 'approved',
  lookup: v.channel === 'email' ? { carrier: null } : lookupOf(v.phone ?? parseE164(v.to)),
  amount: null,
  payee: null,
  send_code_attempts: v.sends.map((time, i) => ({
    attempt_sid: `VL${createHash('sha256').update(`${v.sid}|${v.createdAt}|${i}`).digest('hex').slice(0, 32)}`,
    channel: v.channel,
    time: time === null ? null : iso(time),
  })),
  date_created: iso(v.createdAt),
  date_updated: iso(v.updatedAt),
  sna: null,
  url: `${baseUrl(req)}/v2/Services/${service.sid}/Verifications/${v.sid}`,
});

/**
 * Send times a status read knows: the first (creation), the last two (the item keeps them);
 * any in between are null.
 */
const sendTimes = (view: ChallengeView): Array<number | null> =>
  Array.from({ length: view.sendCount }, (_, i) => {
    if (i === 0) return view.createdAt;
    if (i === view.sendCount - 1) return view.lastSentAt;
    if (i === view.sendCount - 2) return view.previousSentAt ?? null;
    return null;
  });

const shownOf = (view: ChallengeView, sid: string, fallbackTo: string): Shown => ({
  sid,
  to: view.note ?? fallbackTo,
  channel: TWILIO_CHANNEL[view.channels[0] ?? ''] ?? 'sms',
  status: view.status,
  createdAt: view.createdAt,
  updatedAt: view.updatedAt,
  sends: sendTimes(view),
});

const createVerification = async (req: RouteRequest): Promise<HttpResponse> => {
  const tenant = await authenticate(req);
  const service = await serviceOf(req, tenant);
  const body = createVerificationBody.parse(req.body);
  refuseUnsupported(body, VERIFICATION_UNSUPPORTED);
  if (body.Channel === 'sna')
    refuse(invalidParameter('Channel', 'sna is not supported'), 'unsupported-channel');
  const channel = body.Channel as TwilioChannel;
  if (body.CustomCode !== undefined && !service.customCodeEnabled)
    refuse(
      invalidParameter('CustomCode', 'custom codes are not enabled for this Service'),
      'custom-code-off',
    );
  if (channel === 'whatsapp' && service.whatsappTemplateName === undefined)
    refuse(invalidParameter('Channel', 'whatsapp is not configured for this Service'), 'whatsapp-off');
  const { to, phone } = destinationOf(body.To, channel);
  const delivery: Delivery = phone
    ? { channel: ENGINE_CHANNEL[channel] as Exclude<ChannelType, 'EMAIL'>, to, phone }
    : { channel: 'EMAIL', to };
  const narrowed = scoped(tenant, service);
  const issued = await issue(req.deps, {
    tenant: narrowed,
    purpose: purposeOf(service),
    subject: to,
    deliveries: [delivery],
    content: contentOf(service, body.CustomFriendlyName ?? service.friendlyName),
    // Twilio's `Locale` (`pt-BR`, `es`) as the engine's lower-case tag; `AppHash` goes on the SMS's
    // own line before the tenant's origin-bound autofill line (shared/sms-autofill.ts).
    ...(body.Locale !== undefined && { locale: body.Locale.replace('_', '-').toLowerCase() }),
    ...(body.AppHash !== undefined && { appHash: body.AppHash }),
    ...(body.CustomCode !== undefined && { code: body.CustomCode }),
    note: to,
  });
  const now = req.deps.now();
  // The code's creation: its expiry less the lifetime it was given (exact unless the policy changed since).
  const createdAt = issued.expiresAt - narrowed.policy.ttlSeconds * 1000;
  const sid = sidOf(await subjectKeyOf(req.deps, tenant, to));
  return {
    status: 201,
    body: verificationResource(req, tenant, service, {
      sid,
      to,
      channel,
      status: 'pending',
      createdAt,
      updatedAt: now,
      sends: Array.from({ length: issued.sendCount }, (_, i) =>
        i === 0 ? createdAt : i === issued.sendCount - 1 ? now : null,
      ),
      ...(phone && { phone }),
    }),
  };
};

/** A verification resource for a challenge found by `ref` (a fetch's or an update's answer). */
const answerWith = async (
  req: RouteRequest,
  found: { tenant: Tenant; service: TwilioService; ref: ChallengeRef; view: ChallengeView },
): Promise<HttpResponse> => {
  const sid = sidOf(
    found.ref.subjectKey ?? (await subjectKeyOf(req.deps, found.tenant, found.ref.subject as string)),
  );
  const shown = shownOf(found.view, sid, found.ref.subject ?? '');
  return { status: 200, body: verificationResource(req, found.tenant, found.service, shown) };
};

/** Twilio keeps a verification only while it is pending: anything else is 20404. */
const fetchVerification = async (req: RouteRequest): Promise<HttpResponse> => {
  const tenant = await authenticate(req);
  const service = await serviceOf(req, tenant);
  const ref = refOf(tenant, service, req.pathParameters.sid ?? '');
  const view = await readChallenge(req.deps, ref);
  if (view?.status !== 'pending') return refuse(notFound(), 'no-pending-verification');
  return answerWith(req, { tenant, service, ref, view });
};

const updateVerification = async (req: RouteRequest): Promise<HttpResponse> => {
  const tenant = await authenticate(req);
  const service = await serviceOf(req, tenant);
  const body = updateVerificationBody.parse(req.body);
  const ref = refOf(tenant, service, req.pathParameters.sid ?? '');
  return answerWith(req, { tenant, service, ref, view: await settle(req.deps, ref, body.Status) });
};

const createVerificationCheck = async (req: RouteRequest): Promise<HttpResponse> => {
  const tenant = await authenticate(req);
  const service = await serviceOf(req, tenant);
  const body = createCheckBody.parse(req.body);
  refuseUnsupported(body, ['Amount', 'Payee', 'SnaClientToken']);
  const purpose = purposeOf(service);
  let subject: string;
  let known: ChallengeView | undefined;
  if (body.VerificationSid !== undefined) {
    // By sid: the code's sealed note says whom it was for (one more read than a check by To).
    if (!SID_PATTERN.test(body.VerificationSid))
      return refuse(invalidParameter('VerificationSid'), 'invalid-sid');
    known = await readChallenge(req.deps, { tenant, purpose, subjectKey: body.VerificationSid.slice(2) });
    if (known?.note === undefined) return refuse(notFound(), 'no-pending-verification');
    subject = known.note;
  } else subject = subjectOf(body.To as string);
  const narrowed = scoped(tenant, service);
  // The status read runs beside the verify (it only needs the creation time and the channel, which
  // a verify does not change), so a check stays at the verify's two round trips.
  const [read, checked] = await Promise.allSettled([
    known ?? readChallenge(req.deps, { tenant, purpose, subject }),
    verify(req.deps, { tenant: narrowed, purpose, subject, code: body.Code }),
  ]);
  let status: string;
  if (checked.status === 'fulfilled') status = 'approved';
  else if (checked.reason instanceof InvalidCodeError)
    status = checked.reason.remainingAttempts > 0 ? 'pending' : 'max_attempts_reached';
  else throw checked.reason;
  if (read.status === 'rejected') throw read.reason;
  const view = read.value;
  if (!view) return refuse(notFound(), 'no-pending-verification');
  const now = req.deps.now();
  return {
    status: 200,
    body: {
      sid: sidOf(await subjectKeyOf(req.deps, tenant, subject)),
      service_sid: service.sid,
      account_sid: accountSidOf(tenant.tenantId),
      to: view.note ?? subject,
      channel: TWILIO_CHANNEL[view.channels[0] ?? ''] ?? 'sms',
      status,
      valid: status === 'approved',
      amount: null,
      payee: null,
      date_created: iso(view.createdAt),
      date_updated: iso(now),
      sna_attempts_error_codes: [],
    },
  };
};

/** Twilio's Service resource. */
const serviceResource = (req: RouteRequest, s: TwilioService) => {
  const url = `${baseUrl(req)}/v2/Services/${s.sid}`;
  return {
    sid: s.sid,
    account_sid: accountSidOf(s.tenantId),
    friendly_name: s.friendlyName,
    code_length: s.codeLength,
    lookup_enabled: false,
    psd2_enabled: false,
    skip_sms_to_landlines: false,
    dtmf_input_required: false,
    tts_name: null,
    do_not_share_warning_enabled: s.doNotShareWarningEnabled,
    custom_code_enabled: s.customCodeEnabled,
    push: null,
    totp: null,
    default_template_sid: null,
    whatsapp: null,
    passkeys: null,
    verify_event_subscription_enabled: false,
    whatsapp_template_name: s.whatsappTemplateName ?? null,
    date_created: iso(s.dateCreated),
    date_updated: iso(s.dateUpdated),
    url,
    links: {
      verifications: `${url}/Verifications`,
      verification_checks: `${url}/VerificationCheck`,
    },
  };
};

const createService = async (req: RouteRequest): Promise<HttpResponse> => {
  const tenant = await authenticate(req);
  const body = createServiceBody.parse(req.body);
  refuseUnsupported(body, SERVICE_UNSUPPORTED);
  const service = await servicesOf(req.deps).create(
    tenant.tenantId,
    newServiceSid(),
    {
      friendlyName: body.FriendlyName,
      ...(body.CodeLength !== undefined && { codeLength: body.CodeLength }),
      ...(body.CustomCodeEnabled !== undefined && { customCodeEnabled: body.CustomCodeEnabled }),
      ...(body.DoNotShareWarningEnabled !== undefined && {
        doNotShareWarningEnabled: body.DoNotShareWarningEnabled,
      }),
      ...(body.WhatsappTemplateName !== undefined && { whatsappTemplateName: body.WhatsappTemplateName }),
    },
    req.deps.now(),
  );
  return { status: 201, body: serviceResource(req, service) };
};

const fetchService = async (req: RouteRequest): Promise<HttpResponse> => {
  const tenant = await authenticate(req);
  return { status: 200, body: serviceResource(req, await serviceOf(req, tenant)) };
};

/** One page with every Service (a tenant has few); Twilio's paging fields say there is no other. */
const listServices = async (req: RouteRequest): Promise<HttpResponse> => {
  const tenant = await authenticate(req);
  const services = await servicesOf(req.deps).list(tenant.tenantId);
  const url = `${baseUrl(req)}/v2/Services`;
  return {
    status: 200,
    body: {
      services: services.map((s) => serviceResource(req, s)),
      meta: {
        page: 0,
        page_size: services.length,
        first_page_url: url,
        previous_page_url: null,
        url,
        next_page_url: null,
        key: 'services',
      },
    },
  };
};

/** Twilio Verify v2: Services, Verifications, VerificationCheck (docs/dialects/twilio-verify.md). */
export const twilioVerify: DialectSpec = {
  dialect: 'twilio-verify',
  handlers: {
    twilioCreateService: createService,
    twilioListServices: listServices,
    twilioFetchService: fetchService,
    twilioCreateVerification: createVerification,
    twilioFetchVerification: fetchVerification,
    twilioUpdateVerification: updateVerification,
    twilioCreateVerificationCheck: createVerificationCheck,
  },
  mapError: mapTwilioError,
  formBodies: true,
};
