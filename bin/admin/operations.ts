/**
 * What the admin CLI does to the table, as functions (bin/admin.ts parses arguments and prints;
 * the tests call these and the CLI both). Operator actions only: full-table scans are fine here
 * and never in a request path.
 */
import {
  type AttributeValue,
  BatchWriteItemCommand,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  ScanCommand,
  type ScanCommandInput,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { generateSecret } from '../../shared/credential-secret';
import { apiKeyCredentialId } from '../../shared/dialects/summitai/credentials';
import {
  BrandTakenError,
  brandKey,
  claimBrandPointer,
  releaseBrandPointer,
} from '../../shared/store/capillary-auth-sessions';
import { CREDENTIAL_SK, credentialPk, TENANT_SK, tenantPk } from '../../shared/store/keys';
import type { TenantDirectory } from '../../shared/tenant-directory';
import { tenantSecretFields } from '../../shared/tenant-secrets';
import { CREDENTIAL_KINDS, type CredentialKind, type Tenant, tenantSchema } from '../../shared/tenants';

/** The table the CLI works on, and the directory over it (cache off). */
export interface AdminStore {
  ddb: DynamoDBClient;
  tableName: string;
  tenants: TenantDirectory;
}

/** A refusal the operator can fix (unknown tenant, taken brand): printed as is, exit 1. */
export class AdminError extends Error {
  override name = 'AdminError';
}

/** Every item a scan with these conditions finds, page by page. */
async function* scanAll(
  store: AdminStore,
  input: Omit<ScanCommandInput, 'TableName' | 'ExclusiveStartKey'>,
): AsyncGenerator<Record<string, unknown>> {
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await store.ddb.send(
      new ScanCommand({ ...input, TableName: store.tableName, ExclusiveStartKey: start }),
    );
    for (const item of page.Items ?? []) yield unmarshall(item);
    start = page.LastEvaluatedKey;
  } while (start);
}

const getItem = async (store: AdminStore, pk: string, sk: string) => {
  const out = await store.ddb.send(
    new GetItemCommand({ TableName: store.tableName, Key: marshall({ pk, sk }), ConsistentRead: true }),
  );
  return out.Item ? unmarshall(out.Item) : undefined;
};

/** Deletes items by key, 25 per request (the BatchWriteItem limit), retrying what comes back unprocessed. */
const deleteKeys = async (store: AdminStore, keys: Array<{ pk: string; sk: string }>): Promise<void> => {
  for (let i = 0; i < keys.length; i += 25) {
    let requests: Record<string, NonNullable<BatchWriteItemCommand['input']['RequestItems']>[string]> = {
      [store.tableName]: keys.slice(i, i + 25).map((key) => ({ DeleteRequest: { Key: marshall(key) } })),
    };
    for (let attempt = 0; Object.keys(requests).length > 0; attempt += 1) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, Math.min(2000, 50 * 2 ** attempt)));
      const out = await store.ddb.send(new BatchWriteItemCommand({ RequestItems: requests }));
      requests = out.UnprocessedItems ?? {};
    }
  }
};

// --- tenants ---------------------------------------------------------------------------------

/** The stored record without opening its secrets (no sealing key needed), or undefined. */
export const storedTenant = async (store: AdminStore, tenantId: string): Promise<Tenant | undefined> => {
  const item = await getItem(store, tenantPk(tenantId), TENANT_SK);
  return item ? tenantSchema.parse(JSON.parse(String(item.record))) : undefined;
};

/** A brand name as the auth-engine dialect looks it up (brandKey), checked for what it accepts. */
const brandKeys = (tenant: Tenant): string[] => {
  const keys = Object.keys(tenant.brands).map((name) => {
    const key = brandKey(name);
    if (!key || key.length > 64) throw new AdminError(`brand "${name}": 1 to 64 characters`);
    return key;
  });
  const twice = keys.find((k, i) => keys.indexOf(k) !== i);
  if (twice) throw new AdminError(`brand ${twice} is listed twice (brands match case-insensitively)`);
  return keys;
};

