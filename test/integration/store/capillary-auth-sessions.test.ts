import { type DynamoDBClient, type GetItemCommandInput, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { beforeAll, describe, expect, it } from '@jest/globals';
import {
  type AuthSession,
  BrandTakenError,
  brandKey,
  brandPointer,
  claimBrandPointer,
  claimPayloadHash,
  putBrandPointer,
  putSession,
  type RefreshRecord,
  readRefresh,
  readSession,
  releaseBrandPointer,
  type SessionClaim,
  sessionCheck,
  sessionFinish,
  sessionOfPurpose,
  type TableRef,
} from '../../../shared/store/capillary-auth-sessions';
import { transact } from '../../../shared/store/dynamo';
import { defaultClockStart, freshTable, localDynamo, readItem } from '../../support/harness';

/**
 * The Capillary auth engine's items (shared/store/capillary-auth-sessions.ts) against DynamoDB
 * Local: the brand → tenant pointers that name a tenant with no secret, the sessions a token/
 * generate opens and an otp/validate ends, the mobile refresh records, and the payload hashes
 * that refuse a replayed request.
 */

/**
 * Noon UTC tomorrow: DynamoDB Local deletes items whose `ttl` is behind the real clock, so the
 * items' times stay in the real future (harness `defaultClockStart`). A whole second, so the
 * ttl arithmetic below reads in seconds.
 */
const NOW = defaultClockStart();
const NOW_S = NOW / 1000;

/** Every GetItem input the client sends (the reads the store makes, and whether they are strong). */
const recordReads = (ddb: DynamoDBClient) => {
  const reads: GetItemCommandInput[] = [];
  ddb.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'GetItemCommand') reads.push(args.input as GetItemCommandInput);
      return next(args);
    },
    { step: 'initialize', name: 'recordReads' },
  );
  return reads;
};

/** A table-less reference: every request fails with ResourceNotFoundException (not a condition). */
const missingTable = (ref: TableRef): TableRef => ({ ddb: ref.ddb, tableName: `${ref.tableName}-missing` });

