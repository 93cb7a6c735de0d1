import { randomUUID } from 'node:crypto';
import { hmac, openCode, safeEqual, sealCode } from '../../crypto';
import { issue, verify } from '../../engine';
import type { Guard, MessageContent } from '../../engine/types';
import { InvalidInputError, OtpError, type OtpErrorKind } from '../../errors';
import type { DialectSpec, HttpResponse, RouteHandler, RouteRequest } from '../../http/types';
import { maskDestination } from '../../mask';
import {
  type AuthSession,
  brandKey,
  brandPointer,
  putSession,
  readRefresh,
  readSession,
  type SessionClaim,
  sessionCheck,
  sessionFinish,
} from '../../store/capillary-auth-sessions';
import { BUILT_IN_TEMPLATES, withLocales } from '../../templates';
import type { Tenant } from '../../tenants';
import { AE_CODES, envelope, mapAuthEngineError, type Operation, refusals, tagOperation } from './errors';
import {
  canonicalIdentifier,
  decoyDeps,
  destinationOf,
  type Identifier,
  identifierHash,
  identify,
} from './identifiers';
import { assertSignedPayload } from './payload-hash';
import { brandOnly, type IdentifierType, schemasFor } from './schemas';
import {
  newRefreshKey,
  REFRESH_KEY_SECONDS,
  readOwnToken,
  refreshKeyHash,
  signAccessToken,
  type TokenSubject,
  WEB_SESSION_MAX_SECONDS,
} from './tokens';

type Variant = 'mobile' | 'web';

/** A session lives 15 minutes (Capillary: "sessionId (valid for 15 minutes)"). */
export const SESSION_SECONDS = 15 * 60;

/** The tenant's template for this dialect, if any, else the built-in texts. */
export const TEMPLATE_KEY = 'capillary-auth';

const SCHEMAS = { mobile: schemasFor('mobile'), web: schemasFor('web') };

const success = (rest: object = {}): HttpResponse => envelope(200, AE_CODES.SUCCESS, 'SUCCESS', rest);

/** Capillary's `user` object; this service keeps no app or password registrations. */
const userOf = (role: 'VIEW' | 'USER', sessionId: string | null) => ({
  appRegistered: false,
  sessionId,
  role,
  userRegisteredForPassword: false,
});

/**
 * No client secret: the brand names the tenant. Only the brand is read before the payload hash
 * is checked, so a brand that signs payloads acts on nothing unsigned.
 */
const authenticate = async (req: RouteRequest): Promise<{ tenant: Tenant; brand: string }> => {
  const { brand } = brandOnly.parse(req.body);
  const pointer = await brandPointer(req.deps, brand);
  const tenant = pointer ? await req.deps.tenants.get(pointer.tenantId) : undefined;
  // The tenant must list the brand too (any case): a stale pointer alone serves nothing.
  const settings =
    tenant && Object.entries(tenant.brands).find(([name]) => brandKey(name) === brandKey(brand))?.[1];
  if (!tenant || !settings) throw refusals.unknownBrand();
  if (settings.payloadSigningSecret) {
    const body = req.body as Record<string, unknown>;
    await assertSignedPayload(req.deps, settings.payloadSigningSecret, body, req.deps.now());
  }
  return { tenant, brand: brandKey(brand) };
};

/**
 * What this request says of its session (the stored one must hold exactly this). The identifier
 * is keyed, as the session stores it.
 */
const claimOf = async (
  req: RouteRequest,
  variant: Variant,
  tenant: Tenant,
  brand: string,
  request: { sessionId: string; identifierType: IdentifierType; canonical: string; deviceId?: string },
): Promise<SessionClaim> => ({
  id: request.sessionId,
  tenantId: tenant.tenantId,
  brand,
  variant,
  identifierType: request.identifierType,
  identifierHash: identifierHash(
    await req.deps.pepper(),
    tenant.tenantId,
    request.identifierType,
    request.canonical,
  ),
  ...(variant === 'mobile' && request.deviceId !== undefined && { deviceId: request.deviceId }),
});

/**
 * Why `session` does not serve `claim` at `now` (Capillary's code for it), or undefined when it
 * does: the same test `sessionCheck` makes in the engine's transaction, told apart from the item
 * as it was.
 */
