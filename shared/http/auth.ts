import type { APIGatewayProxyEvent } from 'aws-lambda';
import { createRemoteJWKSet, decodeJwt, type JWTPayload, type JWTVerifyOptions, jwtVerify } from 'jose';
import { LRUCache } from 'lru-cache';
import type { AppDeps } from '../app-deps';
import { UnauthorizedError } from '../errors';
import type { Tenant } from '../tenants';

/** Client id and secret from an HTTP Basic `authorization` header, or undefined. */
export const parseBasic = (header: string | undefined): { id: string; secret: string } | undefined => {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 1) return undefined;
  return { id: decoded.slice(0, colon), secret: decoded.slice(colon + 1) };
};

/**
 * The URL the client addressed, for signatures that cover it: `https://<Host><path>?<query>`,
 * the query rebuilt from the decoded parameters in their order (values percent-encoded as
 * `encodeURIComponent` does). Behind a custom domain `path` carries the base path, as the client
 * sent it. Signers that normalise the encoding (decode, then encode) get the same string back.
 */
export const requestUrl = (event: APIGatewayProxyEvent): string => {
  const headers = event.headers ?? {};
  const host = Object.entries(headers).find(([name]) => name.toLowerCase() === 'host')?.[1] ?? '';
  const multi =
    event.multiValueQueryStringParameters ??
    Object.fromEntries(Object.entries(event.queryStringParameters ?? {}).map(([k, v]) => [k, [v ?? '']]));
  const query = Object.entries(multi)
    .flatMap(([name, values]) => (values ?? []).map((v) => `${name}=${encodeURIComponent(v)}`))
    .join('&');
  return `https://${host}${event.path}${query ? `?${query}` : ''}`;
};

/**
 * Whether a signed request's expiry is acceptable at `now`: not past (beyond the clock skew) and
 * not further ahead than the signer's lifetime plus the skew, so nobody can mint a signature
 * that lasts a year.
 */
export const withinExpiryWindow = (
  expiresAt: number,
  now: number,
  limits: { maxLifetimeMs: number; skewMs: number },
): boolean => expiresAt >= now - limits.skewMs && expiresAt <= now + limits.maxLifetimeMs + limits.skewMs;

/** The token of an `authorization: Bearer …` header, or undefined. */
export const parseBearer = (header: string | undefined): string | undefined =>
  /^Bearer\s+([A-Za-z0-9._~+/-]+=*)\s*$/i.exec(header ?? '')?.[1];

/**
 * Key sets a warm container keeps at most, one per JWKS URL. The URLs come from tenant records,
 * not from callers, so this bound is only a backstop; each set caches its own keys (jose).
 */
export const JWKS_CACHE_MAX_ENTRIES = 100;
const jwksCache = new LRUCache<string, ReturnType<typeof createRemoteJWKSet>>({
  max: JWKS_CACHE_MAX_ENTRIES,
});

/** The remote key set of a JWKS URL, made once per URL while it stays in the cache. */
export const jwksFor = (url: string): ReturnType<typeof createRemoteJWKSet> => {
  let jwks = jwksCache.get(url);
  if (!jwks) {
    jwks = createRemoteJWKSet(new URL(url), { timeoutDuration: 3000, cooldownDuration: 30_000 });
    jwksCache.set(url, jwks);
  }
  return jwks;
};

/** Key sets cached now (tests). */
export const jwksCacheSize = (): number => jwksCache.size;

/** Seconds a token's `exp`, `nbf` and `iat` may be off against our clock (IdP clock skew). */
const CLOCK_TOLERANCE_SECONDS = 30;

/**
 * Verifies a JWT issued by a tenant's identity provider: the (unverified) `iss` names the
 * tenant, whose settings then fix the key (HS256 secret or JWKS URL), issuer and audience.
 * `alg: none`, a wrong key, a wrong issuer or audience, an expired token, a token without `exp`
 * or `iat`, one issued in the future, and one that lives or has lived longer than the tenant's
 * `maxTokenAgeSeconds` all fail, with the same UnauthorizedError: the dialects answer every one
 * with the same bytes, so a refusal does not say which check failed. Times are read from
 * `deps.now()`.
 */
export const verifyTenantJwt = async (
  deps: AppDeps,
  token: string | undefined,
): Promise<{ tenant: Tenant; claims: JWTPayload }> => {
  if (!token || token.length > 8192) throw new UnauthorizedError('Missing token');
  let issuer: string | undefined;
  try {
    issuer = decodeJwt(token).iss;
  } catch (error) {
    throw new UnauthorizedError('Malformed token', { cause: error });
  }
  const tenant = issuer ? await deps.tenants.forIssuer(issuer) : undefined;
  const settings = tenant?.jwt;
  if (!tenant || !settings) throw new UnauthorizedError('Unknown issuer', { credentialId: issuer ?? '' });
  const maxAge = settings.maxTokenAgeSeconds;
  const options: JWTVerifyOptions = {
    issuer: settings.issuer,
    ...(settings.audience ? { audience: settings.audience } : {}),
    // Without `exp` a token that leaks works forever.
    requiredClaims: ['exp'],
    // `maxTokenAge` makes jose require `iat` and refuse an `iat` older than this or later than
    // now (both within the tolerance). We require `iat` on purpose: without it a token's
    // lifetime cannot be measured, so a token minted to expire in ten years would pass; the
    // tokens of common identity providers (Cognito, Auth0, Okta, Entra ID, Firebase,
    // Keycloak) all carry it.
    maxTokenAge: maxAge,
    clockTolerance: CLOCK_TOLERANCE_SECONDS,
    // The deps clock, not jose's own: one clock for the whole request, and tests can move it.
    currentDate: new Date(deps.now()),
  };
  try {
    let payload: JWTPayload;
    if (settings.hs256Secret) {
      const key = new TextEncoder().encode(settings.hs256Secret);
      ({ payload } = await jwtVerify(token, key, { ...options, algorithms: ['HS256'] }));
    } else {
      ({ payload } = await jwtVerify(token, jwksFor(settings.jwksUrl as string), {
        ...options,
        algorithms: ['RS256', 'RS384', 'RS512', 'PS256', 'ES256', 'ES384', 'EdDSA'],
      }));
    }
    // jose bounds the age (`now - iat`); the lifetime the issuer granted (`exp - iat`) is ours
    // to bound, or a fresh token valid for ten years passes every clock check until it is ten
    // years old. Both are numbers here: jose required them and checked their type.
    const lifetime = (payload.exp as number) - (payload.iat as number);
    if (lifetime > maxAge) throw new Error(`Token lifetime ${lifetime} s over ${maxAge} s`);
    return { tenant, claims: payload };
  } catch (error) {
    throw new UnauthorizedError('Invalid token', { cause: error, credentialId: settings.issuer });
  }
};