describe('store › Capillary auth sessions', () => {
  let ref: TableRef;
  let reads: GetItemCommandInput[];

  beforeAll(async () => {
    const ddb = localDynamo();
    ref = { ddb, tableName: await freshTable(ddb) };
    reads = recordReads(ddb);
  });

  /** The GetItem requests `action` makes. */
  const readsOf = async (action: () => Promise<unknown>): Promise<GetItemCommandInput[]> => {
    const before = reads.length;
    await action();
    return reads.slice(before);
  };

  const rawPut = (item: Record<string, unknown>) =>
    ref.ddb.send(new PutItemCommand({ TableName: ref.tableName, Item: marshall(item) }));

  describe('brandKey', () => {
    it('matches brands case-insensitively and without surrounding spaces, as Capillary does', () => {
      expect(brandKey('  standardApp ')).toBe('STANDARDAPP');
    });
  });

  describe('brandPointer', () => {
    it('finds the tenant of a brand named in any case, with the brand as configured', async () => {
      await putBrandPointer(ref, 'MixedCase', 'acme');
      expect(await readItem(ref.ddb, ref.tableName, { pk: 'BRAND#MIXEDCASE', sk: 'BRAND' })).toEqual({
        pk: 'BRAND#MIXEDCASE',
        sk: 'BRAND',
        tenantId: 'acme',
        brand: 'MixedCase',
      });
      await expect(brandPointer(ref, ' mixedcase ')).resolves.toEqual({
        tenantId: 'acme',
        brand: 'MixedCase',
      });
    });

    it('reads strongly consistently, so a pointer just written is found at once', async () => {
      await putBrandPointer(ref, 'FRESH', 'acme');
      const made = await readsOf(() => brandPointer(ref, 'FRESH'));
      expect(made).toEqual([expect.objectContaining({ ConsistentRead: true })]);
    });

    it('reads a brand once and answers from the cache until the pointer changes (a generate costs no read)', async () => {
      const first = await readsOf(() => brandPointer(ref, 'CACHED'));
      expect(first).toHaveLength(1);
      // A miss is remembered too: a flood of made-up brands costs one read each, not one per request.
      const again = await readsOf(async () => {
        await expect(brandPointer(ref, 'cached')).resolves.toBeUndefined();
      });
      expect(again).toHaveLength(0);
      // The admin's put drops the cached miss, so the brand works at once in this container.
      await putBrandPointer(ref, 'Cached', 'acme');
      const afterPut = await readsOf(async () => {
        await expect(brandPointer(ref, 'CACHED')).resolves.toEqual({ tenantId: 'acme', brand: 'Cached' });
      });
      expect(afterPut).toHaveLength(1);
      // A pointer moved behind the cache's back is not seen while the cached one lives.
      await rawPut({ pk: 'BRAND#CACHED', sk: 'BRAND', tenantId: 'globex', brand: 'Cached' });
      const cached = await readsOf(async () => {
        await expect(brandPointer(ref, 'CACHED')).resolves.toEqual({ tenantId: 'acme', brand: 'Cached' });
      });
      expect(cached).toHaveLength(0);
    });

    it('answers no tenant, without a read, for an empty brand or one longer than 64 characters', async () => {
      // Pointers for these keys exist, so only the length check can keep them from being found.
      await putBrandPointer(ref, '   ', 'blank');
      await putBrandPointer(ref, 'L'.repeat(64), 'long');
      await putBrandPointer(ref, 'M'.repeat(65), 'too-long');
      const refused = await readsOf(async () => {
        await expect(brandPointer(ref, '   ')).resolves.toBeUndefined();
        await expect(brandPointer(ref, '')).resolves.toBeUndefined();
        await expect(brandPointer(ref, 'm'.repeat(65))).resolves.toBeUndefined();
      });
      expect(refused).toHaveLength(0);
      await expect(brandPointer(ref, 'l'.repeat(64))).resolves.toEqual({
        tenantId: 'long',
        brand: 'L'.repeat(64),
      });
    });
  });

  describe('claimBrandPointer', () => {
    it('points a free brand at the tenant, and lets the same tenant claim it again', async () => {
      await claimBrandPointer(ref, 'StandardApp', 'acme');
      await claimBrandPointer(ref, 'standardapp', 'acme');
      expect(await readItem(ref.ddb, ref.tableName, { pk: 'BRAND#STANDARDAPP', sk: 'BRAND' })).toEqual({
        pk: 'BRAND#STANDARDAPP',
        sk: 'BRAND',
        tenantId: 'acme',
        brand: 'standardapp',
      });
    });

    it("refuses a brand another tenant holds, naming the owner, and leaves that tenant's logins alone", async () => {
      await claimBrandPointer(ref, 'Shop', 'acme');
      const error = await claimBrandPointer(ref, ' shop', 'globex').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BrandTakenError);
      expect(error).toMatchObject({
        name: 'BrandTakenError',
        brand: 'SHOP',
        owner: 'acme',
        message: 'brand SHOP already belongs to tenant acme',
      });
      await expect(brandPointer(ref, 'SHOP')).resolves.toEqual({ tenantId: 'acme', brand: 'Shop' });
    });

    it('refuses a brand whose pointer names no tenant, without inventing an owner', async () => {
      await rawPut({ pk: 'BRAND#ORPHAN', sk: 'BRAND', brand: 'Orphan' });
      const error = await claimBrandPointer(ref, 'Orphan', 'acme').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BrandTakenError);
      expect(error).toMatchObject({
        brand: 'ORPHAN',
        owner: undefined,
        message: 'brand ORPHAN already belongs to tenant (another tenant)',
      });
    });

    it('drops the cached miss, so a claimed brand works at once in this container', async () => {
      await expect(brandPointer(ref, 'NEWBRAND')).resolves.toBeUndefined();
      await claimBrandPointer(ref, 'NewBrand', 'acme');
      await expect(brandPointer(ref, 'NEWBRAND')).resolves.toEqual({ tenantId: 'acme', brand: 'NewBrand' });
    });

    it('lets a store error through as it is, never as a taken brand', async () => {
      await expect(claimBrandPointer(missingTable(ref), 'Any', 'acme')).rejects.toMatchObject({
        name: 'ResourceNotFoundException',
      });
    });
  });

  describe('releaseBrandPointer', () => {
    it("removes the tenant's own pointer, and the cached one with it", async () => {
      await claimBrandPointer(ref, 'Leaving', 'acme');
      await expect(brandPointer(ref, 'LEAVING')).resolves.toEqual({ tenantId: 'acme', brand: 'Leaving' });
      await expect(releaseBrandPointer(ref, 'leaving', 'acme')).resolves.toBe(true);
      expect(await readItem(ref.ddb, ref.tableName, { pk: 'BRAND#LEAVING', sk: 'BRAND' })).toBeUndefined();
      await expect(brandPointer(ref, 'LEAVING')).resolves.toBeUndefined();
    });

    it("leaves another tenant's pointer, and a free brand, alone and answers false", async () => {
      await claimBrandPointer(ref, 'Kept', 'acme');
      await expect(releaseBrandPointer(ref, 'Kept', 'globex')).resolves.toBe(false);
      await expect(releaseBrandPointer(ref, 'Unclaimed', 'globex')).resolves.toBe(false);
      expect(await readItem(ref.ddb, ref.tableName, { pk: 'BRAND#KEPT', sk: 'BRAND' })).toMatchObject({
        tenantId: 'acme',
      });
    });

    it('lets a store error through instead of answering false', async () => {
      await expect(releaseBrandPointer(missingTable(ref), 'Any', 'acme')).rejects.toMatchObject({
        name: 'ResourceNotFoundException',
      });
    });
  });

  /** A session of `variant` (id `id`), live for five minutes from NOW. */
  const sessionOf = (id: string, variant: 'mobile' | 'web', deviceId?: string): AuthSession => ({
    id,
    tenantId: 'acme',
    brand: 'STANDARDAPP',
    variant,
    identifierType: 'MOBILE',
    identifierHash: `hash-of-${id}`,
    ...(deviceId !== undefined && { deviceId }),
    createdAt: NOW,
    expiresAt: NOW + 300_000,
  });

  const claimOf = ({ createdAt: _c, expiresAt: _e, ...claim }: AuthSession): SessionClaim => claim;

  describe('putSession / readSession', () => {
    it('stores a session that expires a minute (rounded up to the second) before DynamoDB may delete it', async () => {
      const session = { ...sessionOf('D-ttl', 'web'), expiresAt: NOW + 300_001 };
      await putSession(ref, session);
      const stored = await readItem(ref.ddb, ref.tableName, { pk: 'SESSION#D-ttl', sk: 'SESSION' });
      // 300.001 s rounded up to 301, plus 60.
      expect(stored?.ttl).toBe(NOW_S + 361);
      await expect(readSession(ref, 'D-ttl', NOW)).resolves.toEqual(session);
    });

    it('reads strongly consistently, so the session a token/generate just stored is found', async () => {
      await putSession(ref, sessionOf('D-strong', 'web'));
      const made = await readsOf(() => readSession(ref, 'D-strong', NOW));
      expect(made).toEqual([expect.objectContaining({ ConsistentRead: true })]);
    });

    it('stores no device for a session given an unset one', async () => {
      await putSession(ref, { ...sessionOf('D-nodevice', 'web'), deviceId: undefined });
      expect(
        await readItem(ref.ddb, ref.tableName, { pk: 'SESSION#D-nodevice', sk: 'SESSION' }),
      ).not.toHaveProperty('deviceId');
    });

    it('never overwrites a session with the same id', async () => {
      await putSession(ref, sessionOf('D-once', 'web'));
      await expect(
        putSession(ref, { ...sessionOf('D-once', 'web'), tenantId: 'globex' }),
      ).rejects.toMatchObject({
        name: 'ConditionalCheckFailedException',
      });
      await expect(readSession(ref, 'D-once', NOW)).resolves.toMatchObject({ tenantId: 'acme' });
    });

    it('answers no session from its expiry on (TTL deletes late)', async () => {
      const session = sessionOf('D-expiring', 'web');
      await putSession(ref, session);
      await expect(readSession(ref, 'D-expiring', session.expiresAt - 1)).resolves.toEqual(session);
      await expect(readSession(ref, 'D-expiring', session.expiresAt)).resolves.toBeUndefined();
      await expect(readSession(ref, 'D-unknown', NOW)).resolves.toBeUndefined();
    });

    it('reads ids of up to 64 characters and refuses longer ones without a read', async () => {
      const longest = sessionOf('D'.repeat(64), 'web');
      const tooLong = sessionOf('E'.repeat(65), 'web');
      await putSession(ref, longest);
      await putSession(ref, tooLong);
      await expect(readSession(ref, longest.id, NOW)).resolves.toEqual(longest);
      const refused = await readsOf(async () => {
        await expect(readSession(ref, tooLong.id, NOW)).resolves.toBeUndefined();
      });
      expect(refused).toHaveLength(0);
    });
  });

  describe('sessionCheck', () => {
    /** Whether the session check of `claim` at `now` holds in a transaction (the engine's guard). */
    const check = (claim: SessionClaim, now = NOW) => transact(ref.ddb, [sessionCheck(ref, claim, now)]);

    it('holds for the claim the session was opened with while it lives, and answers the session when not', async () => {
      const session = sessionOf('D-check', 'web');
      await putSession(ref, session);
      await expect(check(claimOf(session), session.expiresAt - 1)).resolves.toEqual({ ok: true });
      const expired = await check(claimOf(session), session.expiresAt);
      expect(expired).toEqual({
        ok: false,
        reasons: [
          {
            code: 'ConditionalCheckFailed',
            item: { pk: 'SESSION#D-check', sk: 'SESSION', ...session, ttl: expect.any(Number) },
          },
        ],
      });
    });

    it('fails for a claim that differs in tenant, brand, variant or identifier', async () => {
      const session = sessionOf('D-differs', 'web');
      await putSession(ref, session);
      for (const change of [
        { tenantId: 'globex' },
        { brand: 'OTHERAPP' },
        { variant: 'mobile' as const },
        { identifierType: 'EMAIL' },
        { identifierHash: 'hash-of-someone-else' },
      ]) {
        await expect(check({ ...claimOf(session), ...change })).resolves.toMatchObject({ ok: false });
      }
    });

    it('binds a mobile session to its device, and one opened without a device to none', async () => {
      const withDevice = sessionOf('D-mobile-device', 'mobile', 'device-1');
      const withoutDevice = sessionOf('D-mobile-bare', 'mobile');
      await putSession(ref, withDevice);
      await putSession(ref, withoutDevice);
      await expect(check(claimOf(withDevice))).resolves.toEqual({ ok: true });
      await expect(check({ ...claimOf(withDevice), deviceId: 'device-2' })).resolves.toMatchObject({
        ok: false,
      });
      await expect(check({ ...claimOf(withDevice), deviceId: undefined })).resolves.toMatchObject({
        ok: false,
      });
      await expect(check(claimOf(withoutDevice))).resolves.toEqual({ ok: true });
      await expect(check({ ...claimOf(withoutDevice), deviceId: 'device-1' })).resolves.toMatchObject({
        ok: false,
      });
    });

    it('ignores a device named on the web (only a mobile session binds one)', async () => {
      const session = sessionOf('D-web', 'web');
      await putSession(ref, session);
      await expect(check({ ...claimOf(session), deviceId: 'device-1' })).resolves.toEqual({ ok: true });
      await expect(check({ ...claimOf(session), deviceId: undefined })).resolves.toEqual({ ok: true });
    });
  });

  describe('sessionFinish / readRefresh', () => {
    const recordOf = (expiresAt: number): RefreshRecord => ({
      tenantId: 'acme',
      brand: 'STANDARDAPP',
      identifierType: 'MOBILE',
      sealedIdentifier: 'sealed',
      deviceId: 'device-1',
      authTime: NOW,
      expiresAt,
    });

    it('ends the session and stores the refresh record, which lives until its expiry', async () => {
      const session = sessionOf('D-finish', 'mobile', 'device-1');
      await putSession(ref, session);
      const record = recordOf(NOW + 86_400_500);
      const finish = sessionFinish(ref, claimOf(session), NOW, { keyHash: 'k-finish', record });
      await expect(transact(ref.ddb, Object.values(finish))).resolves.toEqual({ ok: true });
      expect(
        await readItem(ref.ddb, ref.tableName, { pk: 'SESSION#D-finish', sk: 'SESSION' }),
      ).toBeUndefined();
      expect(await readItem(ref.ddb, ref.tableName, { pk: 'REFRESH#k-finish', sk: 'REFRESH' })).toEqual({
        pk: 'REFRESH#k-finish',
        sk: 'REFRESH',
        ...record,
        ttl: NOW_S + 86_400 + 61,
      });
      const made = await readsOf(async () => {
        await expect(readRefresh(ref, 'k-finish', record.expiresAt - 1)).resolves.toMatchObject(record);
      });
      expect(made).toEqual([expect.objectContaining({ ConsistentRead: true })]);
      await expect(readRefresh(ref, 'k-finish', record.expiresAt)).resolves.toBeUndefined();
      await expect(readRefresh(ref, 'k-unknown', NOW)).resolves.toBeUndefined();
    });

    it('writes nothing when the session no longer serves the claim (a session yields one token)', async () => {
      const session = sessionOf('D-finish-twice', 'mobile', 'device-1');
      await putSession(ref, session);
      const first = sessionFinish(ref, claimOf(session), NOW, {
        keyHash: 'k-first',
        record: recordOf(NOW + 1),
      });
      const second = sessionFinish(ref, claimOf(session), NOW, {
        keyHash: 'k-second',
        record: recordOf(NOW + 1),
      });
      await expect(transact(ref.ddb, Object.values(first))).resolves.toEqual({ ok: true });
      await expect(transact(ref.ddb, Object.values(second))).resolves.toMatchObject({ ok: false });
      expect(
        await readItem(ref.ddb, ref.tableName, { pk: 'REFRESH#k-second', sk: 'REFRESH' }),
      ).toBeUndefined();
    });
  });

  describe('sessionOfPurpose', () => {
    it("names the session of an auth engine code's purpose, and none of any other", () => {
      expect(sessionOfPurpose('ae:STANDARDAPP:D-123:abc')).toBe('D-123');
      expect(sessionOfPurpose('login:STANDARDAPP:D-123:abc')).toBeUndefined();
      expect(sessionOfPurpose('ae:STANDARDAPP')).toBeUndefined();
      expect(sessionOfPurpose('ae:STANDARDAPP::abc')).toBeUndefined();
    });
  });

  describe('claimPayloadHash', () => {
    it('accepts a hash once, keeps it until it is stale, and refuses it again', async () => {
      const staleAt = NOW + 301_000;
      await expect(claimPayloadHash(ref, 'h-once', staleAt)).resolves.toBe(true);
      await expect(claimPayloadHash(ref, 'h-once', staleAt)).resolves.toBe(false);
      expect(await readItem(ref.ddb, ref.tableName, { pk: 'HASH#h-once', sk: 'HASH' })).toEqual({
        pk: 'HASH#h-once',
        sk: 'HASH',
        expiresAt: staleAt,
        ttl: NOW_S + 361,
      });
    });

    it('lets a store error through instead of calling the hash used', async () => {
      await expect(claimPayloadHash(missingTable(ref), 'h-any', NOW)).rejects.toMatchObject({
        name: 'ResourceNotFoundException',
      });
    });
  });
});