const sessionFault = (
  session: { [K in keyof AuthSession]?: unknown } | undefined,
  claim: SessionClaim,
  now: number,
) => {
  if (!session || Number(session.expiresAt) <= now || session.variant !== claim.variant)
    return refusals.invalidSession();
  if (session.brand !== claim.brand || session.tenantId !== claim.tenantId) return refusals.brandMismatch();
  if (
    session.identifierType !== claim.identifierType ||
    !safeEqual(String(session.identifierHash), claim.identifierHash)
  ) {
    return session.identifierType === 'MOBILE' && claim.identifierType === 'MOBILE'
      ? refusals.mobileMismatch()
      : refusals.identifierMismatch();
  }
  if (claim.variant === 'mobile' && session.deviceId !== claim.deviceId) return refusals.deviceMismatch();
  return undefined;
};

/**
 * The session as a guard of the engine's own transaction (DESIGN §4: no read before the write),
 * so a generate is one round trip and a validate two. When the check fails, nothing is sent or
 * consumed and the refusal is told from the item as it was. A refusal the engine decides before
 * the check held (number policy, no code for this session) is ranked by reading the session then
 * (`recheck`), so the session's code still comes first, as Capillary ranks them.
 *
 * A USERNAME's session is read beside the engine call every time (no round trip of its own): a
 * real user's phone meets limits a decoy's address does not, and a read only on refusals would
 * tell, by the requests made, that the engine refused, and so that the user exists.
 */
const sessionGuard = (req: RouteRequest, claim: SessionClaim, now: number, identifier: Identifier): Guard => {
  const read = () => readSession(req.deps, claim.id, now);
  const early = identifier.type === 'USERNAME' ? read() : undefined;
  // Awaited only on a refusal; a fault of it leaves that refusal as the engine decided it.
  early?.catch(() => undefined);
  return {
    check: sessionCheck(req.deps, claim, now),
    carriedBy: 'sessionEnd',
    refusal: (old) => sessionFault(old, claim, now) ?? refusals.invalidSession(),
    recheck: async () => sessionFault(await (early ?? read()), claim, now),
  };
};

/**
 * One code per session and request shape: brand and session, then a keyed hash of everything else
 * the session binds (app kind, identifier type and value, device), so a request that differs from
 * its session in any of them never reaches the session's code, not even to reserve a guess on it
 * (another identifier of the same address is the same engine subject). Events show `ae:<BRAND>`.
 */
const purposeOf = (claim: SessionClaim, pepper: Buffer): string =>
  [
    'ae',
    claim.brand,
    claim.id,
    hmac(
      pepper,
      'ae-code',
      claim.variant,
      claim.identifierType,
      claim.identifierHash,
      claim.deviceId ?? '',
    ).slice(0, 32),
  ].join(':');

const contentOf = (tenant: Tenant): MessageContent => {
  const saved = tenant.templates[TEMPLATE_KEY];
  return withLocales(
    {
      sms: saved?.sms ?? BUILT_IN_TEMPLATES.sms,
      email: saved?.email ?? BUILT_IN_TEMPLATES.email,
      voice: saved?.voice ?? BUILT_IN_TEMPLATES.voice,
    },
    saved,
  );
};

/**
 * Engine refusals a USERNAME must not reveal. A real user's phone and a decoy's address live
 * under different limits (the phone also takes MOBILE traffic, pumping counters and number
 * policy), so their refusals would differ and tell which user names exist. For a USERNAME,
 * otp/generate answers success for all of these (nothing is sent; the limit still held) and
 * otp/validate answers "Invalid OTP" for all of them. The store being down reads the same for
 * both and is answered as usual.
 */
const HIDDEN_FOR_USERNAME: ReadonlySet<OtpErrorKind> = new Set([
  'invalid-input',
  'country-not-allowed',
  'rate-limited',
  'destination-locked',
  'no-active-code',
  'code-expired',
  'invalid-code',
  'too-many-attempts',
  'delivery-failed',
]);

const uniformForUsername = async (
  req: RouteRequest,
  identifier: Identifier,
  operation: 'otp-generate' | 'otp-validate',
  call: () => Promise<unknown>,
): Promise<void> => {
  try {
    await call();
  } catch (error) {
    if (
      identifier.type !== 'USERNAME' ||
      !(error instanceof OtpError) ||
      !HIDDEN_FOR_USERNAME.has(error.kind)
    ) {
      throw error;
    }
    if (error instanceof InvalidInputError && error.field === 'template') throw error;
    // The operator still sees what was refused; the caller does not.
    req.deps.logger.info('username refusal answered uniformly', { operation, kind: error.kind });
    if (operation === 'otp-validate') throw refusals.invalidOtp();
  }
};