/** Which tenant each brand points at now (undefined: free). */
const brandOwners = async (store: AdminStore, keys: string[]) =>
  Promise.all(
    keys.map(async (brand) => ({
      brand,
      owner: (await getItem(store, `BRAND#${brand}`, 'BRAND'))?.tenantId as string | undefined,
    })),
  );

/**
 * Creates or replaces a tenant and provisions its Capillary auth brands: the dialect finds a
 * tenant by a `BRAND#<BRAND>` pointer (shared/store/capillary-auth-sessions.ts), so a brand in
 * `tenant.brands` without one answers 1519 "unknown brand". A brand another tenant holds is
 * refused before anything is written; brands the previous record listed and this one does not
 * lose their pointer.
 */
export const putTenant = async (
  store: AdminStore,
  tenant: Tenant,
): Promise<{ brands: string[]; released: string[] }> => {
  const keys = brandKeys(tenant);
  const taken = (await brandOwners(store, keys)).find((b) => b.owner && b.owner !== tenant.tenantId);
  if (taken) throw new BrandTakenError(taken.brand, taken.owner);
  const previous = await storedTenant(store, tenant.tenantId);
  await store.tenants.putTenant(tenant);
  for (const brand of keys) await claimBrandPointer(store, brand, tenant.tenantId);
  const dropped = previous ? brandKeys(previous).filter((k) => !keys.includes(k)) : [];
  const released: string[] = [];
  for (const brand of dropped)
    if (await releaseBrandPointer(store, brand, tenant.tenantId)) released.push(brand);
  return { brands: keys, released };
};

/** Writes the brand pointers of a tenant already in the table (records put before provisioning). */
export const provisionBrands = async (store: AdminStore, tenantId: string): Promise<string[]> => {
  const tenant = await storedTenant(store, tenantId);
  if (!tenant) throw new AdminError(`no tenant ${tenantId}`);
  const keys = brandKeys(tenant);
  const taken = (await brandOwners(store, keys)).find((b) => b.owner && b.owner !== tenantId);
  if (taken) throw new BrandTakenError(taken.brand, taken.owner);
  for (const brand of keys) await claimBrandPointer(store, brand, tenantId);
  return keys;
};

/** One row of `tenant list`: no secret, not even sealed. */
export interface TenantSummary {
  tenantId: string;
  name: string;
  brands: string[];
  jwtIssuer?: string;
}

export const listTenants = async (store: AdminStore): Promise<TenantSummary[]> => {
  const rows: TenantSummary[] = [];
  for await (const item of scanAll(store, {
    FilterExpression: 'sk = :sk',
    ExpressionAttributeValues: marshall({ ':sk': TENANT_SK }),
  })) {
    const t = tenantSchema.parse(JSON.parse(String(item.record)));
    rows.push({
      tenantId: t.tenantId,
      name: t.name,
      brands: Object.keys(t.brands),
      ...(t.jwt ? { jwtIssuer: t.jwt.issuer } : {}),
    });
  }
  return rows.sort((a, b) => a.tenantId.localeCompare(b.tenantId));
};

/** What `tenant delete` removed, by kind of item. */
export interface DeletedTenant {
  credentials: number;
  contacts: number;
  brands: string[];
  /** Challenges, counters, sessions and refresh keys (they would expire by TTL anyway). */
  other: number;
}

/**
 * Deletes a tenant and everything that names it: its credentials and JWT issuer pointer, brand
 * pointers, contacts, challenges, counters and auth sessions. The tenant record goes last, so a
 * run cut short leaves the tenant listed and a second run finishes the job.
 */
