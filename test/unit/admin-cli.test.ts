import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from '@jest/globals';
import { tenantConfigSchema } from '../../shared/tenant-config';
import { tenantSecretFields } from '../../shared/tenant-secrets';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const run = promisify(execFile);

/** Runs the admin CLI with no table configured; resolves with the exit code and output. */
const admin = async (...args: string[]) => adminWith({}, ...args);

/** Runs the admin CLI with extra environment variables. */
const adminWith = async (env: Record<string, string>, ...args: string[]) => {
  try {
    const { stdout, stderr } = await run(
      path.join(ROOT, 'node_modules', '.bin', 'tsx'),
      [path.join(ROOT, 'bin', 'admin.ts'), ...args],
      {
        cwd: ROOT,
        env: { PATH: process.env.PATH, ...env },
        timeout: 30_000,
      },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
};

describe('bin/admin', () => {
  it.each([['--help'], ['-h'], ['help'], []])(
    'prints every command and exits 0 for %p, without TABLE_NAME',
    async (...args) => {
      const out = await admin(...(args as string[]));
      expect(out.code).toBe(0);
      for (const command of [
        'tenant put',
        'tenant delete',
        'brand provision',
        'credential rotate',
        'contact put',
      ])
        expect(out.stdout).toContain(command);
      expect(out.stderr).not.toMatch(/\n\s+at /);
    },
  );

  it.each([
    [['tenant', '--help'], 'tenant rotate', 'credential create'],
    [['tenant', 'put', '--help'], 'refuses brands another tenant', 'tenant rotate'],
    [['brand'], 'BRAND#<BRAND>', 'tenant put --file'],
    [['credential', '-h'], 'credential rotate', 'tenant put'],
  ])('prints the help of %p only, exit 0, without TABLE_NAME', async (args, shown, notShown) => {
    const out = await admin(...args);
    expect(out.code).toBe(0);
    expect(out.stdout).toContain(shown);
    expect(out.stdout).not.toContain(notShown);
  });

  it('explains the SummitAI credential id format in the credential help', async () => {
    const out = await admin('credential', '--help');
    expect(out.stdout).toContain(
      '<OrgID>:<SHA-256 of the APIKey, base64url without padding (43 characters)>',
    );
    expect(out.stdout).toContain('<OrgID>:<UserName>');
    // The example id has the shape it describes.
    const example = /e\.g\. (1001:[A-Za-z0-9_-]+)\n/.exec(out.stdout)?.[1];
    expect(example).toMatch(/^1001:[A-Za-z0-9_-]{43}$/);
  });

  it('names an unknown option with the usage and exits 2, no stack trace', async () => {
    const out = await admin('--bogus');
    expect(out.code).toBe(2);
    expect(out.stderr).toContain("Unknown option '--bogus'");
    expect(out.stderr).not.toMatch(/\n\s+at /);
  });

  it('refuses `tenant put` of a tenant that allows IN without DLT ids, before writing anything', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'admin-')), 'tenant.json');
    writeFileSync(
      file,
      JSON.stringify({ tenantId: 'acme', name: 'Acme', policy: { allowedRegions: ['US', 'IN'] } }),
    );
    // Port 9 (discard) has no DynamoDB: the refusal must come before any table call.
    const out = await adminWith(
      { TABLE_NAME: 'otp-local', DYNAMODB_ENDPOINT: 'http://127.0.0.1:9' },
      'tenant',
      'put',
      '--file',
      file,
    );
    expect(out.code).toBe(1);
    expect(out.stderr).toContain('dlt.entityId and dlt.templateId');
    expect(out.stderr).not.toMatch(/ECONNREFUSED|\n\s+at /);
    expect(out.stdout).not.toContain('saved');
  });

  it('refuses `tenant put` of a test destination in another spelling or with a short code, naming both', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'admin-')), 'tenant.json');
    writeFileSync(
      file,
      JSON.stringify({
        tenantId: 'acme',
        name: 'Acme',
        policy: { allowedRegions: ['US'] },
        testDestinations: [{ to: '+1 500 555 0006', code: '1234' }],
      }),
    );
    const out = await adminWith(
      { TABLE_NAME: 'otp-local', DYNAMODB_ENDPOINT: 'http://127.0.0.1:9' },
      'tenant',
      'put',
      '--file',
      file,
    );
    expect(out.code).toBe(1);
    expect(out.stderr).toContain('testDestinations.0.to');
    expect(out.stderr).toContain('write it as +15005550006');
    expect(out.stderr).toContain('testDestinations.0.code');
    expect(out.stdout).not.toContain('saved');
  });

  it('names an unknown command and a missing TABLE_NAME with exit 2', async () => {
    expect(await admin('tenant', 'fly')).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('unknown command: tenant fly'),
    });
    expect(await admin('tenant', 'list')).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('set TABLE_NAME'),
    });
    const missing = await admin('tenant', 'show');
    expect(missing).toMatchObject({ code: 2, stderr: expect.stringContaining('--tenant is required') });
    expect(missing.stderr).toContain('Usage: npm run admin -- tenant show --tenant ID');
  });
});

