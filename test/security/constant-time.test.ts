import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { CREDENTIAL_SK, credentialPk } from '../../shared/store/keys';
import { countRequests, freshTable, localDynamo, testDirectoryOptions, testTenant } from '../support/harness';

/**
 * TenantDirectory.authenticate promises that an unknown id costs the same comparison as a known
 * one with a wrong secret, so response time does not tell which ids exist. Timing is noisy in a
 * test, so this counts instead: the comparisons made (spies on the crypto module, installed
 * before the directory is imported) and the table reads, for each kind of wrong credential.
 */
const crypto = await import('../../shared/crypto');
const safeEqual = jest.fn(crypto.safeEqual);
const scryptVerify = jest.fn(crypto.scryptVerify);
jest.unstable_mockModule('../../shared/crypto', () => ({ ...crypto, safeEqual, scryptVerify }));
const { TenantDirectory } = await import('../../shared/tenant-directory');

const ddb = localDynamo();
const requests = countRequests(ddb);
let tableName: string;
let tenants: InstanceType<typeof TenantDirectory>;
const tenant = testTenant();
const SECRET = 's'.repeat(43);

beforeAll(async () => {
  tableName = await freshTable(ddb);
  // No cache: every call reads the table, as a cold container does.
  tenants = new TenantDirectory(ddb, tableName, testDirectoryOptions(0));
  await tenants.putTenant(tenant);
  await tenants.putCredential('v2-basic', 'known-client', tenant.tenantId, SECRET);
  await tenants.putCredential('summitai-form', '1:known@example.com', tenant.tenantId, 'Password@123');
});
afterAll(() => ddb.destroy());

/** What one authenticate call did: its answer, comparisons and table reads. */
const cost = async (kind: 'v2-basic' | 'summitai-form', id: string, secret: string) => {
  safeEqual.mockClear();
  scryptVerify.mockClear();
  requests.reset();
  const result = await tenants.authenticate(kind, id, secret);
  return {
    tenantId: result?.tenantId,
    safeEqual: safeEqual.mock.calls.length,
    scryptVerify: scryptVerify.mock.calls.length,
    reads: requests.counts.GetItemCommand ?? 0,
  };
};

describe('security', () => {
  describe('tenant-directory authenticate', () => {
    it('accepts the right secret (control: the spies see the real comparisons)', async () => {
      expect(await cost('v2-basic', 'known-client', SECRET)).toEqual({
        tenantId: tenant.tenantId,
        safeEqual: 1,
        scryptVerify: 0,
        // The credential under its kind and its pre-scoping kind (in parallel), then the tenant.
        reads: 3,
      });
      expect((await cost('summitai-form', '1:known@example.com', 'Password@123')).tenantId).toBe(
        tenant.tenantId,
      );
    });

    it('returns undefined for an unknown id after the same read and comparison as a wrong secret', async () => {
      const wrong = await cost('v2-basic', 'known-client', 'w'.repeat(43));
      const unknown = await cost('v2-basic', 'unknown-client', SECRET);
      expect(wrong).toEqual({ tenantId: undefined, safeEqual: 1, scryptVerify: 0, reads: 2 });
      expect(unknown).toEqual(wrong);
    });

    it('costs the same for an id stored only under its pre-scoping kind as for a current one', async () => {
      await ddb.send(
        new PutItemCommand({
          TableName: tableName,
          Item: marshall({
            pk: credentialPk('basic', 'legacy-client'),
            sk: CREDENTIAL_SK,
            tenantId: tenant.tenantId,
            secretHash: crypto.sha256(SECRET),
          }),
        }),
      );
      expect(await cost('v2-basic', 'legacy-client', 'w'.repeat(43))).toEqual(
        await cost('v2-basic', 'known-client', 'w'.repeat(43)),
      );
      expect(await cost('v2-basic', 'legacy-client', SECRET)).toEqual(
        await cost('v2-basic', 'known-client', SECRET),
      );
    });

    it('runs scrypt for an unknown FORM user as for a known one with a wrong password', async () => {
      const wrong = await cost('summitai-form', '1:known@example.com', 'Password@124');
      const unknown = await cost('summitai-form', '1:nobody@example.com', 'Password@124');
      expect(wrong).toMatchObject({ tenantId: undefined, scryptVerify: 1, reads: 2 });
      expect(unknown).toEqual(wrong);
    });

    it.each([
      ['an empty secret', 'known-client', ''],
      ['an empty id', '', SECRET],
      ['an oversize id', 'k'.repeat(257), SECRET],
      ['an oversize secret', 'known-client', 's'.repeat(1025)],
    ])('returns undefined for %s without touching the table', async (_, id, secret) => {
      expect(await cost('v2-basic', id, secret)).toEqual({
        tenantId: undefined,
        safeEqual: 0,
        scryptVerify: 0,
        reads: 0,
      });
    });
  });
});