export const deleteTenant = async (store: AdminStore, tenantId: string): Promise<DeletedTenant> => {
  if (!(await getItem(store, tenantPk(tenantId), TENANT_SK))) throw new AdminError(`no tenant ${tenantId}`);
  const result: DeletedTenant = { credentials: 0, contacts: 0, brands: [], other: 0 };
  const keys: Array<{ pk: string; sk: string }> = [];
  for await (const item of scanAll(store, {
    // The tenant's partitions (`T#<id>` and `T#<id>#…`), and other items that carry its id.
    FilterExpression: 'pk = :pk OR begins_with(pk, :prefix) OR tenantId = :t',
    ExpressionAttributeValues: marshall({
      ':pk': tenantPk(tenantId),
      ':prefix': `${tenantPk(tenantId)}#`,
      ':t': tenantId,
    }),
    ProjectionExpression: 'pk, sk',
  })) {
    const key = { pk: String(item.pk), sk: String(item.sk) };
    if (key.pk === tenantPk(tenantId) && key.sk === TENANT_SK) continue;
    if (key.sk === CREDENTIAL_SK) result.credentials += 1;
    else if (key.sk.startsWith('CONTACT#')) result.contacts += 1;
    else if (key.sk === 'BRAND') result.brands.push(key.pk.slice('BRAND#'.length));
    else result.other += 1;
    keys.push(key);
  }
  await deleteKeys(store, keys);
  await store.ddb.send(
    new DeleteItemCommand({
      TableName: store.tableName,
      Key: marshall({ pk: tenantPk(tenantId), sk: TENANT_SK }),
    }),
  );
  return result;
};

/**
 * The tenant secrets the service hands out, and so may generate: a brand's payload-signing
 * secret and the JWT HS256 secret (the tenant's app signs with them). A Zalo access token comes
 * from Zalo and is set with `tenant put`.
 */
const rotatable = (path: readonly string[]): boolean =>
  (path[0] === 'brands' && path[2] === 'payloadSigningSecret') || path.join('.') === 'jwt.hs256Secret';

/**
 * Replaces one tenant secret with a generated one and returns it (printed once); for a brand
 * without one, this turns payload signing on. The old value
 * stops opening requests at once in a fresh container, within TENANT_CACHE_SECONDS in a warm one.
 */
export const rotateTenantSecret = async (
  store: AdminStore,
  tenantId: string,
  field: string,
): Promise<string> => {
  const tenant = await store.tenants.get(tenantId);
  if (!tenant) throw new AdminError(`no tenant ${tenantId}`);
  // Every listed brand may get a secret (turning payload signing on); the JWT secret only if set.
  const fields = [
    ...Object.keys(tenant.brands).map((brand) => ['brands', brand, 'payloadSigningSecret']),
    ...tenantSecretFields(tenant).map((f) => f.path),
  ].filter(rotatable);
  const path = fields.find((p) => p.join('.') === field);
  if (!path) {
    const choices = [...new Set(fields.map((p) => p.join('.')))];
    throw new AdminError(
      `tenant ${tenantId} has no generated secret at ${field}; it has: ${choices.join(', ') || '(none)'}`,
    );
  }
  const secret = generateSecret();
  const next = structuredClone(tenant);
  if (path[0] === 'jwt' && next.jwt) next.jwt.hs256Secret = secret;
  else {
    const brand = next.brands[path[1] as string];
    if (brand) brand.payloadSigningSecret = secret;
  }
  await store.tenants.putTenant(next);
  return secret;
};

// --- brands ----------------------------------------------------------------------------------

export interface BrandRow {
  brand: string;
  tenantId: string;
  /** Whether the tenant still lists the brand: a pointer alone serves nothing. */
  listed: boolean;
}

export const listBrands = async (store: AdminStore): Promise<BrandRow[]> => {
  const rows: BrandRow[] = [];
  const brandsOf = new Map<string, string[]>();
  for await (const item of scanAll(store, {
    FilterExpression: 'sk = :sk',
    ExpressionAttributeValues: marshall({ ':sk': 'BRAND' }),
  })) {
    const tenantId = String(item.tenantId);
    if (!brandsOf.has(tenantId))
      brandsOf.set(tenantId, Object.keys((await storedTenant(store, tenantId))?.brands ?? {}).map(brandKey));
    const brand = String(item.pk).slice('BRAND#'.length);
    rows.push({ brand, tenantId, listed: brandsOf.get(tenantId)?.includes(brand) ?? false });
  }
  return rows.sort((a, b) => a.brand.localeCompare(b.brand));
};

// --- credentials -----------------------------------------------------------------------------

