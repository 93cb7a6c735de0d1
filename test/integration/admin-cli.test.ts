import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { build } from 'esbuild';
import { createHandler } from '../../functions/capillary-auth';
import { BUNDLING } from '../../lib/constructs/dialect-function';
import { LOCAL_CONSTANTS } from '../../local/config';
import type { AppDeps } from '../../shared/app-deps';
import { sha256 } from '../../shared/crypto';
import { apiKeyCredentialId } from '../../shared/dialects/summitai/credentials';
import { TenantDirectory } from '../../shared/tenant-directory';
import { tenantSchema } from '../../shared/tenants';
import { apiEvent, invoke } from '../support/app-harness';
import { engineHarness, scanItems } from '../support/harness';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const EXAMPLE = path.join(ROOT, 'docs', 'tenant.example.json');
const run = promisify(execFile);
const work = mkdtempSync(path.join(tmpdir(), 'otp-admin-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/**
 * bin/admin.ts bundled once with the functions' esbuild settings: each run then starts a plain
 * `node` in about a tenth of tsx's time, and still runs the CLI's own code end to end.
 */
const CLI = path.join(work, 'admin.mjs');
beforeAll(async () => {
  await build({
    entryPoints: [path.join(ROOT, 'bin', 'admin.ts')],
    outfile: CLI,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    mainFields: ['module', 'main'],
    banner: { js: BUNDLING.banner ?? '' },
    logLevel: 'error',
  });
});

/** The CLI as an operator runs it, against DynamoDB Local (the CLI then uses the local sealing key). */
const cli = async (env: Record<string, string>, ...args: string[]) => {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...env },
      timeout: 30_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
};

/** A table of its own, the CLI bound to it, and the directory and auth-engine handler a function would use. */
const table = async () => {
  const h = await engineHarness();
  const tenants = new TenantDirectory(h.ddb, h.tableName, {
    tenantKey: async () => Buffer.from(LOCAL_CONSTANTS.tenantSealingKey),
    cacheSeconds: 0,
  });
  const deps: AppDeps = { ...h.deps, tenants, signingKey: async () => Buffer.from('k'.repeat(48)) };
  const handler = createHandler(deps);
  const env = { DYNAMODB_ENDPOINT: process.env.DYNAMODB_ENDPOINT as string, TABLE_NAME: h.tableName };
  return {
    ...h,
    tenants,
    admin: (...args: string[]) => cli(env, ...args),
    /** The seed 002 token/generate for a brand: 200, or 1519 "unknown brand". */
    tokenGenerate: (brand: string) =>
      invoke(
        handler,
        apiEvent('POST', '/auth/v1/token/generate', {
          body: { identifierType: 'MOBILE', identifierValue: '9940000000', deviceId: 'dev-1', brand },
        }),
      ),
  };
};

/** A table holding the example tenant, put by the CLI. */
const exampleTable = async () => {
  const t = await table();
  expect((await t.admin('tenant', 'put', '--file', EXAMPLE)).code).toBe(0);
  return t;
};

const file = (name: string, record: unknown) => {
  const p = path.join(work, name);
  writeFileSync(p, JSON.stringify(record));
  return p;
};
/** docs/tenant.example.json as written. */
const exampleJson = () => JSON.parse(readFileSync(EXAMPLE, 'utf8')) as Record<string, unknown>;
const NO_STACK = /\n\s+at /;

describe('bin/admin against DynamoDB Local', () => {
  describe('tenant put', () => {
    it('provisions the brands of the example tenant, so the auth engine serves them (1519 without)', async () => {
      // Before: the record alone (what `tenant put` wrote until now) leaves the brand unknown.
      const before = await table();
      await before.tenants.putTenant(tenantSchema.parse(exampleJson()));
      const unknown = await before.tokenGenerate('ACMEAPP');
      expect(unknown.body).toMatchObject({ status: { success: false, code: 1519 } });

      const t = await table();
      const out = await t.admin('tenant', 'put', '--file', EXAMPLE);
      expect(out).toMatchObject({ code: 0, stdout: expect.stringContaining('brands provisioned: ACMEAPP') });
      // Brands match case-insensitively, as Capillary's samples do.
      const served = await t.tokenGenerate('acmeapp');
      expect({ status: served.status, ok: (served.body.status as { success: boolean }).success }).toEqual({
        status: 200,
        ok: true,
      });
    });

    it('refuses a brand another tenant holds and writes nothing of the second tenant', async () => {
      const t = await table();
      expect((await t.admin('tenant', 'put', '--file', EXAMPLE)).code).toBe(0);
      const thief = file('thief.json', { ...exampleJson(), tenantId: 'thief', name: 'Thief' });
      const out = await t.admin('tenant', 'put', '--file', thief);
      expect(out.code).toBe(1);
      expect(out.stderr).toContain('brand ACMEAPP already belongs to tenant acme');
      expect(await t.tenants.get('thief')).toBeUndefined();
      expect((await t.tokenGenerate('ACMEAPP')).status).toBe(200);
    });

    it('releases the pointer of a brand the new record drops', async () => {
      const t = await table();
      await t.admin('tenant', 'put', '--file', EXAMPLE);
      const out = await t.admin(
        'tenant',
        'put',
        '--file',
        file('nobrand.json', { ...exampleJson(), brands: {} }),
      );
      expect(out).toMatchObject({ code: 0, stdout: expect.stringContaining('brands released: ACMEAPP') });
      expect((await t.tokenGenerate('ACMEAPP')).body).toMatchObject({ status: { code: 1519 } });
      expect((await t.admin('brand', 'list')).stdout).toContain('(none)');
    });

    it('lists every bad field of a tenant file by path, not as zod JSON, and writes nothing', async () => {
      const t = await table();
      const bad = file('bad.json', {
        tenantId: 'no spaces allowed',
        name: 'Bad',
        policy: { codeLength: 99, allowedRegions: ['India'] },
        templates: { REGISTRATION: { sms: 'no placeholder' } },
      });
      const out = await t.admin('tenant', 'put', '--file', bad);
      expect(out.code).toBe(1);
      expect(out.stderr).toContain(`${bad} is not a valid tenant:`);
      expect(out.stderr).toMatch(/^ {2}tenantId: /m);
      expect(out.stderr).toMatch(/^ {2}policy\.codeLength: /m);
      expect(out.stderr).toMatch(/^ {2}policy\.allowedRegions\.0: /m);
      expect(out.stderr).not.toContain('"code"');
      expect(out.stderr).not.toMatch(NO_STACK);
      expect(await scanItems(t.ddb, t.tableName)).toEqual([]);

      const templates = await t.admin(
        'tenant',
        'put',
        '--file',
        file('template.json', { ...exampleJson(), templates: { REGISTRATION: { sms: 'no placeholder' } } }),
      );
      expect(templates.stderr).toMatch(
        /^ {2}templates\.REGISTRATION\.sms: .*exactly one \{\{ validation_code \}\}/m,
      );
      const notJson = await t.admin('tenant', 'put', '--file', file('broken.json', '{'));
      expect(notJson.stderr).toMatch(/is not a valid tenant|is not JSON/);
    });
  });

  it('names the endpoint it cannot reach', async () => {
    const out = await cli(
      { DYNAMODB_ENDPOINT: 'http://127.0.0.1:9', TABLE_NAME: 'otp-local' },
      'tenant',
      'list',
    );
    expect(out.code).toBe(1);
    expect(out.stderr).toContain('cannot reach DynamoDB at http://127.0.0.1:9');
    expect(out.stderr).not.toMatch(NO_STACK);
  });

  it('names the table it cannot find', async () => {
    const out = await cli(
      { DYNAMODB_ENDPOINT: process.env.DYNAMODB_ENDPOINT as string, TABLE_NAME: 'no-such-table' },
      'tenant',
      'list',
    );
    expect(out).toMatchObject({ code: 1, stderr: expect.stringContaining('table no-such-table not found') });
  });

  describe('tenant list, show, rotate, migrate and delete', () => {
    let t: Awaited<ReturnType<typeof table>>;
    beforeAll(async () => {
      t = await exampleTable();
    });

    it('lists tenants with their brands and issuer', async () => {
      const out = await t.admin('tenant', 'list');
      expect(out.stdout).toMatch(/^acme\s+ACME Corp\s+ACMEAPP\s+https:\/\/login\.acme\.example\/$/m);
    });

    it('rotates a brand payload-signing secret: printed once, sealed in the table, *** in show', async () => {
      const out = await t.admin(
        'tenant',
        'rotate',
        '--tenant',
        'acme',
        '--field',
        'brands.ACMEAPP.payloadSigningSecret',
      );
      expect(out.code).toBe(0);
      const { secret } = JSON.parse(out.stdout) as { secret: string };
      expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect((await t.tenants.get('acme'))?.brands.ACMEAPP?.payloadSigningSecret).toBe(secret);
      expect(JSON.stringify(await scanItems(t.ddb, t.tableName))).not.toContain(secret);
      // The brand now signs: an unsigned request is refused.
      expect((await t.tokenGenerate('ACMEAPP')).status).not.toBe(200);
      const again = await t.admin(
        'tenant',
        'rotate',
        '--tenant',
        'acme',
        '--field',
        'brands.ACMEAPP.payloadSigningSecret',
      );
      const next = (JSON.parse(again.stdout) as { secret: string }).secret;
      expect(next).not.toBe(secret);
      expect((await t.tenants.get('acme'))?.brands.ACMEAPP?.payloadSigningSecret).toBe(next);

      const show = await t.admin('tenant', 'show', '--tenant', 'acme');
      expect(JSON.parse(show.stdout).brands.ACMEAPP.payloadSigningSecret).toBe('***');
      const wrong = await t.admin(
        'tenant',
        'rotate',
        '--tenant',
        'acme',
        '--field',
        'channels.zalo.accessToken',
      );
      expect(wrong).toMatchObject({
        code: 1,
        stderr: expect.stringContaining('brands.ACMEAPP.payloadSigningSecret'),
      });
    });

    it('migrates a record (a no-op rewrite here) and prints its regions', async () => {
      const out = await t.admin('tenant', 'migrate', '--tenant', 'acme');
      expect(JSON.parse(out.stdout)).toMatchObject({ tenantId: 'acme', allowedRegions: ['IN', 'SG'] });
    });

    it('shows brands and writes missing pointers with brand provision', async () => {
      expect(JSON.parse((await t.admin('brand', 'show', '--brand', 'acmeapp')).stdout)).toEqual({
        brand: 'ACMEAPP',
        tenantId: 'acme',
        listed: true,
      });
      const provision = await t.admin('brand', 'provision', '--tenant', 'acme');
      expect(provision.stdout).toContain('brands provisioned for acme: ACMEAPP');
      expect((await t.admin('brand', 'show', '--brand', 'NOPE')).stderr).toContain('no brand NOPE');
    });

    it('saves and shows a contact', async () => {
      await t.admin('contact', 'put', '--tenant', 'acme', '--user', 'ana', '--phone', '9955882233');
      const out = await t.admin('contact', 'show', '--tenant', 'acme', '--user', 'ana');
      expect(JSON.parse(out.stdout)).toEqual({ userId: 'ana', phone: '+919955882233' });
    });

    it('deletes the tenant only with --yes, and then everything that names it', async () => {
      await t.admin('credential', 'create', '--tenant', 'acme', '--kind', 'v2-basic', '--id', 'acme-client');
      const refused = await t.admin('tenant', 'delete', '--tenant', 'acme');
      expect(refused).toMatchObject({ code: 2, stderr: expect.stringContaining('add --yes') });
      expect(await t.tenants.get('acme')).toBeDefined();

      const out = await t.admin('tenant', 'delete', '--tenant', 'acme', '--yes');
      expect(JSON.parse(out.stdout).deleted).toMatchObject({
        credentials: 2,
        contacts: 1,
        brands: ['ACMEAPP'],
      });
      const left = await scanItems(t.ddb, t.tableName);
      expect(left.filter((i) => String(i.pk).startsWith('T#acme') || i.tenantId === 'acme')).toEqual([]);
      expect((await t.tokenGenerate('ACMEAPP')).body).toMatchObject({ status: { code: 1519 } });
      expect((await t.admin('tenant', 'delete', '--tenant', 'acme', '--yes')).stderr).toContain(
        'no tenant acme',
      );
    });
  });

  describe('credentials', () => {
    let t: Awaited<ReturnType<typeof table>>;
    beforeAll(async () => {
      t = await exampleTable();
    });

    it('creates, lists, rotates (old secret refused) and deletes a v2 Basic credential', async () => {
      const created = JSON.parse(
        (await t.admin('credential', 'create', '--tenant', 'acme', '--kind', 'v2-basic', '--id', 'acme-web'))
          .stdout,
      ) as { secret: string };
      expect((await t.tenants.authenticate('v2-basic', 'acme-web', created.secret))?.tenantId).toBe('acme');

      const list = await t.admin('credential', 'list', '--tenant', 'acme');
      expect(list.stdout).toMatch(/^acme\s+v2-basic\s+acme-web$/m);
      expect(list.stdout).not.toContain(created.secret);

      const rotated = JSON.parse(
        (await t.admin('credential', 'rotate', '--kind', 'v2-basic', '--id', 'acme-web')).stdout,
      ) as {
        id: string;
        secret: string;
      };
      expect(rotated.id).toBe('acme-web');
      expect(rotated.secret).not.toBe(created.secret);
      expect(await t.tenants.authenticate('v2-basic', 'acme-web', created.secret)).toBeUndefined();
      expect((await t.tenants.authenticate('v2-basic', 'acme-web', rotated.secret))?.tenantId).toBe('acme');

      const deleted = await t.admin('credential', 'delete', '--kind', 'v2-basic', '--id', 'acme-web');
      expect(deleted.stdout).toContain('v2-basic credential acme-web of tenant acme deleted');
      expect(await t.tenants.authenticate('v2-basic', 'acme-web', rotated.secret)).toBeUndefined();
      const again = await t.admin('credential', 'delete', '--kind', 'v2-basic', '--id', 'acme-web');
      expect(again).toMatchObject({
        code: 1,
        stderr: expect.stringContaining('no v2-basic credential acme-web'),
      });
    });

    it('rotates a SummitAI APIKey to a new computed id and deletes the old id', async () => {
      const created = JSON.parse(
        (
          await t.admin(
            'credential',
            'create',
            '--tenant',
            'acme',
            '--kind',
            'summitai-apikey',
            '--org',
            '1001',
          )
        ).stdout,
      ) as { id: string; secret: string };
      expect(created.id).toBe(apiKeyCredentialId('1001', created.secret));
      const rotated = JSON.parse(
        (await t.admin('credential', 'rotate', '--kind', 'summitai-apikey', '--id', created.id)).stdout,
      ) as { id: string; secret: string; previousId: string };
      expect(rotated).toMatchObject({
        id: apiKeyCredentialId('1001', rotated.secret),
        previousId: created.id,
      });
      expect(await t.tenants.authenticate('summitai-apikey', created.id, created.secret)).toBeUndefined();
      expect((await t.tenants.authenticate('summitai-apikey', rotated.id, rotated.secret))?.tenantId).toBe(
        'acme',
      );
      const list = (await t.admin('credential', 'list')).stdout;
      expect(list).toContain(rotated.id);
      expect(list).not.toContain(created.id);
    });

    it('rotates a SummitAI FORM password by org and user', async () => {
      await t.admin(
        'credential',
        'create',
        '--tenant',
        'acme',
        '--kind',
        'summitai-form',
        '--org',
        '1001',
        '--user',
        'ops-bot',
      );
      const rotated = JSON.parse(
        (
          await t.admin(
            'credential',
            'rotate',
            '--kind',
            'summitai-form',
            '--org',
            '1001',
            '--user',
            'ops-bot',
          )
        ).stdout,
      ) as { id: string; secret: string };
      expect(rotated.id).toBe('1001:ops-bot');
      expect((await t.tenants.authenticate('summitai-form', '1001:ops-bot', rotated.secret))?.tenantId).toBe(
        'acme',
      );
    });

    it('lists a credential of an old shared kind as such, and migrate rewrites it', async () => {
      const secret = 'legacy-secret-0123456789abcdefghijklmn';
      await t.ddb.send(
        new PutItemCommand({
          TableName: t.tableName,
          Item: marshall({
            pk: 'CRED#basic#old-client',
            sk: 'CRED',
            tenantId: 'acme',
            secretHash: sha256(secret),
          }),
        }),
      );
      expect((await t.admin('credential', 'list')).stdout).toMatch(
        /^acme\s+basic \(run credential migrate\)\s+old-client$/m,
      );
      const out = await t.admin('credential', 'migrate');
      expect(out.stdout).toContain('1 credential(s) migrated');
      expect((await t.admin('credential', 'list')).stdout).toMatch(/^acme\s+v2-basic\s+old-client$/m);
      expect((await t.tenants.authenticate('v2-basic', 'old-client', secret))?.tenantId).toBe('acme');
    });

    it('refuses a weak --secret on rotate with the usage, exit 2', async () => {
      await t.admin(
        'credential',
        'create',
        '--tenant',
        'acme',
        '--kind',
        'loginradius-apikey',
        '--id',
        'lr-key',
      );
      const out = await t.admin(
        'credential',
        'rotate',
        '--kind',
        'loginradius-apikey',
        '--id',
        'lr-key',
        '--secret',
        '1234',
      );
      expect(out.code).toBe(2);
      expect(out.stderr).toContain('--secret refused');
      expect(out.stderr).toContain('Usage: npm run admin -- credential rotate');
    });
  });
});
