import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from '@jest/globals';

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
  it.each([['--help'], ['-h'], ['tenant', '--help'], []])(
    'prints its usage and exits 0 for %p, without TABLE_NAME',
    async (...args) => {
      const out = await admin(...(args as string[]));
      expect(out.code).toBe(0);
      expect(out.stdout).toContain('credential create');
      expect(out.stderr).not.toMatch(/\n\s+at /);
    },
  );

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
});
