import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from '@jest/globals';
import { LOCAL_CONSTANTS } from '../../../local/config';
import { issue, verify } from '../../../shared/engine';
import { applyReceipt } from '../../../shared/engine/receipts';
import { TenantDirectory } from '../../../shared/tenant-directory';
import { recordingEvents } from '../../support/events';
import {
  engineHarness,
  lastCode,
  phoneDelivery,
  smsIssue,
  testTenant,
  verifyOf,
  wrongCodeFor,
} from '../../support/harness';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const run = promisify(execFile);
const PHONE = '+919812345670';
const EMAIL = 'tomsawyer@gmail.com';

/** `npm run admin -- verification show …` against this test's table in DynamoDB Local. */
const show = async (tableName: string, ...args: string[]) => {
  const { stdout } = await run(
    path.join(ROOT, 'node_modules', '.bin', 'tsx'),
    [path.join(ROOT, 'bin', 'admin.ts'), 'verification', 'show', ...args],
    {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH,
        TABLE_NAME: tableName,
        DYNAMODB_ENDPOINT: process.env.DYNAMODB_ENDPOINT,
      },
      timeout: 60_000,
    },
  );
  return JSON.parse(stdout) as Record<string, unknown> | null;
};

describe('bin/admin verification show', () => {
  it('shows status, attempts left, expiry and the delivery status per channel', async () => {
    const h = await engineHarness();
    // The CLI finds codes with the local runtime's pepper when it talks to DynamoDB Local.
    const deps = { ...h.deps, pepper: async () => Buffer.from(LOCAL_CONSTANTS.pepper), now: Date.now };
    const tenant = testTenant();
    await new TenantDirectory(h.ddb, h.tableName, {
      tenantKey: async () => Buffer.from(LOCAL_CONSTANTS.tenantSealingKey),
      cacheSeconds: 0,
    }).putTenant(tenant);
    const req = smsIssue(tenant, PHONE, 'v2:REGISTRATION', {
      deliveries: [phoneDelivery('SMS', PHONE), { channel: 'EMAIL', to: EMAIL }],
    });
    const issued = await issue(deps, req);
    await expect(verify(deps, verifyOf(req, wrongCodeFor(lastCode(h.sent))))).rejects.toThrow('Invalid code');
    const ref = h.sent[0]?.receipt;
    if (!ref) throw new Error('no receipt reference');
    await applyReceipt(
      { ddb: h.ddb, tableName: h.tableName, events: recordingEvents().publisher },
      {
        ref,
        channel: 'EMAIL',
        outcome: 'failed',
        provider: 'ses',
        providerStatus: 'Bounce:Permanent',
        at: Date.now(),
        destination: EMAIL,
      },
    );
    const args = ['--tenant', tenant.tenantId, '--purpose', 'v2:REGISTRATION', '--subject', PHONE];
    expect(await show(h.tableName, ...args)).toEqual({
      verificationId: issued.challengeId,
      status: 'pending',
      attempts: 1,
      attemptsLeft: 4,
      sendCount: 1,
      createdAt: expect.any(String),
      expiresAt: new Date(issued.expiresAt).toISOString(),
      channels: {
        SMS: { status: 'sent' },
        EMAIL: { status: 'failed', providerStatus: 'Bounce:Permanent', at: expect.any(String) },
      },
    });
    await verify(deps, verifyOf(req, lastCode(h.sent)));
    expect(await show(h.tableName, ...args)).toMatchObject({
      status: 'approved',
      approvedAt: expect.any(String),
    });
    expect(
      await show(h.tableName, '--tenant', tenant.tenantId, '--purpose', 'v2:OTHER', '--subject', PHONE),
    ).toBeNull();
  });
});