const LEGACY = ['basic', 'apikey', 'form'];

export interface CredentialRow {
  kind: string;
  id: string;
  tenantId: string;
  /** Stored under an old shared kind: `credential migrate` rewrites it. */
  legacy?: true;
}

/** Every credential (never its hash), optionally of one tenant; JWT issuer pointers are not credentials. */
export const listCredentials = async (store: AdminStore, tenantId?: string): Promise<CredentialRow[]> => {
  const rows: CredentialRow[] = [];
  for await (const item of scanAll(store, {
    FilterExpression: `sk = :sk AND begins_with(pk, :cred)${tenantId ? ' AND tenantId = :t' : ''}`,
    ExpressionAttributeValues: marshall({
      ':sk': CREDENTIAL_SK,
      ':cred': 'CRED#',
      ...(tenantId ? { ':t': tenantId } : {}),
    }),
    ProjectionExpression: 'pk, tenantId',
  })) {
    // `CRED#<kind>#<id>`: kinds have no `#`, ids may.
    const rest = String(item.pk).slice('CRED#'.length);
    const kind = rest.slice(0, rest.indexOf('#'));
    if (kind === 'jwt-issuer') continue;
    rows.push({
      kind,
      id: rest.slice(kind.length + 1),
      tenantId: String(item.tenantId),
      ...(LEGACY.includes(kind) ? { legacy: true as const } : {}),
    });
  }
  return rows.sort(
    (a, b) =>
      a.tenantId.localeCompare(b.tenantId) || a.kind.localeCompare(b.kind) || a.id.localeCompare(b.id),
  );
};

/** The tenant a stored credential belongs to, or undefined. */
const credentialOwner = async (
  store: AdminStore,
  kind: CredentialKind,
  id: string,
): Promise<string | undefined> =>
  (await getItem(store, credentialPk(kind, id), CREDENTIAL_SK))?.tenantId as string | undefined;

const missing = (kind: CredentialKind, id: string) =>
  new AdminError(
    `no ${kind} credential ${id} (\`credential list\` shows the ids; old shared kinds need \`credential migrate\` first)`,
  );

/** Deletes one credential; it is refused from the next request (within TENANT_CACHE_SECONDS when warm). */
export const deleteCredential = async (
  store: AdminStore,
  kind: CredentialKind,
  id: string,
): Promise<string> => {
  const tenantId = await credentialOwner(store, kind, id);
  if (!tenantId) throw missing(kind, id);
  await store.ddb.send(
    new DeleteItemCommand({
      TableName: store.tableName,
      Key: marshall({ pk: credentialPk(kind, id), sk: CREDENTIAL_SK }),
    }),
  );
  return tenantId;
};

export interface RotatedCredential {
  kind: CredentialKind;
  id: string;
  tenantId: string;
  secret: string;
  /** SummitAI APIKey ids are computed from the key, so a new key has a new id and the old id goes. */
  previousId?: string;
}

/**
 * Gives a credential a new secret; the old one is refused from then on (a warm function may
 * still accept it for TENANT_CACHE_SECONDS, 60 s by default). The id stays, except for SummitAI
 * APIKey, whose id is `<OrgID>:<sha256(APIKey)>`: the new key's id is written and the old deleted.
 */
export const rotateCredential = async (
  store: AdminStore,
  kind: CredentialKind,
  id: string,
  secret: string = generateSecret(),
): Promise<RotatedCredential> => {
  const tenantId = await credentialOwner(store, kind, id);
  if (!tenantId) throw missing(kind, id);
  const newId = kind === 'summitai-apikey' ? apiKeyCredentialId(id.slice(0, id.indexOf(':')), secret) : id;
  await store.tenants.putCredential(kind, newId, tenantId, secret);
  if (newId !== id) await deleteCredential(store, kind, id);
  return { kind, id: newId, tenantId, secret, ...(newId !== id ? { previousId: id } : {}) };
};

/** Whether `kind` names a current credential kind. */
export const isCredentialKind = (kind: string): kind is CredentialKind =>
  (CREDENTIAL_KINDS as readonly string[]).includes(kind);
