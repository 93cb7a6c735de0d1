/**
 * Operator CLI: tenants, credentials and contacts, in the service's table. The same commands work
 * against the local runtime and a deployed stack:
 *
 *   local:     DYNAMODB_ENDPOINT=http://127.0.0.1:8000 TABLE_NAME=otp-local npm run admin -- <command>
 *   deployed:  TABLE_NAME=<TableName output of the stack>
 *              SEALING_KEY_SECRET_ARN=<SealingKeySecretArn output of the stack>
 *              AWS_PROFILE=… npm run admin -- <command>
 *
 * Tenant secrets (jwt.hs256Secret, brands.*.payloadSigningSecret, channels.zalo.accessToken) are
 * sealed in the table under the tenant sealing key: the stack's secret in AWS (read with your
 * credentials), the local runtime's fixed key against DynamoDB Local (or TENANT_SEALING_KEY).
 *
 * Commands:
 *   tenant put --file tenant.json           create or replace a tenant (validated; see shared/tenants.ts)
 *   tenant show --tenant ID                 print a tenant record, every secret as ***
 *   tenant migrate --tenant ID              rewrite a record in today's form (allowedCountryCodes
 *                                           dialling codes become allowedRegions; secrets written in
 *                                           clear before sealing are sealed; prints the result)
 *   credential create --tenant ID --kind basic|apikey|form --id CLIENT_ID [--secret S]
 *                                           store a credential; prints a generated secret once
 *   contact put --tenant ID --user USER_ID [--phone +E164] [--email ADDR]
 *   contact show --tenant ID --user USER_ID
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LOCAL_CONSTANTS } from '../local/config';
import { randomId } from '../shared/crypto';
import { normalizeEmail, parsePhone } from '../shared/phone';
import { secretValue } from '../shared/secrets';
import { assertTemplate } from '../shared/templates';
import { TenantDirectory } from '../shared/tenant-directory';
import { mapTenantSecrets, tenantSecretFields } from '../shared/tenant-secrets';
import { type CredentialKind, tenantSchema } from '../shared/tenants';

const usage = (message?: string): never => {
  if (message) console.error(`error: ${message}\n`);
  const doc = readFileSync(new URL(import.meta.url), 'utf8').split('*/')[0] ?? '';
  console.error(doc.replace(/^\/\*\*|^ \* ?/gm, '').trim());
  process.exit(2);
};

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    file: { type: 'string' },
    tenant: { type: 'string' },
    kind: { type: 'string' },
    id: { type: 'string' },
    secret: { type: 'string' },
    user: { type: 'string' },
    phone: { type: 'string' },
    email: { type: 'string' },
  },
});

const tableName =
  process.env.TABLE_NAME ?? usage('set TABLE_NAME (the stack output TableName, or otp-local)');
const endpoint = process.env.DYNAMODB_ENDPOINT;
const ddb = new DynamoDBClient(
  endpoint
    ? { endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }
    : {},
);
// Against DynamoDB Local the local runtime's key, so records the CLI writes open in `npm start`.
const localKey = process.env.TENANT_SEALING_KEY ?? (endpoint ? LOCAL_CONSTANTS.tenantSealingKey : undefined);
const sealingKeyArn = process.env.SEALING_KEY_SECRET_ARN;
const loadTenantKey = secretValue(localKey, sealingKeyArn, 'tenant sealing key');
const tenants = new TenantDirectory(ddb, tableName, {
  // Asked for only when a tenant with secrets is read or written.
  tenantKey: () =>
    localKey || sealingKeyArn
      ? loadTenantKey()
      : usage(
          'set SEALING_KEY_SECRET_ARN (the stack output SealingKeySecretArn) to read or write tenant secrets',
        ),
  cacheSeconds: 0,
});
const need = (name: keyof typeof values): string => values[name] ?? usage(`--${name} is required`);

const [noun, verb] = positionals;
try {
  switch (`${noun} ${verb}`) {
    case 'tenant put': {
      const record = tenantSchema.parse(JSON.parse(readFileSync(need('file'), 'utf8')));
      // Refuse a template a dialect would have to refuse at send time (one placeholder, seed 004).
      for (const [action, t] of Object.entries(record.templates)) {
        if (t.sms) assertTemplate(t.sms, `${action} SMS`);
        if (t.email) assertTemplate(t.email.body, `${action} e-mail`);
      }
      await tenants.putTenant(record);
      console.log(`tenant ${record.tenantId} saved`);
      break;
    }
    case 'tenant show': {
      const tenant = await tenants.get(need('tenant'));
      if (!tenant) usage(`no tenant ${values.tenant}`);
      // Every secret field, through the one list of them (shared/tenant-secrets.ts).
      if (tenant)
        console.log(
          JSON.stringify(
            mapTenantSecrets(tenant, () => '***'),
            null,
            2,
          ),
        );
      break;
    }
    case 'tenant migrate': {
      // Reading parses the record, which maps legacy fields (shared/tenants.ts) and opens sealed
      // secrets or takes clear ones as they are; writing stores that, every secret sealed.
      const tenant = await tenants.get(need('tenant'));
      if (!tenant) usage(`no tenant ${values.tenant}`);
      else {
        await tenants.putTenant(tenant);
        console.log(
          JSON.stringify({
            tenantId: tenant.tenantId,
            allowedRegions: tenant.policy.allowedRegions,
            // putTenant seals every secret field: these are now sealed in the table.
            sealedSecrets: tenantSecretFields(tenant).map((f) => f.path.join('.')),
          }),
        );
      }
      break;
    }
    case 'credential create': {
      const kind = need('kind');
      if (!['basic', 'apikey', 'form'].includes(kind)) usage('--kind must be basic, apikey or form');
      const tenantId = need('tenant');
      if (!(await tenants.get(tenantId))) usage(`no tenant ${tenantId}`);
      // Generated secrets are 32 random bytes: stored as SHA-256 only, shown once here.
      const secret = values.secret ?? randomId(32);
      await tenants.putCredential(kind as CredentialKind, need('id'), tenantId, secret);
      console.log(JSON.stringify({ kind, id: values.id, tenantId, secret }, null, 2));
      break;
    }
    case 'contact put': {
      const tenantId = need('tenant');
      const tenant = (await tenants.get(tenantId)) ?? usage(`no tenant ${tenantId}`);
      const phone = values.phone ? parsePhone(values.phone, tenant.policy.defaultCountry)?.e164 : undefined;
      const email = values.email ? normalizeEmail(values.email) : undefined;
      if (values.phone && !phone) usage('--phone is not a valid phone number');
      if (values.email && !email) usage('--email is not a valid e-mail address');
      await tenants.putContact(tenantId, { userId: need('user'), phone, email });
      console.log(`contact ${values.user} saved`);
      break;
    }
    case 'contact show': {
      console.log(JSON.stringify((await tenants.contact(need('tenant'), need('user'))) ?? null, null, 2));
      break;
    }
    default:
      usage(positionals.length ? `unknown command: ${positionals.join(' ')}` : undefined);
  }
} catch (error) {
  // A readable line, not a stack: the usual causes are a bad file or an unreachable table.
  console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
ddb.destroy();