describe('docs/tenant.example.json', () => {
  it('is a valid tenant with valid templates and a Capillary auth brand', () => {
    // The write-time rules of `tenant put` (templates, DLT ids, autofill segments).
    const record = tenantConfigSchema.parse(
      JSON.parse(readFileSync(path.join(ROOT, 'docs', 'tenant.example.json'), 'utf8')),
    );
    expect(Object.keys(record.brands)).toEqual(['ACMEAPP']);
    // No secret in a file meant to be copied: the JWT is checked against a JWKS URL.
    expect(tenantSecretFields(record)).toEqual([]);
  });
});

describe('bin/admin webhook', () => {
  const stackEnv = {
    OTP_EVENT_BUS_NAME: 'bus',
    WEBHOOK_ROLE_ARN: 'arn:aws:iam::123456789012:role/r',
    WEBHOOK_DEAD_LETTER_QUEUE_ARN: 'arn:aws:sqs:eu-west-1:123456789012:q',
    WEBHOOK_NAME_PREFIX: 'OtpService-wh-',
  };

  it.each([
    [['--url', 'http://hooks.acme.example/otp', '--auth', 'api-key'], '--url must be https://'],
    [['--url', 'https://169.254.169.254/x', '--auth', 'api-key'], '--url must be a public host'],
    [['--url', 'https://hooks.acme.example/otp', '--auth', 'oauth'], '--auth must be api-key or basic'],
    [
      ['--url', 'https://h.example/', '--auth', 'api-key', '--event-types', 'otp.sent,otp.bogus'],
      'unknown otp.bogus',
    ],
    [['--url', 'https://h.example/', '--auth', 'api-key', '--rate', '0'], '--rate must be'],
    [['--url', 'https://h.example/', '--auth', 'api-key', '--secret', 'short'], '--secret must be'],
  ])('refuses `webhook put %p` with exit 2 before touching AWS or the table', async (args, why) => {
    const out = await adminWith(stackEnv, 'webhook', 'put', '--tenant', 'acme', ...args);
    expect(out.code).toBe(2);
    expect(out.stderr).toContain(why);
    expect(out.stderr).not.toMatch(/\n\s+at /);
  });

  it('names the missing stack output', async () => {
    const out = await admin('webhook', 'list');
    expect(out).toMatchObject({ code: 2, stderr: expect.stringContaining('set OTP_EVENT_BUS_NAME') });
  });

  it('explains the payload and its authentication in `webhook --help`', async () => {
    const out = await admin('webhook', '--help');
    expect(out.code).toBe(0);
    for (const text of [
      'webhook put',
      'webhook delete',
      'x-otp-webhook-key',
      'detail.eventId',
      'WEBHOOK_ROLE_ARN',
    ])
      expect(out.stdout).toContain(text);
  });
});
