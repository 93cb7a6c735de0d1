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
 *   credential create --tenant ID --kind KIND (--id ID | --org ORG_ID [--user USERNAME]) [--secret S]
 *                                           store a credential (hashed). Without --secret, one is generated
 *                                           (32 random bytes, base64url) and printed once. A credential
 *                                           works only for its kind's dialect. KIND is one of:
 *     v2-basic            --id CLIENT_ID    capillary-v2 HTTP Basic: client id (no ':') and client secret
 *     loginradius-apikey  --id APIKEY       LoginRadius ?apikey=…&apisecret=…: the secret is the apisecret
 *     summitai-apikey     --org ORG_ID      SummitAI AuthType APIKey: the secret is the APIKey itself; the
 *                                           id is computed here as <OrgID>:<sha256(APIKey)> (SHA-256 as
 *                                           base64url, not hex) and printed
 *     summitai-form       --org ORG_ID --user USERNAME
 *                                           SummitAI AuthType FORM: id <OrgID>:<UserName>, the secret is the
 *                                           Password (salted scrypt)
 *                                           A given --secret is refused under 128 bits, estimated as length ×
 *                                           log2(alphabet) (shared/credential-secret.ts: e.g. 24 random
 *                                           base64url or 32 hex characters); a FORM password needs 15 characters
 *   credential migrate                      rewrite credentials of the old shared kinds (basic → v2-basic,
 *                                           form → summitai-form, apikey → summitai-apikey when its id is
 *                                           <OrgID>:<its own stored hash>, else loginradius-apikey) and delete
 *                                           the old items; prints one line per credential
 *   contact put --tenant ID --user USER_ID [--phone +E164] [--email ADDR]
 *   contact show --tenant ID --user USER_ID
 *   verification show --tenant ID --purpose PURPOSE --subject PHONE_OR_EMAIL
 *                                           status (pending, approved, expired, max_attempts_reached),
 *                                           attempts left, expiry and delivery status per channel of the
 *                                           subject's code; needs the pepper (PEPPER_SECRET_ARN in AWS)
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LOCAL_CONSTANTS } from '../local/config';
import { generateSecret, secretProblem } from '../shared/credential-secret';
import { apiKeyCredentialId, formCredentialId } from '../shared/dialects/summitai/credentials';
import { normalizeEmail, parsePhone } from '../shared/phone';
import { secretValue } from '../shared/secrets';
import { assertTemplate } from '../shared/templates';
import { TenantDirectory } from '../shared/tenant-directory';
import { mapTenantSecrets, tenantSecretFields } from '../shared/tenant-secrets';
import { CREDENTIAL_KINDS, type CredentialKind, tenantSchema } from '../shared/tenants';
import { showVerification } from './admin-verification';

/** Prints the usage above; an error first when there is one (exit 2), else to stdout (exit 0). */
const usage = (message?: string): never => {
  const doc = readFileSync(new URL(import.meta.url), 'utf8').split('*/')[0] ?? '';
  const text = doc.replace(/^\/\*\*|^ \* ?/gm, '').trim();
  if (message === undefined) {
    console.log(text);
    process.exit(0);
  }
  console.error(`error: ${message}\n\n${text}`);
  process.exit(2);
};

const args = (() => {
  try {
    return parseArgs({
      allowPositionals: true,
      options: {
        help: { type: 'boolean', short: 'h' },
        file: { type: 'string' },
        tenant: { type: 'string' },
        kind: { type: 'string' },
        id: { type: 'string' },
        org: { type: 'string' },
        secret: { type: 'string' },
        user: { type: 'string' },
        phone: { type: 'string' },
        email: { type: 'string' },
        purpose: { type: 'string' },
        subject: { type: 'string' },
      },
    });
  } catch (error) {
    // An unknown or malformed option: say which, with the usage, not a stack.
    return usage(error instanceof Error ? error.message : String(error));
  }
})();
const { positionals, values } = args;
// Help needs no table: `--help`, `-h`, `help`, or no command at all.
if (values.help || positionals.length === 0 || positionals[0] === 'help') usage();

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
const need = (name: Exclude<keyof typeof values, 'help'>): string =>
  values[name] ?? usage(`--${name} is required`);

/** The kinds before credentials were per dialect, and what each became. */
const RENAMED: Record<string, string> = {
  basic: 'v2-basic',
  apikey: 'loginradius-apikey or summitai-apikey',
  form: 'summitai-form',
};

const credentialKind = (kind: string): CredentialKind => {
  if ((CREDENTIAL_KINDS as readonly string[]).includes(kind)) return kind as CredentialKind;
  if (RENAMED[kind]) usage(`--kind ${kind} is now per dialect: ${RENAMED[kind]}`);
  return usage(`--kind must be one of ${CREDENTIAL_KINDS.join(', ')}`);
};

/** The id a dialect looks the credential up by (SummitAI's are computed, as its handler does). */
const credentialId = (kind: CredentialKind, secret: string): string => {
  const org = (): string => {
    if (values.id) usage(`${kind} takes --org${kind === 'summitai-form' ? ' and --user' : ''}, not --id`);
    const orgId = need('org');
    if (!/^\d{1,15}$/.test(orgId)) usage('--org must be the numeric SummitAI OrgID');
    return orgId;
  };
  let id: string;
  if (kind === 'summitai-apikey') id = apiKeyCredentialId(org(), secret);
  else if (kind === 'summitai-form') id = formCredentialId(org(), need('user').trim());
  else id = need('id');
  if (kind === 'v2-basic' && id.includes(':')) usage('a Basic client id cannot contain ":"');
  // TenantDirectory.authenticate refuses longer ids.
  if (id.length > 256) usage('the credential id is longer than 256 characters');
  return id;
};

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
      const kind = credentialKind(need('kind'));
      const tenantId = need('tenant');
      if (!(await tenants.get(tenantId))) usage(`no tenant ${tenantId}`);
      // Keys are stored as unsalted SHA-256: a guessable one (`--secret 1234`) is refused.
      const problem = values.secret === undefined ? undefined : secretProblem(kind, values.secret);
      if (problem) usage(`--secret refused: ${problem}`);
      const secret = values.secret ?? generateSecret();
      const id = credentialId(kind, secret);
      await tenants.putCredential(kind, id, tenantId, secret);
      // A generated secret is shown once, here; a given one is not printed back.
      console.log(JSON.stringify({ kind, id, tenantId, ...(values.secret ? {} : { secret }) }, null, 2));
      break;
    }
    case 'credential migrate': {
      const migrated = await tenants.migrateLegacyCredentials();
      for (const m of migrated) console.log(JSON.stringify(m));
      console.log(`${migrated.length} credential(s) migrated`);
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
    case 'verification show': {
      console.log(
        await showVerification({
          ddb,
          tableName,
          tenants,
          pepper: secretValue(
            process.env.OTP_PEPPER ?? (endpoint ? LOCAL_CONSTANTS.pepper : undefined),
            process.env.PEPPER_SECRET_ARN,
            'pepper',
          ),
          tenantId: need('tenant'),
          purpose: need('purpose'),
          subject: need('subject'),
        }),
      );
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
