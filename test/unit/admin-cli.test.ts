import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from '@jest/globals';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const run = promisify(execFile);

/** Runs the admin CLI with no table configured; resolves with the exit code and output. */
const admin = async (...args: string[]) => {
  try {
    const { stdout, stderr } = await run(
      path.join(ROOT, 'node_modules', '.bin', 'tsx'),
      [path.join(ROOT, 'bin', 'admin.ts'), ...args],
      {
        cwd: ROOT,
        env: { PATH: process.env.PATH },
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
});
