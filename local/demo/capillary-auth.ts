import { putBrandPointer, type TableRef } from '../../shared/store/capillary-auth-sessions';
import type { TenantDirectory } from '../../shared/tenant-directory';
import type { Tenant } from '../../shared/tenants';

/** LOCAL-ONLY demo values for the Capillary auth engine dialect (seed 002). */
export const DEMO_AUTH = {
  /** The seed's brand; payload signing off. */
  brand: 'STANDARDAPP',
  /** A second brand with payload signing on (`hash` required). */
  signedBrand: 'SIGNEDAPP',
  payloadSigningSecret: 'local-only-payload-signing-secret-0123456789',
  /** The origin the demo tenant lets browsers call the web routes from (the local server's own). */
  webOrigin: 'http://localhost:3000',
  /** A USERNAME with a phone (the code goes by SMS). */
  user: { userId: 'demo-user', phone: '+919940000001', email: 'demo-user@example.com' },
} as const;

/** The demo tenant's brands: `tenant.brands` must list a brand for it to be served. */
export const demoTenantPatch: Partial<Tenant> = {
  brands: {
    [DEMO_AUTH.brand]: {},
    [DEMO_AUTH.signedBrand]: { payloadSigningSecret: DEMO_AUTH.payloadSigningSecret },
  },
  cors: { allowedOrigins: [DEMO_AUTH.webOrigin] },
};

/**
 * The directory's table. TenantDirectory keeps its client and table name private; the brand
 * pointers live beside its items, so the demo seed borrows them (local code only).
 */
const tableOf = (tenants: TenantDirectory): TableRef => tenants as unknown as TableRef;

/** Points both demo brands at the tenant and adds the demo USERNAME contact. */
export const seedDemo = async (tenants: TenantDirectory, tenantId: string): Promise<void> => {
  await putBrandPointer(tableOf(tenants), DEMO_AUTH.brand, tenantId);
  await putBrandPointer(tableOf(tenants), DEMO_AUTH.signedBrand, tenantId);
  await tenants.putContact(tenantId, { ...DEMO_AUTH.user });
};

const BASE = 'http://localhost:3000';
const post = (path: string, body: string) =>
  `curl -s -X POST ${BASE}${path} -H 'content-type: application/json' -d '${body}'`;

/** Copy-pasteable requests for every endpoint (the seed's example values; replace the <…> parts). */
export const demoCurl: string[] = [
  '# Mobile: session, then OTP (read it at http://localhost:3000/_local/inbox), then token and key',
  post(
    '/auth/v1/token/generate',
    '{"identifierType":"MOBILE","identifierValue":"9940000000","deviceId":"32rtsdered","brand":"STANDARDAPP"}',
  ),
  post(
    '/auth/v1/otp/generate',
    '{"identifierType":"MOBILE","identifierValue":"9940000000","deviceId":"32rtsdered","brand":"STANDARDAPP","sessionId":"<sessionId>"}',
  ),
  post(
    '/auth/v1/otp/validate',
    '{"identifierType":"MOBILE","identifierValue":"9940000000","deviceId":"32rtsdered","brand":"STANDARDAPP","sessionId":"<sessionId>","otp":"<otp>"}',
  ),
  post(
    '/auth/v1/token/regenerate',
    '{"identifierType":"MOBILE","identifierValue":"9940000000","deviceId":"32rtsdered","brand":"STANDARDAPP","key":"<key>"}',
  ),
  '# Web: no deviceId, no key; regenerate with the (expired) token',
  post(
    '/auth/v1/web/token/generate',
    '{"identifierType":"EMAIL","identifierValue":"tom@example.com","brand":"STANDARDAPP"}',
  ),
  post(
    '/auth/v1/web/otp/generate',
    '{"identifierType":"EMAIL","identifierValue":"tom@example.com","brand":"STANDARDAPP","sessionId":"<sessionId>"}',
  ),
  post(
    '/auth/v1/web/otp/validate',
    '{"identifierType":"EMAIL","identifierValue":"tom@example.com","brand":"STANDARDAPP","sessionId":"<sessionId>","otp":"<otp>"}',
  ),
  post(
    '/auth/v1/web/token/regenerate',
    '{"identifierType":"EMAIL","identifierValue":"tom@example.com","brand":"STANDARDAPP","expiredToken":"<token>"}',
  ),
  '# USERNAME: the code goes to the contact demo-user (+919940000001)',
  post(
    '/auth/v1/token/generate',
    '{"identifierType":"USERNAME","identifierValue":"demo-user","deviceId":"32rtsdered","brand":"STANDARDAPP"}',
  ),
  '# Payload signing (brand SIGNEDAPP): hash = <unix seconds>.<hex HMAC-SHA256(secret, "<unix seconds>." + compact body)>',
  `BODY='{"identifierType":"MOBILE","identifierValue":"9940000000","deviceId":"32rtsdered","brand":"SIGNEDAPP"}'; TS=$(date +%s); MAC=$(printf '%s.%s' "$TS" "$BODY" | openssl dgst -sha256 -hmac '${DEMO_AUTH.payloadSigningSecret}' -hex | sed 's/^.* //'); curl -s -X POST ${BASE}/auth/v1/token/generate -H 'content-type: application/json' -d "\${BODY%\\}},\\"hash\\":\\"$TS.$MAC\\"}"`,
];
