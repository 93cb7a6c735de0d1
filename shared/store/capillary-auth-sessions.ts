import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  type TransactWriteItem,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { BoundedCache } from '../bounded-cache';
import { and } from './conditions';
import { guard } from './dynamo';

/**
 * Items of the Capillary auth engine dialect (seed 002), in the one table:
 *
 *  pk                 sk        item
 *  BRAND#<BRAND>      BRAND     brand → tenant pointer (the brand names the tenant; no client secret)
 *  SESSION#<id>       SESSION   session: tenant, brand, variant, identifier hash, device, expiry
 *  REFRESH#<sha256>   REFRESH   mobile refresh key (only its SHA-256 is stored): sealed identifier, device
 *  HASH#<hash>        HASH      a payload `hash` already used (replay refusal until it goes stale)
 *
 * Every item with a lifetime carries `expiresAt` (epoch ms, checked on every read: TTL deletes
 * late) and `ttl` (epoch s).
 */
export interface TableRef {
  ddb: DynamoDBClient;
  tableName: string;
}

const ttlOf = (expiresAtMs: number): number => Math.ceil(expiresAtMs / 1000) + 60;

const getItem = async (
  ref: TableRef,
  pk: string,
  sk: string,
): Promise<Record<string, unknown> | undefined> => {
  const out = await guard(() =>
    ref.ddb.send(
      new GetItemCommand({ TableName: ref.tableName, Key: marshall({ pk, sk }), ConsistentRead: true }),
    ),
  );
  return out.Item ? unmarshall(out.Item) : undefined;
};

/** Brands match case-insensitively (`standardapp` is `STANDARDAPP`), as Capillary's samples do. */
export const brandKey = (brand: string): string => brand.trim().toUpperCase();

/** Where a brand points: its tenant, and the brand's name as configured in `tenant.brands`. */
export interface BrandPointer {
  tenantId: string;
  brand: string;
}

/**
 * Brands a warm container remembers at most, known and unknown: anonymous callers name any brand
 * they like, and each made-up one is cached as a miss, so the cache is bounded (LRU).
 */
export const BRAND_CACHE_MAX_ENTRIES = 10_000;
const brandCache = new BoundedCache<BrandPointer>({ maxEntries: BRAND_CACHE_MAX_ENTRIES });
const BRAND_CACHE_MS = 60_000;
const UNKNOWN_BRAND_CACHE_MS = 5_000;

/** Brands cached now (tests). */
export const brandCacheSize = (): number => brandCache.size;

/**
 * The tenant a brand belongs to, or undefined. Cached in a warm container (unknown brands
 * briefly), so a generate costs no extra read and a flood of made-up brands no extra reads.
 */
export const brandPointer = async (ref: TableRef, brand: string): Promise<BrandPointer | undefined> => {
  const key = brandKey(brand);
  if (!key || key.length > 64) return undefined;
  const cacheKey = `${ref.tableName}|${key}`;
  const hit = brandCache.get(cacheKey);
  if (hit) return hit.value;
  const item = await getItem(ref, `BRAND#${key}`, 'BRAND');
  const value = item ? { tenantId: String(item.tenantId), brand: String(item.brand) } : undefined;
  brandCache.set(cacheKey, value, value ? BRAND_CACHE_MS : UNKNOWN_BRAND_CACHE_MS);
  return value;
};

/** Points a brand at a tenant (admin). The tenant record must also list the brand in `brands`. */
export const putBrandPointer = async (ref: TableRef, brand: string, tenantId: string): Promise<void> => {
  await guard(() =>
    ref.ddb.send(
      new PutItemCommand({
        TableName: ref.tableName,
        Item: marshall({ pk: `BRAND#${brandKey(brand)}`, sk: 'BRAND', tenantId, brand }),
      }),
    ),
  );
  brandCache.delete(`${ref.tableName}|${brandKey(brand)}`);
};

/** A brand another tenant already points at: claiming it would move that tenant's logins. */
export class BrandTakenError extends Error {
  constructor(
    readonly brand: string,
    readonly owner: string | undefined,
  ) {
    super(`brand ${brand} already belongs to tenant ${owner ?? '(another tenant)'}`);
    this.name = 'BrandTakenError';
  }
}

