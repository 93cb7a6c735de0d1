import { open, seal } from './crypto';
import type { Tenant } from './tenants';

/**
 * Tenant secrets at rest (stored sealed, never in clear: SECURITY.md L5). The tenant item keeps each
 * secret field as `sealed:v1:<AES-256-GCM>` under a key derived from the tenant sealing key: a
 * Secrets Manager secret of its own, not the pepper, so rotating the pepper leaves tenants alone.
 * The AAD names the tenant and the field, so a sealed value copied to another tenant or another
 * field does not open.
 */

/** Marks a sealed value. A value without it is a record written before sealing (read as is). */
export const SEALED_PREFIX = 'sealed:v1:';

/** A secret field of a tenant, as its path in the record (`['brands', 'APP', 'payloadSigningSecret']`). */
export type SecretPath = readonly string[];

/**
 * A copy of `tenant` with every secret field replaced by `replace(value, path)`. This is the one
 * list of secret fields: sealing, opening and the admin CLI's masking all go through it.
 */
export const mapTenantSecrets = (
  tenant: Tenant,
  replace: (value: string, path: SecretPath) => string,
): Tenant => {
  const copy = structuredClone(tenant);
  if (copy.jwt?.hs256Secret !== undefined)
    copy.jwt.hs256Secret = replace(copy.jwt.hs256Secret, ['jwt', 'hs256Secret']);
  for (const [brand, settings] of Object.entries(copy.brands)) {
    if (settings.payloadSigningSecret !== undefined)
      settings.payloadSigningSecret = replace(settings.payloadSigningSecret, [
        'brands',
        brand,
        'payloadSigningSecret',
      ]);
  }
  if (copy.channels.zalo)
    copy.channels.zalo.accessToken = replace(copy.channels.zalo.accessToken, [
      'channels',
      'zalo',
      'accessToken',
    ]);
  return copy;
};

/** Every secret field of `tenant` with its value (sealed or not). */
export const tenantSecretFields = (tenant: Tenant): Array<{ path: SecretPath; value: string }> => {
  const fields: Array<{ path: SecretPath; value: string }> = [];
  mapTenantSecrets(tenant, (value, path) => {
    fields.push({ path, value });
    return value;
  });
  return fields;
};

/** Whether a stored value is sealed (else it was written in clear, before sealing). */
export const isSealed = (value: string): boolean => value.startsWith(SEALED_PREFIX);

/** The binding of a sealed value: tenant id and field path, unambiguously (JSON, not a joined string). */
const aadOf = (tenantId: string, path: SecretPath): string =>
  JSON.stringify(['tenant-secret', tenantId, ...path]);

/** A sealed secret that does not open: moved from another tenant or field, tampered with, or another key. */
export class TenantSecretError extends Error {
  constructor(tenantId: string, path: SecretPath, options?: { cause?: unknown }) {
    super(
      `tenant ${tenantId}: ${path.join('.')} does not open under the tenant sealing key (sealed for another tenant or field, altered, or sealed under another key)`,
      options,
    );
    this.name = 'TenantSecretError';
  }
}

/** The tenant as stored: every secret field sealed under `key` and bound to tenant and field. */
export const sealTenantSecrets = (key: Buffer, tenant: Tenant): Tenant =>
  mapTenantSecrets(tenant, (value, path) => {
    // A clear value that looks sealed would be taken for ciphertext when read back.
    if (isSealed(value)) throw new Error(`${path.join('.')} must not start with "${SEALED_PREFIX}"`);
    return `${SEALED_PREFIX}${seal(key, 'tenant-secret', aadOf(tenant.tenantId, path), value)}`;
  });

/**
 * The tenant with its secrets in clear (memory only). Values without the prefix are records
 * written before sealing and are returned as they are; the next write seals them.
 */
export const openTenantSecrets = (key: Buffer, tenant: Tenant): Tenant =>
  mapTenantSecrets(tenant, (value, path) => {
    if (!isSealed(value)) return value;
    try {
      return open(key, 'tenant-secret', aadOf(tenant.tenantId, path), value.slice(SEALED_PREFIX.length));
    } catch (cause) {
      throw new TenantSecretError(tenant.tenantId, path, { cause });
    }
  });
