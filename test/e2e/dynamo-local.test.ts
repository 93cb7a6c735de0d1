import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type DynamoLocal, freePort, startDynamoLocal } from '../../local/dynamo-local';

/**
 * The DynamoDB Local that `npm start` runs: its command line, what a browser on another origin
 * may do with it, and what the next `npm start` says when a killed one left it behind.
 */
describe('DynamoDB Local of the local runtime', () => {
  let leftover: DynamoLocal;
  let port: number;

  beforeAll(async () => {
    port = await freePort();
    // What `kill -9` of `npm start` leaves: a DynamoDB Local whose parent is gone.
    leftover = await startDynamoLocal(port, { detached: true });
  });
  afterAll(async () => {
    await leftover.stop();
  });

  it('runs in memory with telemetry off', () => {
    const args = readFileSync(`/proc/${leftover.pid}/cmdline`, 'utf8').split('\0');
    expect(args).toEqual(
      expect.arrayContaining(['-inMemory', '-sharedDb', '-disableTelemetry', '-port', String(port)]),
    );
  });

  it('answers no browser page of another origin (CORS limited to its own)', async () => {
    const preflight = (origin: string) =>
      fetch(leftover.endpoint, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization,content-type,x-amz-target',
        },
      });
    expect((await preflight('https://evil.example')).headers.get('access-control-allow-origin')).toBeNull();
    // DynamoDB Local's default is `*`: this shows the option is applied, not ignored.
    expect((await preflight(leftover.endpoint)).headers.get('access-control-allow-origin')).toBe(
      leftover.endpoint,
    );
  });

  it('makes the next start name the leftover process and how to stop it', async () => {
    await expect(startDynamoLocal(port)).rejects.toThrow(
      new RegExp(`probably left over.*process ${leftover.pid}\\. Stop it with \`kill ${leftover.pid}\``),
    );
  });

  it('makes `npm start` say the same, and exit 1 without a stack trace', async () => {
    const result = spawnSync('npx', ['tsx', 'local/start.ts'], {
      env: {
        ...process.env,
        DYNAMODB_PORT: String(port),
        PORT: String(await freePort()),
        SES_PORT: String(await freePort()),
      },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`Cannot start: Port ${port} is already in use (DYNAMODB_PORT).`);
    expect(result.stderr).toContain(`Stop it with \`kill ${leftover.pid}\``);
    expect(result.stderr).not.toMatch(/^\s+at /m);
  });
});