/**
 * Points a brand at a tenant unless another tenant holds it (admin, on tenant put). The brand
 * names the tenant with no secret, so an overwrite would hand one tenant's logins to another:
 * the condition makes a second claimant fail instead, whichever put comes last.
 */
export const claimBrandPointer = async (ref: TableRef, brand: string, tenantId: string): Promise<void> => {
  try {
    await ref.ddb.send(
      new PutItemCommand({
        TableName: ref.tableName,
        Item: marshall({ pk: `BRAND#${brandKey(brand)}`, sk: 'BRAND', tenantId, brand }),
        ConditionExpression: 'attribute_not_exists(pk) OR tenantId = :t',
        ExpressionAttributeValues: marshall({ ':t': tenantId }),
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    );
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
    const owner = error.Item ? unmarshall(error.Item).tenantId : undefined;
    throw new BrandTakenError(brandKey(brand), owner === undefined ? undefined : String(owner));
  }
  brandCache.delete(`${ref.tableName}|${brandKey(brand)}`);
};

/** Removes a brand's pointer if it points at this tenant (admin); another tenant's is left alone. */
export const releaseBrandPointer = async (
  ref: TableRef,
  brand: string,
  tenantId: string,
): Promise<boolean> => {
  try {
    await ref.ddb.send(
      new DeleteItemCommand({
        TableName: ref.tableName,
        Key: marshall({ pk: `BRAND#${brandKey(brand)}`, sk: 'BRAND' }),
        ConditionExpression: 'tenantId = :t',
        ExpressionAttributeValues: marshall({ ':t': tenantId }),
      }),
    );
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
  brandCache.delete(`${ref.tableName}|${brandKey(brand)}`);
  return true;
};

/** A session from token/generate: what a later otp/generate and otp/validate must match. */
export interface AuthSession {
  id: string;
  tenantId: string;
  /** Upper-case brand (see brandKey). */
  brand: string;
  variant: 'mobile' | 'web';
  identifierType: string;
  /** Keyed hash of the canonical identifier: the table never names the phone or e-mail. */
  identifierHash: string;
  /** Mobile only. */
  deviceId?: string;
  createdAt: number;
  expiresAt: number;
}

/**
 * What a request says of its session; the stored session must hold exactly this (on mobile its
 * device too, absent when the request names none).
 */
export type SessionClaim = Omit<AuthSession, 'createdAt' | 'expiresAt'>;

const sessionKey = (id: string) => marshall({ pk: `SESSION#${id}`, sk: 'SESSION' });

/**
 * The condition a session meets when it serves `claim` at `now`: live, same variant, tenant,
 * brand, identifier and (mobile) device. The same test as `sessionFault`, evaluated by DynamoDB
 * on the committed item, so it can join the engine's transaction instead of a read before it.
 */
const sessionCondition = (claim: SessionClaim, now: number) => {
  const fields = ['variant', 'tenantId', 'brand', 'identifierType', 'identifierHash'] as const;
  const device =
    claim.variant !== 'mobile'
      ? []
      : [claim.deviceId === undefined ? 'attribute_not_exists(#deviceId)' : '#deviceId = :deviceId'];
  return {
    ConditionExpression: and('#expiresAt > :now', ...fields.map((f) => `#${f} = :${f}`), ...device),
    ExpressionAttributeNames: Object.fromEntries(
      ['expiresAt', ...fields, ...(device.length > 0 ? ['deviceId'] : [])].map((f) => [`#${f}`, f]),
    ),
    ExpressionAttributeValues: marshall(
      {
        ':now': now,
        ...Object.fromEntries(fields.map((f) => [`:${f}`, claim[f]])),
        ...(claim.variant === 'mobile' && claim.deviceId !== undefined && { ':deviceId': claim.deviceId }),
      },
      { removeUndefinedValues: true },
    ),
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
  };
};

/** The session check as a ConditionCheck of the engine's transaction (engine `Guard`). */
export const sessionCheck = (
  ref: Pick<TableRef, 'tableName'>,
  claim: SessionClaim,
  now: number,
): TransactWriteItem => ({
  ConditionCheck: { TableName: ref.tableName, Key: sessionKey(claim.id), ...sessionCondition(claim, now) },
});

/**
 * A ConditionCheck that session `id` still lives: what a fallback step of the session's code
 * must hold (shared/engine/fallback.ts), since the code is of no use once its session ended.
 */
export const liveSessionCheck = (
  ref: Pick<TableRef, 'tableName'>,
  id: string,
  now: number,
): TransactWriteItem => ({
  ConditionCheck: {
    TableName: ref.tableName,
    Key: sessionKey(id),
    ConditionExpression: '#expiresAt > :now',
    ExpressionAttributeNames: { '#expiresAt': 'expiresAt' },
    ExpressionAttributeValues: marshall({ ':now': now }),
  },
});

/** The session a Capillary auth code's purpose (`ae:<BRAND>:<sessionId>:…`) names, if any. */
export const sessionOfPurpose = (purpose: string): string | undefined => {
  const [namespace, , id] = purpose.split(':');
  return namespace === 'ae' && id ? id : undefined;
};

/** Stores a new session; the condition makes an id collision fail instead of overwrite. */
export const putSession = async (ref: TableRef, session: AuthSession): Promise<void> => {
  await guard(() =>
    ref.ddb.send(
      new PutItemCommand({
        TableName: ref.tableName,
        Item: marshall(
          { pk: `SESSION#${session.id}`, sk: 'SESSION', ...session, ttl: ttlOf(session.expiresAt) },
          { removeUndefinedValues: true },
        ),
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    ),
  );
};

/** The live session with this id, or undefined when there is none or it has expired. */
export const readSession = async (
  ref: TableRef,
  id: string,
  now: number,
): Promise<AuthSession | undefined> => {
  if (id.length > 64) return undefined;
  const item = await getItem(ref, `SESSION#${id}`, 'SESSION');
  if (!item || Number(item.expiresAt) <= now) return undefined;
  const { pk: _pk, sk: _sk, ttl: _ttl, ...session } = item;
  return session as unknown as AuthSession;
};

/** A mobile refresh key's record; the key itself is never stored. */
export interface RefreshRecord {
  tenantId: string;
  brand: string;
  identifierType: string;
  /** The canonical identifier, AES-GCM sealed (the new token's `sub` needs it in clear). */
  sealedIdentifier: string;
  deviceId: string;
  /** Epoch ms of the OTP validation that created the key (the token's `auth_time`). */
  authTime: number;
  expiresAt: number;
}

/**
 * The writes that end a session at a successful otp/validate (Capillary answers `sessionId: null`
 * then): the session deleted, so a session yields at most one token, and, on mobile, the refresh
 * record stored. They join the verify's own transaction
 * (`VerifyRequest.onSuccess`), so they happen exactly when the code is consumed and cost no round
 * trip of their own.
 */
export const sessionFinish = (
  ref: Pick<TableRef, 'tableName'>,
  claim: SessionClaim,
  now: number,
  refresh?: { keyHash: string; record: RefreshRecord },
): Record<string, TransactWriteItem> => ({
  // The delete carries the session's check (a transaction names the item once).
  sessionEnd: {
    Delete: { TableName: ref.tableName, Key: sessionKey(claim.id), ...sessionCondition(claim, now) },
  },
  ...(refresh && {
    refreshKey: {
      Put: {
        TableName: ref.tableName,
        Item: marshall({
          pk: `REFRESH#${refresh.keyHash}`,
          sk: 'REFRESH',
          ...refresh.record,
          ttl: ttlOf(refresh.record.expiresAt),
        }),
        // 256 random bits never collide; the condition only turns a bug into an error.
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    },
  }),
});

/** The live refresh record of a key hash, or undefined. */
export const readRefresh = async (
  ref: TableRef,
  keyHash: string,
  now: number,
): Promise<RefreshRecord | undefined> => {
  const item = await getItem(ref, `REFRESH#${keyHash}`, 'REFRESH');
  if (!item || Number(item.expiresAt) <= now) return undefined;
  return item as unknown as RefreshRecord;
};

/**
 * Records a payload hash as used; false when it was used before. The conditional put is the
 * whole check, so two parallel replays of one hash cannot both pass. The item lives until the
 * hash would be stale anyway.
 */
export const claimPayloadHash = async (ref: TableRef, hash: string, staleAtMs: number): Promise<boolean> => {
  try {
    await guard(() =>
      ref.ddb.send(
        new PutItemCommand({
          TableName: ref.tableName,
          Item: marshall({ pk: `HASH#${hash}`, sk: 'HASH', expiresAt: staleAtMs, ttl: ttlOf(staleAtMs) }),
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
    );
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
};
