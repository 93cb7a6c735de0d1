import { createHash, randomBytes } from 'node:crypto';
import { compactVerify, SignJWT } from 'jose';
import { randomId } from '../../crypto';

/** `iss` of every access token this service signs. */
export const TOKEN_ISSUER = 'otp-service';
/** Access token lifetime (Capillary: "By default, the token is valid for 15 minutes"). */
export const ACCESS_TOKEN_SECONDS = 15 * 60;
/**
 * Mobile refresh key lifetime. Capillary calls its key "non-expiry" but configurable; a key that
 * never expires is a standing credential, so this service bounds it.
 */
export const REFRESH_KEY_SECONDS = 30 * 24 * 3600;
/** A web token can be regenerated from for this long after its OTP validation, then the user logs in again. */
export const WEB_SESSION_MAX_SECONDS = 24 * 3600;

/** Who a token speaks for. */
export interface TokenSubject {
  /** The canonical identifier: E.164 phone, lower-case e-mail or username. */
  sub: string;
  identifierType: string;
  /** The brand as upper-cased (see brandKey). */
  brand: string;
  tenantId: string;
  app: 'mobile' | 'web';
  deviceId?: string;
  /** Epoch seconds of the OTP validation this token descends from. */
  authTime: number;
}

/**
 * Signs an access token (HS256, the service's signing key): `sub`, `brand`, `iss`, 15-minute
 * `exp`, the identifier type, the app kind and, on mobile, the device. `rol: USER` as Capillary's.
 */
export const signAccessToken = async (
  key: Uint8Array,
  subject: TokenSubject,
  now: number,
): Promise<string> => {
  const iat = Math.floor(now / 1000);
  return new SignJWT({
    brand: subject.brand,
    org: subject.tenantId,
    idt: subject.identifierType,
    app: subject.app,
    rol: 'USER',
    auth_time: subject.authTime,
    ...(subject.deviceId ? { dev: subject.deviceId } : {}),
  })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(subject.sub)
    .setIssuer(TOKEN_ISSUER)
    .setIssuedAt(iat)
    .setExpirationTime(iat + ACCESS_TOKEN_SECONDS)
    .setJti(randomId(12))
    .sign(key);
};

/** A fresh mobile refresh key (256 random bits) and the hash under which it is stored. */
export const newRefreshKey = (): { key: string; keyHash: string } => {
  const key = randomBytes(32).toString('base64url');
  return { key, keyHash: refreshKeyHash(key) };
};

/** SHA-256 of a refresh key: the table never holds a usable key. */
export const refreshKeyHash = (key: string): string => createHash('sha256').update(key).digest('base64url');

/**
 * The claims of a token this service signed, checking only the signature and the issuer: web
 * token/regenerate takes an expired token on purpose. Undefined for anything else.
 */
export const readOwnToken = async (
  key: Uint8Array,
  token: string,
): Promise<Record<string, unknown> | undefined> => {
  try {
    const { payload } = await compactVerify(token, key, { algorithms: ['HS256'] });
    const claims = JSON.parse(new TextDecoder().decode(payload)) as unknown;
    if (claims === null || typeof claims !== 'object') return undefined;
    return (claims as Record<string, unknown>).iss === TOKEN_ISSUER
      ? (claims as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
};