const tokenGenerate =
  (variant: Variant): RouteHandler =>
  async (req) => {
    const { tenant, brand } = await authenticate(req);
    const body = SCHEMAS[variant].tokenGenerate.parse(req.body);
    const canonical = canonicalIdentifier(body.identifierType, body.identifierValue, tenant);
    const now = req.deps.now();
    const session: AuthSession = {
      id: `D-${randomUUID()}`,
      tenantId: tenant.tenantId,
      brand,
      variant,
      identifierType: body.identifierType,
      identifierHash: identifierHash(
        await req.deps.pepper(),
        tenant.tenantId,
        body.identifierType,
        canonical,
      ),
      ...(variant === 'mobile' && body.deviceId ? { deviceId: body.deviceId } : {}),
      createdAt: now,
      expiresAt: now + SESSION_SECONDS * 1000,
    };
    await putSession(req.deps, session);
    // Capillary also returns a VIEW-role token here. An identity token before the OTP is checked
    // is a trap for any backend that only verifies signatures, so `auth.token` is null.
    return success({ auth: { token: null, key: null }, user: userOf('VIEW', session.id) });
  };

const otpGenerate =
  (variant: Variant): RouteHandler =>
  async (req) => {
    const { tenant, brand } = await authenticate(req);
    const body = SCHEMAS[variant].otpGenerate.parse(req.body);
    const identifier = identify(body.identifierType, body.identifierValue, tenant);
    const claim = await claimOf(req, variant, tenant, brand, { ...body, canonical: identifier.canonical });
    const now = req.deps.now();
    const destination = await destinationOf(req.deps, tenant, identifier);
    const purpose = purposeOf(claim, await req.deps.pepper());
    // The session's refusal (a Refusal, not an engine error) is never hidden for a USERNAME.
    await uniformForUsername(req, identifier, 'otp-generate', () =>
      issue(destination.decoy ? decoyDeps(req.deps) : req.deps, {
        tenant,
        purpose,
        subject: destination.subject,
        deliveries: [destination.delivery],
        content: contentOf(tenant),
        caller: 'anonymous',
        guard: sessionGuard(req, claim, now, identifier),
      }),
    );
    // The same answer whether a USERNAME exists or not (a decoy sends nothing).
    return success();
  };

const otpValidate =
  (variant: Variant): RouteHandler =>
  async (req) => {
    const { tenant, brand } = await authenticate(req);
    const body = SCHEMAS[variant].otpValidate.parse(req.body);
    const identifier = identify(body.identifierType, body.identifierValue, tenant);
    const { canonical } = identifier;
    const claim = await claimOf(req, variant, tenant, brand, { ...body, canonical });
    // Capillary documents the OTP as a `long`: a number loses its leading zeros.
    const code =
      typeof body.otp === 'number' ? String(body.otp).padStart(tenant.policy.codeLength, '0') : body.otp;
    const now = req.deps.now();
    const subject: TokenSubject = {
      sub: canonical,
      identifierType: body.identifierType,
      brand,
      tenantId: tenant.tenantId,
      app: variant,
      ...(claim.deviceId !== undefined ? { deviceId: claim.deviceId } : {}),
      authTime: Math.floor(now / 1000),
    };
    const refresh = variant === 'mobile' ? newRefreshKey() : undefined;
    // The session ends (and the refresh key is stored) in the transaction that consumes the code.
    const finish = sessionFinish(
      req.deps,
      claim,
      now,
      refresh && {
        keyHash: refresh.keyHash,
        record: {
          tenantId: tenant.tenantId,
          brand,
          identifierType: body.identifierType,
          sealedIdentifier: sealCode(await req.deps.pepper(), `REFRESH#${refresh.keyHash}`, canonical),
          deviceId: claim.deviceId ?? '',
          authTime: subject.authTime,
          expiresAt: now + REFRESH_KEY_SECONDS * 1000,
        },
      },
    );
    const destination = await destinationOf(req.deps, tenant, identifier);
    const purpose = purposeOf(claim, await req.deps.pepper());
    // The session's refusal (a Refusal, not an engine error) is never hidden for a USERNAME.
    await uniformForUsername(req, identifier, 'otp-validate', () =>
      verify(req.deps, {
        tenant,
        purpose,
        subject: destination.subject,
        code,
        caller: 'anonymous',
        guard: sessionGuard(req, claim, now, identifier),
        // A decoy's session is left as it is: its code was never sent.
        ...(!destination.decoy && { onSuccess: finish }),
      }),
    );
    // A decoy's code was never sent: even a lucky guess authenticates nobody.
    if (destination.decoy) throw refusals.invalidOtp();

    const token = await signAccessToken(await req.deps.signingKey(), subject, now);
    req.deps.logger.info('auth token issued', {
      tenant: tenant.tenantId,
      brand,
      app: variant,
      subject: maskDestination(destination.subject),
    });
    return success({ auth: { token, key: refresh?.key ?? null }, user: userOf('USER', null) });
  };

