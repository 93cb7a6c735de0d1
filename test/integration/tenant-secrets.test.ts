import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SignJWT } from 'jose';
import { PROJECT_ROOT } from '../../lib/constructs/dialect-function';
import { APP_OTP_DEMO, demoUserToken } from '../../local/demo/app-otp';
import { DEMO_AUTH } from '../../local/demo/capillary-auth';
import { DEMO } from '../../local/demo-tenant';
import { TENANT_SK, tenantPk } from '../../shared/store/keys';
import { TenantDirectory } from '../../shared/tenant-directory';
import { SEALED_PREFIX, TenantSecretError, tenantSecretFields } from '../../shared/tenant-secrets';
import type { Tenant } from '../../shared/tenants';
import {
  freshTable,
  localDynamo,
  PEPPER,
  readItem,
  scanItems,
  TENANT_KEY,
  testDirectoryOptions,
  testTenant,
} from '../support/harness';
import {
  callDialect,
  rawEvent,
  runRaw,
  type SecurityHarness,
  securityHarness,
  signedSeed,
} from '../support/security';

/**
 * DESIGN §4: tenant secrets are stored sealed, never in clear. A tenant with all three kinds of
 * secret (JWT HS256 secret, a brand's payload-signing secret, the Zalo provider token) is put,
 * the table is scanned, and the dialects that use each secret still authenticate with it.
 */

const SECRETS = {
  hs256: 'hs256-secret-in-clear-must-not-be-stored-0123456789',
  payload: 'payload-signing-secret-in-clear-0123456789',
  zalo: 'zalo-access-token-in-clear-0123456789',
};

/** A tenant carrying all three secrets (two brands, so a field can be moved between them). */
const tenantWithSecrets = (tenantId?: string): Tenant =>
  testTenant({
    ...(tenantId ? { tenantId } : {}),
    jwt: {
      issuer: `https://idp.${tenantId ?? 'x'}.example`,
      hs256Secret: SECRETS.hs256,
      maxTokenAgeSeconds: 3600,
    },
    brands: {
      SIGNED: { payloadSigningSecret: SECRETS.payload },
      OTHER: { payloadSigningSecret: SECRETS.payload },
    },
    channels: { zalo: { url: 'https://zalo.invalid/send', accessToken: SECRETS.zalo } },
  });

const ddb = localDynamo();
let tableName: string;
/** No cache: every get reads and opens the stored record, as a cold container does. */
let tenants: TenantDirectory;

/** The tenant item's record as stored (parsed JSON, secrets as they are in the table). */
const storedRecord = async (tenantId: string): Promise<Tenant> => {
  const item = await readItem(ddb, tableName, { pk: tenantPk(tenantId), sk: TENANT_SK });
  return JSON.parse(String(item?.record)) as Tenant;
};

/** Writes a tenant record as given, bypassing TenantDirectory (records written before sealing, tampering). */
const writeRecord = async (record: Tenant) => {
  await ddb.send(
    new PutItemCommand({
      TableName: tableName,
      Item: marshall({ pk: tenantPk(record.tenantId), sk: TENANT_SK, record: JSON.stringify(record) }),
    }),
  );
};

beforeAll(async () => {
  tableName = await freshTable(ddb);
  tenants = new TenantDirectory(ddb, tableName, testDirectoryOptions(0));
});
afterAll(() => ddb.destroy());

