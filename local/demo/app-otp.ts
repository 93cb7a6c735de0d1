import { createHmac } from 'node:crypto';
import type { TenantDirectory } from '../../shared/tenant-directory';
import type { Tenant } from '../../shared/tenants';

/**
 * Seed 001 (app register / verify / resend) on the demo tenant. Every value here is LOCAL-ONLY
 * and committed to the repository: the demo identity provider's HS256 secret, and user tokens
 * signed with it, so the curl commands below can be pasted as they are.
 */
export const APP_OTP_DEMO = {
  issuer: 'https://idp.demo.local',
  audience: 'demo-app',
  hs256Secret: 'demo-app-otp-hs256-secret-LOCAL-ONLY-0123456789',
  /**
   * LOCAL-ONLY: the demo tenant accepts tokens that live a day (the most `maxTokenAgeSeconds`
   * allows), so the curl commands `npm start` prints keep working for a day. A real tenant keeps
   * the one-hour default or less.
   */
  maxTokenAgeSeconds: 86_400,
} as const;

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/**
 * An HS256 user token from the demo identity provider, issued at `nowMs` (epoch ms) and valid for
 * the demo tenant's maximum, a day. Tests pass their manual clock's time, since the verifier
 * reads that clock. Signed with node:crypto rather than jose so it is synchronous (the printed
 * curl commands are plain strings); jose verifies it like any other token.
 */
export const demoUserToken = (nowMs: number, sub = 'demo-user-1'): string => {
  const iat = Math.floor(nowMs / 1000);
  const exp = iat + APP_OTP_DEMO.maxTokenAgeSeconds;
  const { issuer: iss, audience: aud } = APP_OTP_DEMO;
  const signed = `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url({ sub, iss, aud, iat, exp })}`;
  return `${signed}.${createHmac('sha256', APP_OTP_DEMO.hs256Secret).update(signed).digest('base64url')}`;
};

/** The demo tenant trusts the demo identity provider's user tokens. */
export const demoTenantPatch: Partial<Tenant> = {
  jwt: {
    issuer: APP_OTP_DEMO.issuer,
    audience: APP_OTP_DEMO.audience,
    hs256Secret: APP_OTP_DEMO.hs256Secret,
    maxTokenAgeSeconds: APP_OTP_DEMO.maxTokenAgeSeconds,
  },
};

/** Nothing beyond the tenant record: the JWT settings are all this dialect needs. */
export const seedDemo = async (_tenants: TenantDirectory, _tenantId: string): Promise<void> => {};

/** The token in the printed commands: minted when the process starts, valid for a day. */
const startToken = demoUserToken(Date.now());

const curl = (endpoint: string, body: string) =>
  `curl -s -X POST http://localhost:3000/fe/users/auth/otp/${endpoint} -H 'Content-Type: application/json' -H 'user-jwt-token: ${startToken}' -d '${body}'`;

/**
 * One command per endpoint, with the seed's resend example body (the seed's register example
 * uses the placeholder country "XX", which is refused with INVALID_COUNTRY_CODE). For verify,
 * put the authCode the register answered and the code from the outbox in place of the capitals.
 * The token in them expires a day after `npm start`; restart for a fresh one.
 */
export const demoCurl: string[] = [
  curl('register', '{"phone_number": "9876543219", "countryCode": "+91"}'),
  curl('resend', '{"phone_number": "9876543219", "countryCode": "+91"}'),
  curl(
    'verify',
    '{"phone_number": "9876543219", "countryCode": "+91", "authCode": "AUTHCODE", "otp": "OTP"}',
  ),
];
