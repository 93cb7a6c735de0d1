import type { TenantDirectory } from '../../shared/tenant-directory';
import type { Tenant } from '../../shared/tenants';

/**
 * Seed 001 (app register / verify / resend) on the demo tenant. Every value here is LOCAL-ONLY
 * and committed to the repository: the demo identity provider's HS256 secret and a user token
 * signed with it that expires in 2100, so the curl commands below can be pasted as they are.
 */
export const APP_OTP_DEMO = {
  issuer: 'https://idp.demo.local',
  audience: 'demo-app',
  hs256Secret: 'demo-app-otp-hs256-secret-LOCAL-ONLY-0123456789',
  /** HS256 JWT `{sub: "demo-user-1", iss, aud, iat: 2026-01-01, exp: 2100-01-01}` signed with the secret above. */
  userToken:
    'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJkZW1vLXVzZXItMSIsImlzcyI6Imh0dHBzOi8vaWRwLmRlbW8ubG9jYWwiLCJhdWQiOiJkZW1vLWFwcCIsImlhdCI6MTc2NzIyNTYwMCwiZXhwIjo0MTAyNDQ0ODAwfQ.30lTfELt2k1FMsFTPO1Hoec0PIWaR5yVdQzeyflp7ac',
} as const;

/** The demo tenant trusts the demo identity provider's user tokens. */
export const demoTenantPatch: Partial<Tenant> = {
  jwt: {
    issuer: APP_OTP_DEMO.issuer,
    audience: APP_OTP_DEMO.audience,
    hs256Secret: APP_OTP_DEMO.hs256Secret,
  },
};

/** Nothing beyond the tenant record: the JWT settings are all this dialect needs. */
export const seedDemo = async (_tenants: TenantDirectory, _tenantId: string): Promise<void> => {};

const curl = (endpoint: string, body: string) =>
  `curl -s -X POST http://localhost:3000/fe/users/auth/otp/${endpoint} -H 'Content-Type: application/json' -H 'user-jwt-token: ${APP_OTP_DEMO.userToken}' -d '${body}'`;

/**
 * One command per endpoint, with the seed's resend example body (the seed's register example
 * uses the placeholder country "XX", which is refused with INVALID_COUNTRY_CODE). For verify,
 * put the authCode the register answered and the code from the outbox in place of the capitals.
 */
export const demoCurl: string[] = [
  curl('register', '{"phone_number": "9876543219", "countryCode": "+91"}'),
  curl('resend', '{"phone_number": "9876543219", "countryCode": "+91"}'),
  curl(
    'verify',
    '{"phone_number": "9876543219", "countryCode": "+91", "authCode": "AUTHCODE", "otp": "OTP"}',
  ),
];
