import type { TenantDirectory } from '../../shared/tenant-directory';
import type { Tenant } from '../../shared/tenants';

/** LOCAL-ONLY demo credentials for the LoginRadius dialect (printed at start, committed here). */
export const LOGINRADIUS_DEMO = {
  apikey: 'demo-lr-apikey',
  apisecret: 'demo-lr-apisecret-local-only-0123456789',
} as const;

/** The LoginRadius dialect needs nothing beyond the base demo tenant. */
export const demoTenantPatch: Partial<Tenant> = {};

/** Writes the demo tenant's `loginradius-apikey` credential (key and secret; the secret is stored hashed, plus a sealed copy for request signing). */
export const seedDemo = async (tenants: TenantDirectory, tenantId: string): Promise<void> => {
  await tenants.putCredential(
    'loginradius-apikey',
    LOGINRADIUS_DEMO.apikey,
    tenantId,
    LOGINRADIUS_DEMO.apisecret,
  );
};

const base = 'http://localhost:3000/identity/v2/manage/account/smsotp';
// The documented form: the key in the query, the secret in a header (never in a URL).
const auth = `apiKey=${LOGINRADIUS_DEMO.apikey}`;
const json = `-H 'X-LoginRadius-apiSecret: ${LOGINRADIUS_DEMO.apisecret}' -H 'content-type: application/json'`;

/** One command per endpoint and body style; the code to verify is in the outbox (`/_local/outbox`). */
export const demoCurl: string[] = [
  // Seed 000's "Add phone" example body, with a number in place of the seed's placeholder.
  `curl -s -X POST '${base}/addphone?${auth}' ${json} -d '{"Phone": "+919876543210", "Uid": "demo-uid-1"}'`,
  `curl -s -X POST '${base}/forgotpassword?${auth}' ${json} -d '{"Phone": "+919876543210"}'`,
  `curl -s -X POST '${base}/passwordlesslogin?${auth}' -H 'X-LoginRadius-apiSecret: ${LOGINRADIUS_DEMO.apisecret}' -H 'content-type: application/x-www-form-urlencoded' --data-urlencode 'phone=+919876543210'`,
  `curl -s -X PUT '${base}/forgotpassword/verify?${auth}' ${json} -d '{"Phone": "+919876543210", "Otp": "<code from /_local/outbox>"}'`,
];
