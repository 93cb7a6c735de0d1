import { type DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import * as z from 'zod';
import { BoundedCache } from './bounded-cache';
import { randomId, safeEqual, scryptHash, scryptVerify, sha256 } from './crypto';
import { guard } from './store/dynamo';
import { CREDENTIAL_SK, contactSk, credentialPk, TENANT_SK, tenantPk } from './store/keys';
import { type CredentialKind, type Tenant, tenantSchema } from './tenants';

/** A user of a tenant, for dialects that name a user instead of a destination (SummitAI, USERNAME). */
export const contactSchema = z.object({
  userId: z.string().min(1),
  phone: z.string().optional(),
  email: z.string().optional(),
});
export type Contact = z.infer<typeof contactSchema>;

/**
 * A scrypt hash no password matches (random salt, zero hash): an unknown FORM id is checked
 * against it, so it costs the same scrypt as a known id with a wrong password.
 */
const DECOY_SCRYPT = `scrypt$${randomId(16)}$${'A'.repeat(43)}`;

interface CredentialItem {
  tenantId: string;
  secretHash: string;
}

/**
 * Entries a warm container's directory holds at most: tenants, credentials, issuers, contacts,
 * remembered misses and checked scrypt secrets together. A few KB each at most, so well under
 * the function's memory however many made-up ids arrive; past it the least recently used go.
 */
export const TENANT_CACHE_MAX_ENTRIES = 10_000;

/** Unknown ids are remembered for this long at most (a new credential works within it). */
const UNKNOWN_CACHE_SECONDS = 5;

export interface TenantDirectoryOptions {
  /** Cache bound (default TENANT_CACHE_MAX_ENTRIES). */
  readonly maxCacheEntries?: number;
  /** Milliseconds clock for the cache TTLs (tests); default `performance.now`. */
  readonly now?: () => number;
}

/**
 * Tenants, their credentials and contacts, read from the table and cached in a warm container
 * for `cacheSeconds` (so a warm generate costs no extra read). Unknown credentials are cached
 * too, for a shorter time, so a flood of bad keys cannot multiply table reads; the cache is
 * bounded (LRU), so the same flood cannot grow the heap either.
 */
export class TenantDirectory {
  private readonly cache: BoundedCache<unknown>;

  constructor(
    private readonly ddb: DynamoDBClient,
    private readonly tableName: string,
    private readonly cacheSeconds = 60,
    options: TenantDirectoryOptions = {},
  ) {
    this.cache = new BoundedCache({
      maxEntries: options.maxCacheEntries ?? TENANT_CACHE_MAX_ENTRIES,
      ...(options.now ? { now: options.now } : {}),
    });
  }

  /** Entries cached now (tests, and a bound to reason about). */
  get cacheSize(): number {
    return this.cache.size;
  }

  private async cached<T>(key: string, load: () => Promise<T | undefined>): Promise<T | undefined> {
    const hit = this.cache.get(key);
    if (hit) return hit.value as T | undefined;
    const value = await load();
    const ttl = value === undefined ? Math.min(UNKNOWN_CACHE_SECONDS, this.cacheSeconds) : this.cacheSeconds;
    this.cache.set(key, value, ttl * 1000);
    return value;
  }

  private async getItem(pk: string, sk: string): Promise<Record<string, unknown> | undefined> {
    const out = await guard(() =>
      this.ddb.send(new GetItemCommand({ TableName: this.tableName, Key: marshall({ pk, sk }) })),
    );
    return out.Item ? unmarshall(out.Item) : undefined;
  }

  /** The tenant, or undefined when there is none. */
  async get(tenantId: string): Promise<Tenant | undefined> {
    return this.cached(`tenant:${tenantId}`, async () => {
      const item = await this.getItem(tenantPk(tenantId), TENANT_SK);
      return item ? tenantSchema.parse(JSON.parse(String(item.record))) : undefined;
    });
  }

  /**
   * The tenant whose credential `id` has `secret`, else undefined. The secret's hash is compared
   * in constant time, and an unknown id costs the same comparison as a known one.
   */
  async authenticate(kind: CredentialKind, id: string, secret: string): Promise<Tenant | undefined> {
    if (!id || !secret || id.length > 256 || secret.length > 1024) return undefined;
    const cred = await this.cached(`cred:${kind}:${id}`, async () => {
      const item = await this.getItem(credentialPk(kind, id), CREDENTIAL_SK);
      return item as CredentialItem | undefined;
    });
    if (!cred && kind === 'form') {
      // scrypt takes tens of milliseconds: skipping it for unknown ids would time out which user names exist.
      scryptVerify(secret, DECOY_SCRYPT);
      return undefined;
    }
    const matches = cred?.secretHash.startsWith('scrypt$')
      ? await this.checkSlowSecret(kind, id, secret, cred.secretHash)
      : safeEqual(sha256(secret), cred?.secretHash ?? sha256(`absent:${id}`));
    return matches && cred ? this.get(cred.tenantId) : undefined;
  }

  /**
   * scrypt is deliberately slow (~50 ms); a warm container remembers a secret it already checked
   * (by a SHA-256 of id and secret, in memory only) for the cache period.
   */
  private async checkSlowSecret(
    kind: CredentialKind,
    id: string,
    secret: string,
    stored: string,
  ): Promise<boolean> {
    const key = `slow:${kind}:${sha256(`${id}\u0000${secret}`)}`;
    const hit = this.cache.get(key);
    if (hit) return hit.value === stored;
    const ok = scryptVerify(secret, stored);
    if (ok) this.cache.set(key, stored, this.cacheSeconds * 1000);
    return ok;
  }

  /** The tenant whose JWTs carry this `iss` (a pointer item written with the tenant), or undefined. */
  async forIssuer(issuer: string): Promise<Tenant | undefined> {
    if (issuer.length > 512) return undefined;
    const pointer = await this.cached(`issuer:${issuer}`, async () => {
      const item = await this.getItem(credentialPk('jwt-issuer', issuer), CREDENTIAL_SK);
      return item as { tenantId: string } | undefined;
    });
    return pointer ? this.get(pointer.tenantId) : undefined;
  }

  /** A user's contact details, or undefined. */
  async contact(tenantId: string, userId: string): Promise<Contact | undefined> {
    return this.cached(`contact:${tenantId}:${userId}`, async () => {
      const item = await this.getItem(tenantPk(tenantId), contactSk(userId));
      return item ? contactSchema.parse(item) : undefined;
    });
  }

  /** Creates or replaces a tenant (admin). */
  async putTenant(tenant: Tenant): Promise<void> {
    const parsed = tenantSchema.parse(tenant);
    await this.ddb.send(
      new PutItemCommand({
        TableName: this.tableName,
        Item: marshall({ pk: tenantPk(parsed.tenantId), sk: TENANT_SK, record: JSON.stringify(parsed) }),
      }),
    );
    this.cache.delete(`tenant:${parsed.tenantId}`);
    if (parsed.jwt) {
      await this.ddb.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: marshall({
            pk: credentialPk('jwt-issuer', parsed.jwt.issuer),
            sk: CREDENTIAL_SK,
            tenantId: parsed.tenantId,
          }),
        }),
      );
      this.cache.delete(`issuer:${parsed.jwt.issuer}`);
    }
  }

  /** Stores a credential as a hash only (SHA-256 or scrypt, see below) (admin). */
  async putCredential(kind: CredentialKind, id: string, tenantId: string, secret: string): Promise<void> {
    await this.ddb.send(
      new PutItemCommand({
        TableName: this.tableName,
        Item: marshall({
          pk: credentialPk(kind, id),
          sk: CREDENTIAL_SK,
          tenantId,
          // FORM passwords are chosen by people: salted scrypt. Generated keys and client secrets
          // are 32 random bytes, for which SHA-256 is enough and costs nothing per request.
          secretHash: kind === 'form' ? scryptHash(secret) : sha256(secret),
        }),
      }),
    );
    this.cache.delete(`cred:${kind}:${id}`);
  }

  /** Creates or replaces a contact (admin). */
  async putContact(tenantId: string, contact: Contact): Promise<void> {
    const parsed = contactSchema.parse(contact);
    await this.ddb.send(
      new PutItemCommand({
        TableName: this.tableName,
        Item: marshall(
          { pk: tenantPk(tenantId), sk: contactSk(parsed.userId), ...parsed },
          { removeUndefinedValues: true },
        ),
      }),
    );
    this.cache.delete(`contact:${tenantId}:${parsed.userId}`);
  }
}
