import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from '@jest/globals';
import { LOCAL_CONSTANTS } from '../../local/config';
import { accountSidOf } from '../../shared/dialects/twilio-verify/sids';
import { TwilioServices } from '../../shared/store/twilio-services';
import { TenantDirectory } from '../../shared/tenant-directory';
import { tenantSchema } from '../../shared/tenants';
import { freshTable, localDynamo, testDirectoryOptions } from '../support/harness';

const run = promisify(execFile);

/** The admin CLI's Twilio commands against DynamoDB Local: what they print works as credentials. */
describe('bin/admin twilio', () => {
  it('creates an account token, an API key and a Service that authenticate and resolve', async () => {
    const ddb = localDynamo();
    const tableName = await freshTable(ddb);
    const tenants = new TenantDirectory(ddb, tableName, testDirectoryOptions(0));
    await tenants.putTenant(tenantSchema.parse({ tenantId: 'cli', name: 'CLI' }));
    const admin = async (...args: string[]) =>
      JSON.parse(
        (
          await run(path.join('node_modules', '.bin', 'tsx'), ['bin/admin.ts', ...args], {
            env: {
              PATH: process.env.PATH,
              TABLE_NAME: tableName,
              DYNAMODB_ENDPOINT: process.env.DYNAMODB_ENDPOINT,
              TENANT_SEALING_KEY: LOCAL_CONSTANTS.tenantSealingKey,
            },
            timeout: 60_000,
          })
        ).stdout,
      ) as Record<string, string | number | boolean>;

    const account = await admin('twilio', 'account', '--tenant', 'cli');
    expect(account.accountSid).toBe(accountSidOf('cli'));
    expect(
      (await tenants.authenticate('twilio-account', accountSidOf('cli'), String(account.authToken)))
        ?.tenantId,
    ).toBe('cli');
    const key = await admin('twilio', 'apikey', '--tenant', 'cli');
    expect(String(key.apiKeySid)).toMatch(/^SK[0-9a-f]{32}$/);
    expect(
      (await tenants.authenticate('twilio-apikey', String(key.apiKeySid), String(key.secret)))?.tenantId,
    ).toBe('cli');
    const service = await admin(
      'twilio',
      'service',
      'create',
      '--tenant',
      'cli',
      '--name',
      'Acme',
      '--code-length',
      '8',
      '--custom-code',
    );
    expect(service).toMatchObject({
      friendlyName: 'Acme',
      codeLength: 8,
      customCodeEnabled: true,
      tenantId: 'cli',
    });
    expect((await new TwilioServices(ddb, tableName).get('cli', String(service.sid)))?.friendlyName).toBe(
      'Acme',
    );
    ddb.destroy();
  }, 120_000);
});
