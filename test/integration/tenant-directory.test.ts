import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { describe, expect, it } from '@jest/globals';
import { sha256 } from '../../shared/crypto';
import { credentialPk } from '../../shared/store/keys';
import { TenantDirectory } from '../../shared/tenant-directory';
import { freshTable, localDynamo, testTenant } from '../support/harness';

const setup = async () => {
  const ddb = localDynamo();
  const tableName = await freshTable(ddb);
  const tenants = new TenantDirectory(ddb, tableName, 60);
  const tenant = testTenant();
  await tenants.putTenant(tenant);
  const stored = async (kind: string, id: string) =>
    unmarshall(
      (
        await ddb.send(
          new GetItemCommand({
            TableName: tableName,
            Key: marshall({ pk: credentialPk(kind, id), sk: 'CRED' }),
          }),
        )
      ).Item ?? {},
    );
  return { tenants, tenant, stored };
};

describe('tenant-directory', () => {
  describe('authenticate', () => {
    it('stores FORM passwords as salted scrypt and accepts only the right one', async () => {
      const { tenants, tenant, stored } = await setup();
      await tenants.putCredential('form', '1:user@example.com', tenant.tenantId, 'XXXX@123');
      const item = await stored('form', '1:user@example.com');
      expect(item.secretHash).toMatch(/^scrypt\$[\w-]+\$[\w-]+$/);
      expect(item.secretHash).not.toContain(sha256('XXXX@123'));
      expect((await tenants.authenticate('form', '1:user@example.com', 'XXXX@123'))?.tenantId).toBe(
        tenant.tenantId,
      );
      expect(await tenants.authenticate('form', '1:user@example.com', 'XXXX@124')).toBeUndefined();
      expect(await tenants.authenticate('form', '1:nobody@example.com', 'XXXX@123')).toBeUndefined();
    });

    it('stores generated client secrets as SHA-256 and refuses a wrong or empty secret', async () => {
      const { tenants, tenant, stored } = await setup();
      await tenants.putCredential('basic', 'client', tenant.tenantId, 'a'.repeat(43));
      expect((await stored('basic', 'client')).secretHash).toBe(sha256('a'.repeat(43)));
      expect((await tenants.authenticate('basic', 'client', 'a'.repeat(43)))?.tenantId).toBe(tenant.tenantId);
      expect(await tenants.authenticate('basic', 'client', 'b'.repeat(43))).toBeUndefined();
      expect(await tenants.authenticate('basic', 'client', '')).toBeUndefined();
    });
  });

  describe('putTenant', () => {
    it('refuses an action e-mail template whose subject holds CR/LF, writing nothing', async () => {
      const { tenants } = await setup();
      const tenant = testTenant();
      const email = { subject: 'Your code\r\nBcc: x@evil.example', body: 'Code: {{ validation_code }}' };
      await expect(tenants.putTenant({ ...tenant, templates: { REGISTRATION: { email } } })).rejects.toThrow(
        /control characters/,
      );
      expect(await tenants.get(tenant.tenantId)).toBeUndefined();
    });
  });
});
