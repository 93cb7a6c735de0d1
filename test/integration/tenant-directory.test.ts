import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { describe, expect, it } from '@jest/globals';
import { scryptHash, sha256 } from '../../shared/crypto';
import { apiKeyCredentialId } from '../../shared/dialects/summitai/credentials';
import { credentialPk } from '../../shared/store/keys';
import { TenantDirectory } from '../../shared/tenant-directory';
import { freshTable, localDynamo, testDirectoryOptions, testTenant } from '../support/harness';

const setup = async () => {
  const ddb = localDynamo();
  const tableName = await freshTable(ddb);
  const tenants = new TenantDirectory(ddb, tableName, testDirectoryOptions());
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
  /** Writes a credential item as the code before per-dialect kinds did (`basic`, `apikey`, `form`). */
  const putLegacy = (kind: 'basic' | 'apikey' | 'form', id: string, secret: string) =>
    ddb.send(
      new PutItemCommand({
        TableName: tableName,
        Item: marshall({
          pk: credentialPk(kind, id),
          sk: 'CRED',
          tenantId: tenant.tenantId,
          secretHash: kind === 'form' ? scryptHash(secret) : sha256(secret),
        }),
      }),
    );
  return { tenants, tenant, stored, putLegacy };
};

describe('tenant-directory', () => {
  describe('authenticate', () => {
    it('stores FORM passwords as salted scrypt and accepts only the right one', async () => {
      const { tenants, tenant, stored } = await setup();
      await tenants.putCredential('summitai-form', '1:user@example.com', tenant.tenantId, 'XXXX@123');
      const item = await stored('summitai-form', '1:user@example.com');
      expect(item.secretHash).toMatch(/^scrypt\$[\w-]+\$[\w-]+$/);
      expect(item.secretHash).not.toContain(sha256('XXXX@123'));
      expect((await tenants.authenticate('summitai-form', '1:user@example.com', 'XXXX@123'))?.tenantId).toBe(
        tenant.tenantId,
      );
      expect(await tenants.authenticate('summitai-form', '1:user@example.com', 'XXXX@124')).toBeUndefined();
      expect(await tenants.authenticate('summitai-form', '1:nobody@example.com', 'XXXX@123')).toBeUndefined();
    });

    it('stores generated client secrets as SHA-256 and refuses a wrong or empty secret', async () => {
      const { tenants, tenant, stored } = await setup();
      await tenants.putCredential('v2-basic', 'client', tenant.tenantId, 'a'.repeat(43));
      expect((await stored('v2-basic', 'client')).secretHash).toBe(sha256('a'.repeat(43)));
      expect((await tenants.authenticate('v2-basic', 'client', 'a'.repeat(43)))?.tenantId).toBe(
        tenant.tenantId,
      );
      expect(await tenants.authenticate('v2-basic', 'client', 'b'.repeat(43))).toBeUndefined();
      expect(await tenants.authenticate('v2-basic', 'client', '')).toBeUndefined();
    });

    it('keeps a sealed copy of a LoginRadius secret for request signing, and of no other kind', async () => {
      const { tenants, tenant, stored, putLegacy } = await setup();
      const secret = 'lr-secret-0123456789abcdefghijklmnop';
      await tenants.putCredential('loginradius-apikey', 'lr-key', tenant.tenantId, secret);
      await tenants.putCredential('v2-basic', 'client', tenant.tenantId, secret);
      const item = await stored('loginradius-apikey', 'lr-key');
      expect(item.sealedSecret).toEqual(expect.any(String));
      expect(item.sealedSecret).not.toContain(secret);
      expect((await stored('v2-basic', 'client')).sealedSecret).toBeUndefined();
      expect(await tenants.signingCredential('loginradius-apikey', 'lr-key')).toEqual({
        tenant: expect.objectContaining({ tenantId: tenant.tenantId }),
        secret,
      });
      // Other kinds, unknown ids and items stored before the sealed copy existed: no secret.
      expect(await tenants.signingCredential('v2-basic', 'client')).toBeUndefined();
      expect(await tenants.signingCredential('loginradius-apikey', 'nobody')).toBeUndefined();
      await putLegacy('apikey', 'old-lr-key', secret);
      expect(await tenants.signingCredential('loginradius-apikey', 'old-lr-key')).toBeUndefined();
    });

    it('keeps reading basic and form items for v2 and SummitAI FORM, and for nobody else', async () => {
      const { tenants, tenant, putLegacy } = await setup();
      await putLegacy('basic', 'old-client', 'c'.repeat(43));
      await putLegacy('form', '1:old@example.com', 'Old-Password-1');
      expect((await tenants.authenticate('v2-basic', 'old-client', 'c'.repeat(43)))?.tenantId).toBe(
        tenant.tenantId,
      );
      expect(
        (await tenants.authenticate('summitai-form', '1:old@example.com', 'Old-Password-1'))?.tenantId,
      ).toBe(tenant.tenantId);
      expect(await tenants.authenticate('loginradius-apikey', 'old-client', 'c'.repeat(43))).toBeUndefined();
      expect(await tenants.authenticate('summitai-apikey', 'old-client', 'c'.repeat(43))).toBeUndefined();
      expect(await tenants.authenticate('v2-basic', '1:old@example.com', 'Old-Password-1')).toBeUndefined();
    });

    it('gives an old apikey item to SummitAI when its id is <OrgID>:<its own hash>, else to LoginRadius', async () => {
      const { tenants, tenant, putLegacy } = await setup();
      const key = 'k'.repeat(43);
      const summitId = apiKeyCredentialId('1', key);
      await putLegacy('apikey', summitId, key);
      await putLegacy('apikey', 'lr-key', 's'.repeat(43));
      expect((await tenants.authenticate('summitai-apikey', summitId, key))?.tenantId).toBe(tenant.tenantId);
      // The SummitAI key presented to LoginRadius as apikey=<OrgID>:<sha256(key)>&apisecret=<key>.
      expect(await tenants.authenticate('loginradius-apikey', summitId, key)).toBeUndefined();
      expect((await tenants.authenticate('loginradius-apikey', 'lr-key', 's'.repeat(43)))?.tenantId).toBe(
        tenant.tenantId,
      );
      expect(await tenants.authenticate('summitai-apikey', 'lr-key', 's'.repeat(43))).toBeUndefined();
    });

    it('reads a current credential before an old one at the same id', async () => {
      const { tenants, tenant, putLegacy } = await setup();
      await putLegacy('basic', 'both', 'o'.repeat(43));
      await tenants.putCredential('v2-basic', 'both', tenant.tenantId, 'n'.repeat(43));
      expect(await tenants.authenticate('v2-basic', 'both', 'o'.repeat(43))).toBeUndefined();
      expect((await tenants.authenticate('v2-basic', 'both', 'n'.repeat(43)))?.tenantId).toBe(
        tenant.tenantId,
      );
    });
  });

  describe('migrateLegacyCredentials', () => {
    it('rewrites every old item as its dialect’s kind, deletes it, and keeps a newer credential', async () => {
      const { tenants, tenant, stored, putLegacy } = await setup();
      const key = 'k'.repeat(43);
      const summitId = apiKeyCredentialId('1', key);
      await putLegacy('basic', 'old-client', 'c'.repeat(43));
      await putLegacy('form', '1:old@example.com', 'Old-Password-1');
      await putLegacy('apikey', summitId, key);
      await putLegacy('apikey', 'lr-key', 's'.repeat(43));
      await putLegacy('basic', 'both', 'o'.repeat(43));
      await tenants.putCredential('v2-basic', 'both', tenant.tenantId, 'n'.repeat(43));

      const migrated = await tenants.migrateLegacyCredentials();
      const byId = (a: { id: string }, b: { id: string }) => a.id.localeCompare(b.id);
      expect(migrated.sort(byId)).toEqual(
        [
          { from: 'basic', to: 'v2-basic', id: 'old-client', tenantId: tenant.tenantId, copied: true },
          {
            from: 'form',
            to: 'summitai-form',
            id: '1:old@example.com',
            tenantId: tenant.tenantId,
            copied: true,
          },
          { from: 'apikey', to: 'summitai-apikey', id: summitId, tenantId: tenant.tenantId, copied: true },
          { from: 'apikey', to: 'loginradius-apikey', id: 'lr-key', tenantId: tenant.tenantId, copied: true },
          { from: 'basic', to: 'v2-basic', id: 'both', tenantId: tenant.tenantId, copied: false },
        ].sort(byId),
      );
      for (const [kind, id] of [
        ['basic', 'old-client'],
        ['form', '1:old@example.com'],
        ['apikey', summitId],
        ['apikey', 'lr-key'],
        ['basic', 'both'],
      ] as const) {
        expect(await stored(kind, id)).toEqual({});
      }
      expect((await stored('summitai-form', '1:old@example.com')).secretHash).toMatch(/^scrypt\$/);
      expect((await stored('v2-basic', 'both')).secretHash).toBe(sha256('n'.repeat(43)));
      // Each credential still works for its own dialect, and only there; a second run finds nothing.
      expect((await tenants.authenticate('summitai-apikey', summitId, key))?.tenantId).toBe(tenant.tenantId);
      expect(await tenants.authenticate('loginradius-apikey', summitId, key)).toBeUndefined();
      expect((await tenants.authenticate('loginradius-apikey', 'lr-key', 's'.repeat(43)))?.tenantId).toBe(
        tenant.tenantId,
      );
      expect(
        (await tenants.authenticate('summitai-form', '1:old@example.com', 'Old-Password-1'))?.tenantId,
      ).toBe(tenant.tenantId);
      expect(await tenants.migrateLegacyCredentials()).toEqual([]);
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