/**
 * The identifier sealed into a refresh record, or '' when it no longer opens: a record sealed
 * under a pepper that has since been rotated is simply not valid any more (a refusal, not a 500).
 */
const openSealedIdentifier = async (req: RouteRequest, keyHash: string, sealed: string): Promise<string> => {
  try {
    return openCode(await req.deps.pepper(), `REFRESH#${keyHash}`, sealed);
  } catch {
    return '';
  }
};

/** Mobile: the refresh key from otp/validate, bound to brand, identifier and device. */
const regenerateMobile: RouteHandler = async (req) => {
  const { tenant, brand } = await authenticate(req);
  const body = SCHEMAS.mobile.tokenRegenerate.parse(req.body);
  if (!('key' in body)) throw refusals.cannotRegenerate();
  const canonical = canonicalIdentifier(body.identifierType, body.identifierValue, tenant);
  const keyHash = refreshKeyHash(body.key);
  const record = await readRefresh(req.deps, keyHash, req.deps.now());
  // One answer for every mismatch: the key is a bearer secret and the rest only binds it.
  const bound =
    record?.tenantId === tenant.tenantId &&
    record.brand === brand &&
    record.identifierType === body.identifierType &&
    record.deviceId === body.deviceId &&
    safeEqual(await openSealedIdentifier(req, keyHash, record.sealedIdentifier), canonical);
  if (!record || !bound) throw refusals.cannotRegenerate();
  const token = await signAccessToken(
    await req.deps.signingKey(),
    {
      sub: canonical,
      identifierType: body.identifierType,
      brand,
      tenantId: tenant.tenantId,
      app: 'mobile',
      deviceId: record.deviceId,
      authTime: record.authTime,
    },
    req.deps.now(),
  );
  return success({ auth: { token, key: null }, user: userOf('USER', null) });
};

/**
 * Web: Capillary's `expiredToken`, a token this service signed for the web app of this brand and
 * identifier. Expired tokens are the point; the chain ends WEB_SESSION_MAX_SECONDS after the OTP.
 */
const regenerateWeb: RouteHandler = async (req) => {
  const { tenant, brand } = await authenticate(req);
  const body = SCHEMAS.web.tokenRegenerate.parse(req.body);
  if (!('expiredToken' in body)) throw refusals.cannotRegenerate();
  const canonical = canonicalIdentifier(body.identifierType, body.identifierValue, tenant);
  const key = await req.deps.signingKey();
  const claims = await readOwnToken(key, body.expiredToken);
  const now = req.deps.now();
  const authTime = typeof claims?.auth_time === 'number' ? claims.auth_time : 0;
  const valid =
    claims?.app === 'web' &&
    claims.brand === brand &&
    claims.org === tenant.tenantId &&
    claims.idt === body.identifierType &&
    claims.sub === canonical &&
    Math.floor(now / 1000) - authTime <= WEB_SESSION_MAX_SECONDS;
  if (!valid) throw refusals.cannotRegenerate();
  const token = await signAccessToken(
    key,
    {
      sub: canonical,
      identifierType: body.identifierType,
      brand,
      tenantId: tenant.tenantId,
      app: 'web',
      authTime,
    },
    now,
  );
  return success({ auth: { token, key: null }, user: userOf('USER', null) });
};

/** Tags errors with their operation, so one engine error can read differently per endpoint. */
const tagged =
  (operation: Operation, handler: RouteHandler): RouteHandler =>
  async (req) => {
    try {
      return await handler(req);
    } catch (error) {
      throw tagOperation(error, operation);
    }
  };

const variantHandlers = (variant: Variant, name: 'Mobile' | 'Web'): Record<string, RouteHandler> => ({
  [`capillaryAuth${name}TokenGenerate`]: tagged('token', tokenGenerate(variant)),
  [`capillaryAuth${name}TokenRegenerate`]: tagged(
    'token',
    variant === 'mobile' ? regenerateMobile : regenerateWeb,
  ),
  [`capillaryAuth${name}OtpGenerate`]: tagged('otp-generate', otpGenerate(variant)),
  [`capillaryAuth${name}OtpValidate`]: tagged('otp-validate', otpValidate(variant)),
});

/** Seed 002: Capillary auth engine sessions, mobile and web. */
export const capillaryAuth: DialectSpec = {
  dialect: 'capillary-auth',
  handlers: { ...variantHandlers('mobile', 'Mobile'), ...variantHandlers('web', 'Web') },
  mapError: mapAuthEngineError,
};