describe('tenant-directory', () => {
  describe('putTenant', () => {
    it('stores hs256Secret, payloadSigningSecret and the Zalo accessToken sealed: a table scan finds none in clear', async () => {
      const tenant = tenantWithSecrets();
      await tenants.putTenant(tenant);
      const table = (await scanItems(ddb, tableName)).map((i) => JSON.stringify(i));
      expect(table.some((t) => t.includes(tenant.tenantId))).toBe(true);
      for (const secret of Object.values(SECRETS)) {
        expect({ secret, hit: table.find((t) => t.includes(secret)) }).toEqual({ secret, hit: undefined });
      }
      // Each secret field is there, sealed (four fields: two brands).
      const stored = tenantSecretFields(await storedRecord(tenant.tenantId));
      expect(stored.map((f) => f.path.join('.')).sort()).toEqual([
        'brands.OTHER.payloadSigningSecret',
        'brands.SIGNED.payloadSigningSecret',
        'channels.zalo.accessToken',
        'jwt.hs256Secret',
      ]);
      for (const field of stored) expect(field.value.startsWith(SEALED_PREFIX)).toBe(true);
    });

    it('seals each field under a fresh IV: equal secrets are stored differently', async () => {
      const tenant = tenantWithSecrets();
      await tenants.putTenant(tenant);
      const stored = await storedRecord(tenant.tenantId);
      expect(stored.brands.SIGNED?.payloadSigningSecret).not.toBe(stored.brands.OTHER?.payloadSigningSecret);
    });

    it('refuses a clear secret that starts with the sealed prefix (it would be read as ciphertext)', async () => {
      const tenant = testTenant({
        channels: { zalo: { url: 'https://zalo.invalid/send', accessToken: `${SEALED_PREFIX}abc` } },
      });
      await expect(tenants.putTenant(tenant)).rejects.toThrow('channels.zalo.accessToken');
      expect(await tenants.get(tenant.tenantId)).toBeUndefined();
    });
  });

  describe('get', () => {
    it('opens the sealed secrets to the values put', async () => {
      const tenant = tenantWithSecrets();
      await tenants.putTenant(tenant);
      expect(await tenants.get(tenant.tenantId)).toEqual(tenant);
    });

    it('refuses a sealed value copied to another tenant', async () => {
      const a = tenantWithSecrets();
      const b = tenantWithSecrets();
      await tenants.putTenant(a);
      await tenants.putTenant(b);
      const stolen = await storedRecord(a.tenantId);
      const target = await storedRecord(b.tenantId);
      await writeRecord({ ...target, jwt: stolen.jwt });
      const error = await tenants.get(b.tenantId).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TenantSecretError);
      expect(String(error)).toContain(`tenant ${b.tenantId}: jwt.hs256Secret does not open`);
      // The error names the field, never a value.
      expect(String(error)).not.toContain(SECRETS.hs256);
      // The tenant it came from still opens.
      expect((await tenants.get(a.tenantId))?.jwt?.hs256Secret).toBe(SECRETS.hs256);
    });

    it('refuses a sealed value moved to another field or brand of the same tenant', async () => {
      const tenant = tenantWithSecrets();
      await tenants.putTenant(tenant);
      const stored = await storedRecord(tenant.tenantId);
      const other = stored.brands.OTHER as { payloadSigningSecret: string };
      await writeRecord({ ...stored, brands: { ...stored.brands, SIGNED: other } });
      await expect(tenants.get(tenant.tenantId)).rejects.toThrow('brands.SIGNED.payloadSigningSecret');
      await writeRecord({
        ...stored,
        channels: { zalo: { url: 'https://zalo.invalid/send', accessToken: other.payloadSigningSecret } },
      });
      await expect(tenants.get(tenant.tenantId)).rejects.toThrow('channels.zalo.accessToken');
    });

    it('opens nothing under another key: the pepper is not the sealing key', async () => {
      const tenant = tenantWithSecrets();
      await tenants.putTenant(tenant);
      const withPepper = new TenantDirectory(ddb, tableName, {
        tenantKey: async () => PEPPER,
        cacheSeconds: 0,
      });
      await expect(withPepper.get(tenant.tenantId)).rejects.toThrow(TenantSecretError);
    });

    it('reads a record written before sealing (secrets in clear), and the next write seals it', async () => {
      const legacy = tenantWithSecrets();
      await writeRecord(legacy);
      expect(await tenants.get(legacy.tenantId)).toEqual(legacy);
      // What `tenant migrate` does: read, then write.
      await tenants.putTenant((await tenants.get(legacy.tenantId)) as Tenant);
      const item = JSON.stringify(
        await readItem(ddb, tableName, { pk: tenantPk(legacy.tenantId), sk: TENANT_SK }),
      );
      for (const secret of Object.values(SECRETS)) expect(item).not.toContain(secret);
      expect(await tenants.get(legacy.tenantId)).toEqual(legacy);
    });

    it('asks for no key to read or write a tenant without secrets', async () => {
      const noKey = new TenantDirectory(ddb, tableName, {
        tenantKey: () => Promise.reject(new Error('the key was asked for')),
        cacheSeconds: 0,
      });
      const plain = testTenant();
      await noKey.putTenant(plain);
      expect(await noKey.get(plain.tenantId)).toEqual(plain);
      await tenants.putTenant(tenantWithSecrets(`keyed-${plain.tenantId}`));
      await expect(noKey.get(`keyed-${plain.tenantId}`)).rejects.toThrow('the key was asked for');
    });
  });
});

