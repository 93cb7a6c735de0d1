import { createHmac } from 'node:crypto';
import { safeEqual } from '../../crypto';
import { UnauthorizedError } from '../../errors';
import { requestUrl, withinExpiryWindow } from '../../http/auth';
import type { RouteRequest } from '../../http/types';
import type { Tenant } from '../../tenants';
import { LR_CODES, lrRefusal } from './errors';

/**
 * LoginRadius's three ways to present the site's API secret (docs/dialects/loginradius.md
 * "Authentication"), tried in this order:
 *
 * 1. **Request signing** (`apiRequestSigning: true` in the official SDK): `X-Request-Expires`
 *    (`YYYY-MM-DD HH:mm:ss`, UTC) and `digest: SHA-256=<base64 HMAC-SHA256(secret, input)>`, no
 *    secret on the wire. `input` is `<expires>:<url>[:<body>]`, the URL lower-cased after
 *    `encodeURIComponent(decodeURIComponent(url))`, which binds path, query and body; or
 *    `<expires>:undefined`, which is what loginradius-sdk 11.x actually signs (its helper reads
 *    `options.uri` and `options.body`, which its https transport never sets), binding the key and
 *    the expiry only. Both are accepted so that SDK works unchanged; SECURITY.md A6 says what
 *    the second one protects.
 * 2. **Headers** `X-LoginRadius-apiKey` / `X-LoginRadius-apiSecret` (the SDK's default; the key
 *    may come from `?apiKey=` instead, as the SDK sends it). The documented form.
 * 3. **Query** `?apikey=&apisecret=` (names case-insensitive): seed 000's form, kept working.
 *
 * Every failure after the key and secret (or signature) are present answers the same 902, so a
 * refusal does not say whether the key exists, the secret was wrong or the signature expired.
 */

/** The secret header. */
const SECRET_HEADER = 'x-loginradius-apisecret';
const KEY_HEADER = 'x-loginradius-apikey';

/** How far ahead an expiry may lie: the official SDKs sign for one hour. */
export const SIGNATURE_MAX_LIFETIME_MS = 60 * 60 * 1000;
/** Clock difference tolerated between the client and us, both ways. */
export const SIGNATURE_CLOCK_SKEW_MS = 5 * 60 * 1000;

/** `YYYY-MM-DD HH:mm:ss` read as UTC, else undefined. */
const parseExpires = (value: string): number | undefined => {
  const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/.exec(value);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const ms = Date.UTC(year, month - 1, day, hour, minute, second);
  // Date.UTC rolls 2026-02-31 over into March: refuse what is not a real date.
  return new Date(ms).getUTCDate() === day && new Date(ms).getUTCHours() === hour ? ms : undefined;
};

/** The inputs a digest may sign (see above), both computed so the comparison costs the same. */
export const signingInputs = (expires: string, url: string, body: string): string[] => {
  const encodedUrl = encodeURIComponent(decodeURIComponent(url)).toLowerCase();
  return [body ? `${expires}:${encodedUrl}:${body}` : `${expires}:${encodedUrl}`, `${expires}:undefined`];
};

/** `SHA-256=<base64 HMAC-SHA256(secret, input)>`, the `digest` header's value. */
export const lrDigest = (secret: string, input: string): string =>
  `SHA-256=${createHmac('sha256', secret).update(input).digest('base64')}`;

/** Compared against when the key is unknown, so an unknown key costs the same HMACs. */
const DECOY_SECRET = 'decoy-secret-never-matches';

const invalid = (apikey: string, why: string): UnauthorizedError =>
  new UnauthorizedError(why, { credentialId: apikey });

const authenticateSigned = async (req: RouteRequest, apikey: string, digest: string): Promise<Tenant> => {
  const expires = req.headers['x-request-expires'] ?? '';
  const expiresAt = parseExpires(expires);
  if (expiresAt === undefined) throw invalid(apikey, 'Malformed X-Request-Expires');
  if (
    !withinExpiryWindow(expiresAt, req.deps.now(), {
      maxLifetimeMs: SIGNATURE_MAX_LIFETIME_MS,
      skewMs: SIGNATURE_CLOCK_SKEW_MS,
    })
  ) {
    throw invalid(apikey, 'Signature expired or expiry too far ahead');
  }
  const found = await req.deps.tenants.signingCredential('loginradius-apikey', apikey);
  const secret = found?.secret ?? DECOY_SECRET;
  // Both inputs are always compared (no early exit), each in constant time.
  const matches = signingInputs(expires, requestUrl(req.event), req.rawBody).map((input) =>
    safeEqual(lrDigest(secret, input), digest),
  );
  if (!found || !matches.includes(true)) throw invalid(apikey, 'Invalid request signature');
  return found.tenant;
};

/** The tenant the request's credentials name, or a refusal in LoginRadius's shape. */
export const authenticate = async (req: RouteRequest): Promise<Tenant> => {
  const headerKey = req.headers[KEY_HEADER];
  const apikey = headerKey ?? req.query.apikey;
  if (!apikey) {
    throw lrRefusal(
      401,
      LR_CODES.API_KEY_MISSING,
      'The request is missing the API key, please use the valid API key parameter in order to process this request.',
    );
  }
  // A key in both places that disagree: which one the secret belongs to is unknowable.
  if (headerKey !== undefined && req.query.apikey !== undefined && req.query.apikey !== headerKey) {
    throw invalid(apikey, 'API key in header and query differ');
  }
  const digest = req.headers.digest;
  if (digest !== undefined || req.headers['x-request-expires'] !== undefined) {
    return authenticateSigned(req, apikey, digest ?? '');
  }
  const apisecret = req.headers[SECRET_HEADER] ?? req.query.apisecret;
  if (!apisecret) {
    throw lrRefusal(
      401,
      LR_CODES.API_SECRET_MISSING,
      'The request is missing the API secret, please use the valid API secret parameter in order to process this request.',
    );
  }
  const tenant = await req.deps.tenants.authenticate('loginradius-apikey', apikey, apisecret);
  // One answer for an unknown key and a wrong secret, so the API does not confirm which keys exist.
  if (!tenant) throw invalid(apikey, 'Invalid API key or secret');
  return tenant;
};
