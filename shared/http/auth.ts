import { createRemoteJWKSet, decodeJwt, type JWTPayload, jwtVerify } from 'jose';
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

/**
 * Verifies a JWT issued by a tenant's identity provider: the (unverified) `iss` names the
 * tenant, whose settings then fix the key (HS256 secret or JWKS URL), issuer and audience.
 * `alg: none`, a wrong key, a wrong issuer or audience and an expired token all fail.
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
  if (!tenant || !settings) throw new UnauthorizedError('Unknown issuer');
  const options = {
    issuer: settings.issuer,
    ...(settings.audience ? { audience: settings.audience } : {}),
    clockTolerance: 30,
  };
  try {
    if (settings.hs256Secret) {
      const key = new TextEncoder().encode(settings.hs256Secret);
      const { payload } = await jwtVerify(token, key, { ...options, algorithms: ['HS256'] });
      return { tenant, claims: payload };
    }
    const { payload } = await jwtVerify(token, jwksFor(settings.jwksUrl as string), {
      ...options,
      algorithms: ['RS256', 'RS384', 'RS512', 'PS256', 'ES256', 'ES384', 'EdDSA'],
    });
    return { tenant, claims: payload };
  } catch (error) {
    throw new UnauthorizedError('Invalid token', { cause: error });
  }
};