describe('dialects with sealed tenant secrets', () => {
  let h: SecurityHarness;

  beforeAll(async () => {
    // No tenant cache: every request reads the demo tenant from the table and opens its secrets.
    h = await securityHarness({ tenantCacheSeconds: 0 });
    const stored = JSON.parse(
      String((await readItem(h.ddb, h.tableName, { pk: tenantPk(DEMO.tenantId), sk: TENANT_SK }))?.record),
    ) as Tenant;
    expect(stored.jwt?.hs256Secret?.startsWith(SEALED_PREFIX)).toBe(true);
    expect(stored.brands[DEMO_AUTH.signedBrand]?.payloadSigningSecret?.startsWith(SEALED_PREFIX)).toBe(true);
    expect(stored.channels.zalo?.accessToken.startsWith(SEALED_PREFIX)).toBe(true);
  });
  afterAll(() => h.ddb.destroy());

  /** An app-otp register; each test uses its own phone (a second register within 30 s is a 429). */
  const register = (token: string, phone = '9876543211') =>
    runRaw(
      h.handlers['app-otp'],
      rawEvent({
        method: 'POST',
        path: '/fe/users/auth/otp/register',
        body: JSON.stringify({ phone_number: phone, countryCode: '+91' }),
        headers: { 'content-type': 'application/json', 'user-jwt-token': token },
      }),
    );

  it('app-otp accepts a user JWT signed with the sealed HS256 secret, and refuses another key', async () => {
    expect((await register(demoUserToken(h.clock.now()))).result?.statusCode).toBe(200);
    const forged = await new SignJWT({ sub: 'demo-user-1' })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(APP_OTP_DEMO.issuer)
      .setAudience(APP_OTP_DEMO.audience)
      .setIssuedAt(Math.floor(h.clock.now() / 1000))
      .setExpirationTime(Math.floor(h.clock.now() / 1000) + 600)
      .sign(new TextEncoder().encode(SECRETS.hs256));
    expect((await register(forged)).result?.statusCode).toBe(401);
  });

  it('capillary-auth checks the payload hash with the sealed payload-signing secret', async () => {
    const body = {
      identifierType: 'MOBILE',
      identifierValue: '9812345600',
      deviceId: 'sealed-secrets',
      brand: DEMO_AUTH.signedBrand,
    };
    const signed = await callDialect(
      h,
      'capillary-auth',
      'POST',
      '/auth/v1/token/generate',
      signedSeed(body, h.clock.now()),
    );
    expect(signed.status).toBe(200);
    const wrongKey = { ...body, hash: `${Math.floor(h.clock.now() / 1000)}.${'0'.repeat(64)}` };
    const refused = await callDialect(h, 'capillary-auth', 'POST', '/auth/v1/token/generate', wrongKey);
    expect(refused.body).toMatchObject({ status: { success: false, code: 5004 } });
  });

  it('capillary-v2 hands the Zalo sender the opened access token', async () => {
    const answer = await callDialect(h, 'capillary-v2', 'POST', '/v2/otp/generate', {
      entityType: 'MOBILE',
      entityValue: '84912345678',
      action: 'REGISTRATION',
      zaloTemplateIdentifier: '231456',
      channels: [{ type: 'ZALO', value: '84912345678' }],
    });
    expect(answer.status).toBe(200);
    const zalo = h.sent.find((m) => m.channel === 'ZALO');
    expect(zalo?.settings.zalo?.accessToken).toBe(h.tenant.channels.zalo?.accessToken);
    expect(zalo?.settings.zalo?.accessToken.startsWith(SEALED_PREFIX)).toBe(false);
  });

  it('answers a masked 500, never a success, when a sealed secret does not open', async () => {
    const key = { pk: tenantPk(DEMO.tenantId), sk: TENANT_SK };
    const original = (await readItem(h.ddb, h.tableName, key)) as Record<string, unknown>;
    const stored = JSON.parse(String(original.record)) as Tenant;
    // The Zalo token's ciphertext where the HS256 secret belongs: bound to another field.
    const moved = { ...stored, jwt: { ...stored.jwt, hs256Secret: stored.channels.zalo?.accessToken } };
    const put = (item: Record<string, unknown>) =>
      h.ddb.send(new PutItemCommand({ TableName: h.tableName, Item: marshall(item) }));
    await put({ ...original, record: JSON.stringify(moved) });
    try {
      const { result } = await register(demoUserToken(h.clock.now()), '9876543212');
      expect(result?.statusCode).toBe(500);
      expect(result?.body).not.toContain('hs256Secret');
      expect(result?.body).not.toContain('does not open');
    } finally {
      await put(original);
    }
    expect((await register(demoUserToken(h.clock.now()), '9876543212')).result?.statusCode).toBe(200);
  });

  it('leaves none of the three secrets in clear in the table after the flows', async () => {
    const secrets = [
      h.tenant.jwt?.hs256Secret,
      h.tenant.brands[DEMO_AUTH.signedBrand]?.payloadSigningSecret,
      h.tenant.channels.zalo?.accessToken,
    ] as string[];
    expect(secrets.every((s) => typeof s === 'string' && s.length > 0)).toBe(true);
    const table = (await scanItems(h.ddb, h.tableName)).map((i) => JSON.stringify(i));
    for (const secret of secrets) expect(table.find((t) => t.includes(secret))).toBeUndefined();
  });
});

