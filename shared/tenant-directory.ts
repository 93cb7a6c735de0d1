import {
  type AttributeValue,
  ConditionalCheckFailedException,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import * as z from 'zod';
import { BoundedCache } from './bounded-cache';
import { open, randomId, safeEqual, scryptHash, scryptVerify, seal, sha256 } from './crypto';
import { guard } from './store/dynamo';
import { CREDENTIAL_SK, contactSk, credentialPk, TENANT_SK, tenantPk } from './store/keys';
import { isSealed, openTenantSecrets, sealTenantSecrets, tenantSecretFields } from './tenant-secrets';
import { type CredentialKind, type LegacyCredentialKind, type Tenant, tenantSchema } from './tenants';

/** A user of a tenant, for dialects that name a user instead of a destination (SummitAI, USERNAME). */
export const contactSchema = z.object({
  userId: z.string().min(1),
  phone: z.string().optional(),
  email: z.string().optional(),
});
export type Contact = z.infer<typeof contactSchema>;

/** Pointer kind of a CORS origin (`CRED#cors-origin#<origin>` → tenant id); it holds no secret. */
const CORS_ORIGIN_KIND = 'cors-origin';

/**
 * A scrypt hash no password matches (random salt, zero hash): an unknown FORM id is checked
 * against it, so it costs the same scrypt as a known id with a wrong password.
 */
const DECOY_SCRYPT = `scrypt$${randomId(16)}$${'A'.repeat(43)}`;

interface CredentialItem {
  tenantId: string;
  secretHash: string;
  /** The secret sealed under the tenant key, for kinds whose clients sign with it (SIGNING_KINDS). */
  sealedSecret?: string;
}

/**
 * Kinds whose clients prove the secret by an HMAC over the request instead of sending it
 * (LoginRadius's API request signing): the server needs the secret itself, so these keep a copy
 * sealed under the tenant sealing key (AES-256-GCM, bound to kind and id) next to the hash. A
 * table leak alone still reveals no secret (SECURITY.md L5).
 */
export const SIGNING_KINDS: readonly CredentialKind[] = ['loginradius-apikey'];

const signingAad = (kind: CredentialKind, id: string, tenantId: string): string =>
  JSON.stringify(['credential-signing-secret', kind, id, tenantId]);

export interface TenantDirectoryOptions {
  /**
   * The tenant sealing key (Secrets Manager in AWS, a fixed constant locally): seals the tenant's
   * secrets on write and opens them on read (shared/tenant-secrets.ts). Called only for a tenant
   * that has secrets.
   */
  tenantKey: () => Promise<Buffer>;
  /** Seconds a tenant and its credentials stay cached in a warm container; 0 reads every time. */
  cacheSeconds?: number;
  /** Cache bound (default TENANT_CACHE_MAX_ENTRIES). */
  readonly maxCacheEntries?: number;
  /** Milliseconds clock for the cache TTLs (tests); default `performance.now`. */
  readonly now?: () => number;
}

/**
 * A pre-scoping `apikey` item that SummitAI wrote: its id is `<OrgID>:<sha256(APIKey)>` and its
 * secretHash is that same sha256(APIKey), so the id ends in `:` and its own secretHash. Every
 * SummitAI item has this form by construction; a LoginRadius item has it only if its apikey was
 * named after the hash of its own apisecret, which nobody does by accident.
 */
const isSummitAiApiKeyItem = (id: string, item: CredentialItem): boolean =>
  id.endsWith(`:${item.secretHash}`);

/**
 * Where each kind was stored before kinds were per dialect, and which of those items it may still
 * use, so deployed credentials keep working until `credential migrate` rewrites them. `basic`
 * was only ever v2's and `form` only SummitAI FORM's. `apikey` was shared, and is split by
 * `isSummitAiApiKeyItem`: SummitAI APIKey takes only items of SummitAI's form, LoginRadius only
 * the others, so a SummitAI key presented to LoginRadius as `apikey=<OrgID>:<sha256(key)>&
 * apisecret=<key>` is refused, and a LoginRadius key can only reach SummitAI if its apikey is
 * `<OrgID>:<sha256(apisecret)>` (then it is migrated to SummitAI and LoginRadius refuses it).
 * Each old item belongs to exactly one kind. README "Operating it" states the same rule. Kinds
 * made after the split (Twilio's) have no old form.
 */
const LEGACY_KINDS: Partial<
  Record<CredentialKind, { kind: LegacyCredentialKind; owns: (id: string, item: CredentialItem) => boolean }>
> = {
  'v2-basic': { kind: 'basic', owns: () => true },
  'summitai-form': { kind: 'form', owns: () => true },
  'summitai-apikey': { kind: 'apikey', owns: isSummitAiApiKeyItem },
  'loginradius-apikey': { kind: 'apikey', owns: (id, item) => !isSummitAiApiKeyItem(id, item) },
};

/** The current kind an old item belongs to (exactly one, see LEGACY_KINDS). */
const currentKindOf = (legacy: LegacyCredentialKind, id: string, item: CredentialItem): CredentialKind => {
  const kinds = (Object.keys(LEGACY_KINDS) as CredentialKind[]).filter(
    (k) => LEGACY_KINDS[k]?.kind === legacy && LEGACY_KINDS[k].owns(id, item),
  );
  const [kind] = kinds;
  if (!kind || kinds.length !== 1) throw new Error(`No single current kind for a ${legacy} credential`);
  return kind;
};

/** One old credential rewritten by `migrateLegacyCredentials`. */
export interface MigratedCredential {
  from: LegacyCredentialKind;
  to: CredentialKind;
  id: string;
  tenantId: string;
  /** False when a credential of the new kind was already at that id: it wins, the old is dropped. */
  copied: boolean;
}

/**
 * Entries a warm container's directory holds at most: tenants, credentials, issuers, contacts,
 * remembered misses and checked scrypt secrets together. A few KB each at most, so well under
 * the function's memory however many made-up ids arrive; past it the least recently used go.
 */
export const TENANT_CACHE_MAX_ENTRIES = 10_000;

/** Unknown ids are remembered for this long at most (a new credential works within it). */
const UNKNOWN_CACHE_SECONDS = 5;

/**
 * Tenants, their credentials and contacts, read from the table and cached in a warm container
 * for `cacheSeconds` (so a warm generate costs no extra read). Unknown credentials are cached
 * too, for a shorter time, so a flood of bad keys cannot multiply table reads; the cache is
 * bounded (LRU), so the same flood cannot grow the heap either. Tenant secrets are sealed in the
 * table and in clear only in this cache.
 */
export class TenantDirectory {
  private readonly cache: BoundedCache<unknown>;
  private readonly tenantKey: () => Promise<Buffer>;
  private readonly cacheSeconds: number;

  constructor(
    private readonly ddb: DynamoDBClient,
    private readonly tableName: string,
    options: TenantDirectoryOptions,
  ) {
    this.tenantKey = options.tenantKey;
    this.cacheSeconds = options.cacheSeconds ?? 60;
    this.cache = new BoundedCache({
      maxEntries: options.maxCacheEntries ?? TENANT_CACHE_MAX_ENTRIES,
      ...(options.now ? { now: options.now } : {}),
    });
  }

  /** The table this directory reads (for stores of tenant-scoped items kept beside it). */
  get table(): { ddb: DynamoDBClient; tableName: string } {
    return { ddb: this.ddb, tableName: this.tableName };
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
      if (!item) return undefined;
      const stored = tenantSchema.parse(JSON.parse(String(item.record)));
      // The key is fetched only when there is something sealed to open.
      const sealed = tenantSecretFields(stored).some((f) => isSealed(f.value));
      return sealed ? openTenantSecrets(await this.tenantKey(), stored) : stored;
    });
  }

  /**
   * The tenant whose credential `id` has `secret`, else undefined. The secret's hash is compared
   * in constant time, and an unknown id costs the same comparison as a known one.
   */
  async authenticate(kind: CredentialKind, id: string, secret: string): Promise<Tenant | undefined> {
    if (!id || !secret || id.length > 256 || secret.length > 1024) return undefined;
    const cred = await this.cached(`cred:${kind}:${id}`, () => this.credential(kind, id));
    if (!cred && kind === 'summitai-form') {
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
   * The credential of `kind` at `id`: its own item, else an old item its kind still owns
   * (LEGACY_KINDS). Both are read every time, in parallel, so an id that exists only under the old
   * kind, or not at all, costs the same reads as a current one (the constant-time promise above).
   */
  private async credential(kind: CredentialKind, id: string): Promise<CredentialItem | undefined> {
    const legacy = LEGACY_KINDS[kind];
    const [current, old] = await Promise.all([
      this.getItem(credentialPk(kind, id), CREDENTIAL_SK),
      legacy ? this.getItem(credentialPk(legacy.kind, id), CREDENTIAL_SK) : undefined,
    ]);
    if (current) return current as unknown as CredentialItem;
    const item = old as CredentialItem | undefined;
    return item && legacy?.owns(id, item) ? item : undefined;
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

  /**
   * The tenant and the secret of a SIGNING_KINDS credential, to check a request's HMAC, else
   * undefined (unknown id, or a credential stored before sealed copies were kept: `credential
   * create` again with the same `--secret` adds it).
   */
  async signingCredential(
    kind: CredentialKind,
    id: string,
  ): Promise<{ tenant: Tenant; secret: string } | undefined> {
    if (!SIGNING_KINDS.includes(kind) || !id || id.length > 256) return undefined;
    const cred = await this.cached(`cred:${kind}:${id}`, () => this.credential(kind, id));
    if (!cred?.sealedSecret) return undefined;
    const secret = open(
      await this.tenantKey(),
      'tenant-secret',
      signingAad(kind, id, cred.tenantId),
      cred.sealedSecret,
    );
    const tenant = await this.get(cred.tenantId);
    return tenant ? { tenant, secret } : undefined;
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

  /**
   * The tenant that lists this browser origin in `cors.allowedOrigins` (a pointer item written
   * with the tenant, checked against the tenant record so a stale pointer allows nothing), or
   * undefined. An origin belongs to one tenant: the CORS preflight carries no body, so the origin
   * is all there is to decide by.
   */
  async forOrigin(origin: string): Promise<Tenant | undefined> {
    if (origin.length > 256) return undefined;
    const pointer = await this.cached(`origin:${origin}`, async () => {
      const item = await this.getItem(credentialPk(CORS_ORIGIN_KIND, origin), CREDENTIAL_SK);
      return item as { tenantId: string } | undefined;
    });
    const tenant = pointer ? await this.get(pointer.tenantId) : undefined;
    return tenant?.cors?.allowedOrigins.includes(origin) ? tenant : undefined;
  }

  /** A user's contact details, or undefined. */
  async contact(tenantId: string, userId: string): Promise<Contact | undefined> {
    return this.cached(`contact:${tenantId}:${userId}`, async () => {
      const item = await this.getItem(tenantPk(tenantId), contactSk(userId));
      return item ? contactSchema.parse(item) : undefined;
    });
  }

  /** Creates or replaces a tenant (admin), its secrets sealed under the tenant key. */
  async putTenant(tenant: Tenant): Promise<void> {
    const parsed = tenantSchema.parse(tenant);
    const stored =
      tenantSecretFields(parsed).length > 0 ? sealTenantSecrets(await this.tenantKey(), parsed) : parsed;
    await this.ddb.send(
      new PutItemCommand({
        TableName: this.tableName,
        Item: marshall({ pk: tenantPk(parsed.tenantId), sk: TENANT_SK, record: JSON.stringify(stored) }),
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
    for (const origin of parsed.cors?.allowedOrigins ?? []) {
      await this.ddb.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: marshall({
            pk: credentialPk(CORS_ORIGIN_KIND, origin),
            sk: CREDENTIAL_SK,
            tenantId: parsed.tenantId,
          }),
        }),
      );
      this.cache.delete(`origin:${origin}`);
    }
  }

  /**
   * Stores a credential as a hash (SHA-256 or scrypt, see below), plus a sealed copy for the
   * kinds whose clients sign requests with the secret (SIGNING_KINDS) (admin).
   */
  async putCredential(kind: CredentialKind, id: string, tenantId: string, secret: string): Promise<void> {
    const sealedSecret = SIGNING_KINDS.includes(kind)
      ? seal(await this.tenantKey(), 'tenant-secret', signingAad(kind, id, tenantId), secret)
      : undefined;
    await this.ddb.send(
      new PutItemCommand({
        TableName: this.tableName,
        Item: marshall({
          pk: credentialPk(kind, id),
          sk: CREDENTIAL_SK,
          tenantId,
          // FORM passwords are chosen by people: salted scrypt. Keys and client secrets are
          // generated (32 random bytes) or refused under 128 bits by the admin CLI
          // (credential-secret.ts), for which SHA-256 is enough and costs nothing per request.
          secretHash: kind === 'summitai-form' ? scryptHash(secret) : sha256(secret),
          ...(sealedSecret ? { sealedSecret } : {}),
        }),
      }),
    );
    this.cache.delete(`cred:${kind}:${id}`);
  }

  /**
   * Rewrites every credential stored under an old shared kind (`basic`, `apikey`, `form`) as the
   * kind of the dialect it belongs to (LEGACY_KINDS) and deletes the old item (admin,
   * `credential migrate`). The new item is written first, so the credential never disappears;
   * one already at the new id is kept (authenticate reads it first anyway). A scan of the whole
   * table: run it once per deployment, not in a request path.
   */
  async migrateLegacyCredentials(): Promise<MigratedCredential[]> {
    const legacyKinds: LegacyCredentialKind[] = ['basic', 'apikey', 'form'];
    const migrated: MigratedCredential[] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await this.ddb.send(
        new ScanCommand({
          TableName: this.tableName,
          FilterExpression:
            'sk = :sk AND (begins_with(pk, :k0) OR begins_with(pk, :k1) OR begins_with(pk, :k2))',
          ExpressionAttributeValues: marshall({
            ':sk': CREDENTIAL_SK,
            ...Object.fromEntries(legacyKinds.map((k, i) => [`:k${i}`, credentialPk(k, '')])),
          }),
          ExclusiveStartKey: start,
        }),
      );
      for (const raw of page.Items ?? []) {
        const { pk, ...rest } = unmarshall(raw) as { pk: string; tenantId: string; secretHash: string };
        const from = legacyKinds.find((k) => pk.startsWith(credentialPk(k, ''))) as LegacyCredentialKind;
        const id = pk.slice(credentialPk(from, '').length);
        const to = currentKindOf(from, id, rest);
        const copied = await this.ddb
          .send(
            new PutItemCommand({
              TableName: this.tableName,
              Item: marshall({ ...rest, pk: credentialPk(to, id) }),
              ConditionExpression: 'attribute_not_exists(pk)',
            }),
          )
          .then(
            () => true,
            (error: unknown) => {
              if (error instanceof ConditionalCheckFailedException) return false;
              throw error;
            },
          );
        await this.ddb.send(
          new DeleteItemCommand({ TableName: this.tableName, Key: marshall({ pk, sk: CREDENTIAL_SK }) }),
        );
        this.cache.delete(`cred:${to}:${id}`);
        migrated.push({ from, to, id, tenantId: rest.tenantId, copied });
      }
      start = page.LastEvaluatedKey;
    } while (start);
    return migrated;
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
