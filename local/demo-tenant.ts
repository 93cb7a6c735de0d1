import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DIALECTS, type DialectId } from '../shared/routes';
import { tenantConfigSchema } from '../shared/tenant-config';
import type { TenantDirectory } from '../shared/tenant-directory';
import { type CredentialKind, type Tenant, tenantSchema } from '../shared/tenants';

/**
 * The demo tenant `npm start` and the end-to-end tests create. Every secret here is LOCAL-ONLY:
 * it is printed at start and committed to the repository.
 *
 * To extend it: add to DEMO_CREDENTIALS, DEMO_CONTACTS or the record in `demoTenant`, or give a
 * dialect its own `local/demo/<dialect>.ts` (see DialectDemo), which `seedDemoTenant` picks up.
 */
export const DEMO = {
  tenantId: 'demo',
  name: 'Demo tenant (local only)',
  /** Seed 004 HTTP Basic client id and secret. */
  basic: { clientId: 'demo-client', secret: 'demo-secret-local-only-0123456789' },
  /**
   * Test destinations (README "Test destinations"): the fixed code, never sent. +1 500 555 0006 is
   * Twilio's magic test number, a US "personal number" no channel may reach, which is fine: a test
   * destination is matched before the number policy.
   */
  test: { phone: '+15005550006', email: 'test@example.com', code: '123456' },
} as const;

/** One credential of the demo tenant: `kind` and `id` select it, `secret` is stored hashed. */
export interface DemoCredential {
  kind: CredentialKind;
  id: string;
  secret: string;
}

/** Every credential seeded for the demo tenant. */
export const DEMO_CREDENTIALS: DemoCredential[] = [
  { kind: 'v2-basic', id: DEMO.basic.clientId, secret: DEMO.basic.secret },
];

/** Users of the demo tenant, for dialects that name a user instead of a destination. */
export const DEMO_CONTACTS: Array<{ userId: string; phone?: string; email?: string }> = [];

/**
 * The demo tenant record. It keeps the default number policy (US, CA, GB, SG, VN, IN; never
 * premium-rate or toll-free), so the pumping defence can be tried locally, and voice, WhatsApp
 * and Zalo carry dummy settings so those channels count as configured and land in the outbox.
 */
export const demoTenant = (): Tenant =>
  // The write-time rules, as `admin tenant put` applies them: the demo is a valid configuration.
  tenantConfigSchema.parse({
    tenantId: DEMO.tenantId,
    name: DEMO.name,
    policy: {
      // The seed 004 examples send SMS to +91 1234567896, a fixed-line number: the demo tenant
      // lets SMS and WhatsApp reach fixed lines so they work as written. Real tenants keep the
      // default (mobile numbers only; never premium-rate or toll-free, whatever is set here).
      numberTypes: {
        SMS: ['MOBILE', 'FIXED_LINE_OR_MOBILE', 'FIXED_LINE'],
        WHATSAPP: ['MOBILE', 'FIXED_LINE_OR_MOBILE', 'FIXED_LINE'],
      },
    },
    channels: {
      voice: { originationIdentity: '+15550100000' },
      whatsapp: { phoneNumberId: 'phone-number-id-10ca10ca10ca10ca10ca10ca10ca10ca', languageCode: 'en' },
      zalo: { url: 'https://zalo.invalid/local-sink', accessToken: 'local-zalo-access-token' },
    },
    // Vietnamese numbers get the Vietnamese texts; everyone else the default (English).
    locales: { byRegion: { VN: 'vi' } },
    // Every SMS ends with the autofill lines: Google's example app hash, and the origin-bound
    // line for example.com (a real tenant names its own site).
    smsAutofill: { domain: 'example.com', appHash: 'FA+9qCX9VSu' },
    // DEMO DLT ids, not registered with TRAI: the demo allows IN, and a tenant that allows IN
    // must have them (shared/tenant-config.ts). SMS to India carry them in the SNS publish.
    dlt: { entityId: '1001000000000000001', templateId: '1007000000000000001' },
    testDestinations: [
      { to: DEMO.test.phone, code: DEMO.test.code },
      { to: DEMO.test.email, code: DEMO.test.code },
    ],
  });

/** What a dialect's `local/demo/<dialect>.ts` exports; every part is optional. */
export interface DialectDemo {
  /** Merged into the demo tenant record (object fields such as `brands` one level deep). */
  demoTenantPatch?: Partial<Tenant>;
  /** Writes the dialect's credentials, contacts or pointers for `tenantId`. */
  seedDemo?: (tenants: TenantDirectory, tenantId: string) => Promise<void>;
  /** Copy-paste commands printed at start (written against http://localhost:3000). */
  demoCurl?: string[];
}

/**
 * The demo module of every dialect that has one, in DIALECTS order. Missing files are skipped,
 * like missing dialect functions, so the demo grows as dialects land.
 */
export const loadDialectDemos = async (): Promise<Array<{ dialect: DialectId; demo: DialectDemo }>> => {
  const demos: Array<{ dialect: DialectId; demo: DialectDemo }> = [];
  for (const dialect of Object.keys(DIALECTS) as DialectId[]) {
    if (!existsSync(fileURLToPath(new URL(`./demo/${dialect}.ts`, import.meta.url)))) continue;
    demos.push({ dialect, demo: (await import(`./demo/${dialect}.ts`)) as DialectDemo });
  }
  return demos;
};

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Applies patches in order; object-valued fields merge so two dialects can each add a brand. */
const applyPatches = (tenant: Tenant, patches: Array<Partial<Tenant>>): Tenant => {
  const merged: Record<string, unknown> = { ...tenant };
  for (const patch of patches) {
    for (const [key, value] of Object.entries(patch)) {
      const current = merged[key];
      merged[key] = isPlainObject(current) && isPlainObject(value) ? { ...current, ...value } : value;
    }
  }
  return tenantSchema.parse(merged);
};

/**
 * Writes the demo tenant (with every dialect's patch), its credentials and contacts, and runs
 * every dialect's own demo seed. Idempotent: every write is a put that replaces.
 */
export const seedDemoTenant = async (tenants: TenantDirectory): Promise<Tenant> => {
  const demos = await loadDialectDemos();
  const tenant = applyPatches(
    demoTenant(),
    demos.map(({ demo }) => demo.demoTenantPatch ?? {}),
  );
  await tenants.putTenant(tenant);
  for (const c of DEMO_CREDENTIALS) await tenants.putCredential(c.kind, c.id, tenant.tenantId, c.secret);
  for (const contact of DEMO_CONTACTS) await tenants.putContact(tenant.tenantId, contact);
  for (const { demo } of demos) await demo.seedDemo?.(tenants, tenant.tenantId);
  return tenant;
};