describe('admin CLI', () => {
  const run = promisify(execFile);
  const admin = (...args: string[]) =>
    run(
      path.join(PROJECT_ROOT, 'node_modules', '.bin', 'tsx'),
      [path.join(PROJECT_ROOT, 'bin', 'admin.ts'), ...args],
      {
        cwd: PROJECT_ROOT,
        env: {
          PATH: process.env.PATH,
          DYNAMODB_ENDPOINT: process.env.DYNAMODB_ENDPOINT,
          TABLE_NAME: tableName,
          TENANT_SEALING_KEY: TENANT_KEY.toString(),
        },
        timeout: 30_000,
      },
    );

  it('tenant show prints *** for every secret field', async () => {
    const tenant = tenantWithSecrets();
    await tenants.putTenant(tenant);
    const { stdout } = await admin('tenant', 'show', '--tenant', tenant.tenantId);
    for (const secret of Object.values(SECRETS)) expect(stdout).not.toContain(secret);
    // Not parsed by the schema: '***' is shorter than any secret may be.
    const shown = JSON.parse(stdout) as Tenant;
    expect(tenantSecretFields(shown).map((f) => f.value)).toEqual(['***', '***', '***', '***']);
    expect(shown.name).toBe(tenant.name);
  });

  it('tenant migrate seals a record written before sealing', async () => {
    const legacy = tenantWithSecrets();
    await writeRecord(legacy);
    const { stdout } = await admin('tenant', 'migrate', '--tenant', legacy.tenantId);
    expect(JSON.parse(stdout)).toMatchObject({ tenantId: legacy.tenantId, sealedSecrets: expect.any(Array) });
    for (const field of tenantSecretFields(await storedRecord(legacy.tenantId)))
      expect(field.value.startsWith(SEALED_PREFIX)).toBe(true);
    expect(await tenants.get(legacy.tenantId)).toEqual(legacy);
  });
});
