/**
 * Operator CLI: tenants, brands, credentials and contacts in the service's table, against the
 * local runtime or a deployed stack. `npm run admin -- --help` prints the usage; each command is
 * one entry of COMMANDS below (its help text and its `run`), so a new command is one more entry.
 * The table operations live in bin/admin/operations.ts.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { LOCAL_CONSTANTS } from '../local/config';
import { generateSecret, secretProblem } from '../shared/credential-secret';
import { apiKeyCredentialId, formCredentialId } from '../shared/dialects/summitai/credentials';
import {
  accountSidOf,
  newApiKeySid,
  newAuthToken,
  newServiceSid,
} from '../shared/dialects/twilio-verify/sids';
import { normalizeEmail, parsePhone } from '../shared/phone';
import { secretValue } from '../shared/secrets';
import { brandKey } from '../shared/store/capillary-auth-sessions';
import { serviceSettingsSchema, TwilioServices } from '../shared/store/twilio-services';
import { tenantConfigSchema } from '../shared/tenant-config';
import { TenantDirectory } from '../shared/tenant-directory';
import { mapTenantSecrets, tenantSecretFields } from '../shared/tenant-secrets';
import { CREDENTIAL_KINDS, type CredentialKind, type Tenant } from '../shared/tenants';
import { isEventType, WEBHOOK_DEFAULT_HEADER, webhookUrlProblem } from '../shared/webhooks';
import { describeError, type Target, UsageError, zodIssues } from './admin/errors';
import * as ops from './admin/operations';
import * as webhooks from './admin/webhooks';
import { showVerification } from './admin-verification';

const OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  yes: { type: 'boolean' },
  file: { type: 'string' },
  tenant: { type: 'string' },
  brand: { type: 'string' },
  field: { type: 'string' },
  kind: { type: 'string' },
  id: { type: 'string' },
  org: { type: 'string' },
  secret: { type: 'string' },
  user: { type: 'string' },
  phone: { type: 'string' },
  email: { type: 'string' },
  name: { type: 'string' },
  'code-length': { type: 'string' },
  'custom-code': { type: 'boolean' },
  'do-not-share-warning': { type: 'boolean' },
  'whatsapp-template': { type: 'string' },
  purpose: { type: 'string' },
  subject: { type: 'string' },
  url: { type: 'string' },
  auth: { type: 'string' },
  header: { type: 'string' },
  'event-types': { type: 'string' },
  rate: { type: 'string' },
} as const;
type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

/** What a command gets: its options, the table (opened on first use) and an output line printer. */
interface Context {
  values: Values;
  store: () => ops.AdminStore;
  print: (line: string) => void;
}

/** One command: `noun verb`, its arguments, a one-line summary and the details of `<command> --help`. */
interface Command {
  args: string;
  summary: string;
  details?: string;
  run: (ctx: Context) => Promise<void>;
}

const need = (values: Values, name: keyof typeof OPTIONS): string => {
  const value = values[name];
  if (typeof value !== 'string' || value === '') throw new UsageError(`--${name} is required`);
  return value;
};

const json = (value: unknown) => JSON.stringify(value, null, 2);

/** Rows as aligned columns under a header; `(none)` for no rows. */
const columns = (rows: Array<Record<string, string>>, headers: string[]): string => {
  if (rows.length === 0) return '(none)';
  const widths = headers.map((h) => Math.max(h.length, ...rows.map((r) => (r[h] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map((r) => line(headers.map((h) => r[h] ?? '')))].join('\n');
};

/** A tenant file: JSON, then the schema, then the templates, each failure naming the file. */
const readTenantFile = (file: string): Tenant => {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ops.AdminError(`cannot read ${file}: ${(error as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ops.AdminError(`${file} is not JSON: ${(error as Error).message}`);
  }
  // The write-time rules (shared/tenant-config.ts): one placeholder per template (seed 004), DLT
  // ids for a tenant that allows IN, autofill lines that keep an SMS in one segment.
  const parsed = tenantConfigSchema.safeParse(raw);
  if (!parsed.success) throw new ops.AdminError(`${file} is not a valid tenant:\n${zodIssues(parsed.error)}`);
  return parsed.data;
};

const tenantOf = async (ctx: Context): Promise<Tenant> => {
  const tenantId = need(ctx.values, 'tenant');
  const tenant = await ctx.store().tenants.get(tenantId);
  if (!tenant) throw new ops.AdminError(`no tenant ${tenantId}`);
  return tenant;
};

/** The kinds before credentials were per dialect, and what each became. */
const RENAMED: Record<string, string> = {
  basic: 'v2-basic',
  apikey: 'loginradius-apikey or summitai-apikey',
  form: 'summitai-form',
};

const credentialKind = (values: Values): CredentialKind => {
  const kind = need(values, 'kind');
  // Twilio's ids have a fixed form (the account SID is the tenant's): their own commands make them.
  if (kind === 'twilio-account' || kind === 'twilio-apikey')
    throw new UsageError(
      `--kind ${kind}: use \`twilio ${kind === 'twilio-account' ? 'account' : 'apikey'} --tenant ID\``,
    );
  if (ops.isCredentialKind(kind)) return kind;
  if (RENAMED[kind]) throw new UsageError(`--kind ${kind} is now per dialect: ${RENAMED[kind]}`);
  throw new UsageError(`--kind must be one of ${CREDENTIAL_KINDS.join(', ')}`);
};

const orgOf = (values: Values): string => {
  const org = need(values, 'org');
  if (!/^\d{1,15}$/.test(org)) throw new UsageError('--org must be the numeric SummitAI OrgID');
  return org;
};

/** The id a dialect looks a new credential up by (SummitAI's are computed, as its handler does). */
const newCredentialId = (values: Values, kind: CredentialKind, secret: string): string => {
  const summitAi = kind === 'summitai-apikey' || kind === 'summitai-form';
  if (summitAi && values.id)
    throw new UsageError(`${kind} takes --org${kind === 'summitai-form' ? ' and --user' : ''}, not --id`);
  let id: string;
  if (kind === 'summitai-apikey') id = apiKeyCredentialId(orgOf(values), secret);
  else if (kind === 'summitai-form') id = formCredentialId(orgOf(values), need(values, 'user').trim());
  else id = need(values, 'id');
  if (kind === 'v2-basic' && id.includes(':')) throw new UsageError('a Basic client id cannot contain ":"');
  // TenantDirectory.authenticate refuses longer ids.
  if (id.length > 256) throw new UsageError('the credential id is longer than 256 characters');
  return id;
};

/** The id of a stored credential: `--id` as `credential list` prints it, or --org/--user for FORM. */
const storedCredentialId = (values: Values, kind: CredentialKind): string =>
  kind === 'summitai-form' && !values.id
    ? formCredentialId(orgOf(values), need(values, 'user').trim())
    : need(values, 'id');

/** A given --secret, checked like `credential create` checks it (keys are unsalted SHA-256). */
const givenSecret = (values: Values, kind: CredentialKind): string | undefined => {
  if (values.secret === undefined) return undefined;
  const problem = secretProblem(kind, values.secret);
  if (problem) throw new UsageError(`--secret refused: ${problem}`);
  return values.secret;
};

const ENVIRONMENT = `Environment:
  TABLE_NAME              the table: the stack output TableName, or otp-local for npm start
  DYNAMODB_ENDPOINT       DynamoDB Local, e.g. http://127.0.0.1:8000 (unset: DynamoDB in AWS,
                          with your AWS credentials and region, e.g. AWS_PROFILE, AWS_REGION)
  SEALING_KEY_SECRET_ARN  the stack output SealingKeySecretArn: seals tenant secrets (AWS only;
                          against DynamoDB Local the local runtime's key is used)
  TENANT_SEALING_KEY      the sealing key itself (overrides both; local and tests only)

  local:    DYNAMODB_ENDPOINT=http://127.0.0.1:8000 TABLE_NAME=otp-local npm run admin -- tenant list
  deployed: TABLE_NAME=… SEALING_KEY_SECRET_ARN=… AWS_PROFILE=… npm run admin -- tenant list`;

/** The stack outputs `webhook` commands need, from the environment (named in `webhook --help`). */
const webhookStack = (env: NodeJS.ProcessEnv): webhooks.WebhookStack => {
  const read = (name: string): string => {
    const value = env[name];
    if (!value) throw new UsageError(`set ${name} (a stack output; \`webhook --help\`)`);
    return value;
  };
  return {
    eventBusName: read('OTP_EVENT_BUS_NAME'),
    roleArn: read('WEBHOOK_ROLE_ARN'),
    deadLetterQueueArn: read('WEBHOOK_DEAD_LETTER_QUEUE_ARN'),
    namePrefix: read('WEBHOOK_NAME_PREFIX'),
  };
};

/** The EventBridge client of `webhook` commands (your AWS credentials and region). */
const eventBridge = (): EventBridgeClient => new EventBridgeClient({ maxAttempts: 3 });

/** What each noun is, shown above its commands in `<noun> --help`. */
const NOUNS: Record<string, string> = {
  tenant: `A tenant is one customer of the service: its policy, templates, channels, JWT issuer and
Capillary auth brands (shared/tenants.ts; docs/tenant.example.json is a complete example).
Secrets in it (jwt.hs256Secret, brands.*.payloadSigningSecret, channels.zalo.accessToken) are
sealed in the table under the tenant sealing key and shown as *** by \`tenant show\`.`,
  brand: `A Capillary auth-engine brand (seed 002) names its tenant with no client secret: the dialect
looks up a BRAND#<BRAND> pointer item, then checks that the tenant still lists the brand in
\`brands\`. \`tenant put\` writes the pointers of the brands it lists (upper-cased: brands match
case-insensitively) and refuses a brand another tenant holds.`,
  credential: `A credential is stored hashed and works only for its kind's dialect. Kinds:
  v2-basic            --id CLIENT_ID    capillary-v2 HTTP Basic: client id (no ':') and client secret
  loginradius-apikey  --id APIKEY       LoginRadius ?apikey=…&apisecret=…: the secret is the apisecret
  summitai-apikey     --org ORG_ID      SummitAI AuthType APIKey: the secret is the APIKey itself
  summitai-form       --org ORG_ID --user USERNAME
                                        SummitAI AuthType FORM: the secret is the Password

SummitAI credential ids. A SummitAI request carries its OrgID and either an APIKey or a UserName
and Password; there is no separate key id, so the service computes one:
  summitai-apikey  <OrgID>:<SHA-256 of the APIKey, base64url without padding (43 characters)>
                   e.g. 1001:2mXbDq9C3nQ6cS1pO1nS0o2y5wWJm8yQXv3H8m1C0aU
                   The key itself is never stored. \`create\` and \`rotate\` print the id; a new key
                   means a new id.
  summitai-form    <OrgID>:<UserName>, e.g. 1001:ops-bot (the password is salted scrypt)
The same key or user name under two OrgIDs are two credentials. \`list\` prints every id;
\`delete\` and \`rotate\` take it as --id (or --org and --user for FORM).

A given --secret is refused under 128 bits, estimated as length × log2(alphabet)
(shared/credential-secret.ts: e.g. 24 random base64url or 32 hex characters); a FORM password
needs 15 characters. Without --secret one is generated (32 random bytes, base64url) and printed
once. Warm functions cache credentials for TENANT_CACHE_SECONDS (60 s): a deleted or rotated
secret can work that long in a warm container.`,
  twilio: `Twilio Verify (docs/dialects/twilio-verify.md): a tenant's account SID is derived from its
id (AC + 32 hex digits); its auth token and API keys are stored hashed and printed once. A Verify
Service (VA…) sets the code length, the name in the message, CustomCode and the WhatsApp template;
every other limit is the tenant's.`,
  verification: `A verification is the live code of one (tenant, purpose, subject): its status, attempts
left, expiry and the delivery status per channel (from the providers' receipts; docs/ARCHITECTURE.md).
Reading it needs the pepper that keys codes: PEPPER_SECRET_ARN in AWS, the local one against
DynamoDB Local.`,
  webhook: `A tenant's lifecycle events POSTed to its HTTPS endpoint by EventBridge API destinations
(README, "Webhooks"): body {"type": "otp.delivered", "detail": {…}} with detail as in
schemas/events/<type>.json; the receiver checks the API key header (--auth api-key, default header
x-otp-webhook-key) or HTTP Basic credentials (--auth basic --user NAME), and deduplicates on
detail.eventId (delivery is at least once). Without --secret a key or password is generated and
printed once; EventBridge keeps it in a Secrets Manager secret of its own. EventBridge retries for
an hour, then moves the event to the stack's dead-letter queue (alarm WebhooksDeadLettersAlarm).
Needs, from the stack outputs: OTP_EVENT_BUS_NAME (EventBusName), WEBHOOK_ROLE_ARN,
WEBHOOK_DEAD_LETTER_QUEUE_ARN, WEBHOOK_NAME_PREFIX; and AWS credentials with events:* on them.
Webhooks in code instead: the "webhooks" CDK context (lib/constructs/tenant-webhook.ts).`,
  contact: `A contact is a user of a tenant with a phone and/or e-mail, for dialects that name a user
instead of a destination (SummitAI, Capillary auth USERNAME).`,
};

/** Every command, by `noun verb`. To add one, add an entry (and its noun's text to NOUNS). */
const COMMANDS: Record<string, Command> = {
  'tenant put': {
    args: '--file tenant.json',
    summary: 'create or replace a tenant (validated) and provision its brands',
    details: `Reads the file, checks it against the tenant schema (every bad field is listed with its
path) and its templates (exactly one {{ validation_code }}), refuses brands another tenant
holds, then writes the tenant, a pointer per brand in \`brands\`, and removes the pointers of
brands the previous record listed and this one does not.`,
    run: async (ctx) => {
      const tenant = readTenantFile(need(ctx.values, 'file'));
      const { brands, released } = await ops.putTenant(ctx.store(), tenant);
      ctx.print(`tenant ${tenant.tenantId} saved`);
      if (brands.length) ctx.print(`brands provisioned: ${brands.join(', ')}`);
      if (released.length) ctx.print(`brands released: ${released.join(', ')}`);
    },
  },
  'tenant show': {
    args: '--tenant ID',
    summary: 'print a tenant record, every secret as ***',
    run: async (ctx) => {
      // Every secret field, through the one list of them (shared/tenant-secrets.ts).
      ctx.print(json(mapTenantSecrets(await tenantOf(ctx), () => '***')));
    },
  },
  'tenant list': {
    args: '',
    summary: 'list tenants: id, name, brands, JWT issuer',
    run: async (ctx) => {
      const rows = await ops.listTenants(ctx.store());
      ctx.print(
        columns(
          rows.map((t) => ({
            tenant: t.tenantId,
            name: t.name,
            brands: t.brands.join(','),
            'jwt issuer': t.jwtIssuer ?? '',
          })),
          ['tenant', 'name', 'brands', 'jwt issuer'],
        ),
      );
    },
  },
  'tenant delete': {
    args: '--tenant ID --yes',
    summary: 'delete a tenant and everything that names it',
    details: `Deletes its credentials, JWT issuer and brand pointers, contacts, live codes, counters
and auth sessions, then the tenant record (a run cut short can be repeated). --yes is required.`,
    run: async (ctx) => {
      const tenantId = need(ctx.values, 'tenant');
      if (!ctx.values.yes) throw new UsageError(`deleting tenant ${tenantId} cannot be undone: add --yes`);
      const deleted = await ops.deleteTenant(ctx.store(), tenantId);
      ctx.print(json({ tenantId, deleted }));
    },
  },
  'tenant rotate': {
    args: '--tenant ID --field brands.BRAND.payloadSigningSecret|jwt.hs256Secret',
    summary: 'replace a tenant secret with a generated one, printed once',
    details: `Generates 32 random bytes (base64url) for a brand's payload-signing secret or the JWT HS256
secret, seals it in the table and prints it once; the old value is refused from then on (after
TENANT_CACHE_SECONDS in a warm function). Give the new value to the tenant's app. A Zalo access
token comes from Zalo: change it with \`tenant put\`.`,
    run: async (ctx) => {
      const tenantId = need(ctx.values, 'tenant');
      const field = need(ctx.values, 'field');
      const secret = await ops.rotateTenantSecret(ctx.store(), tenantId, field);
      ctx.print(json({ tenantId, field, secret }));
    },
  },
  'tenant migrate': {
    args: '--tenant ID',
    summary: "rewrite a record in today's form",
    details: `allowedCountryCodes dialling codes become allowedRegions; secrets written in clear
before sealing are sealed; prints the result.`,
    run: async (ctx) => {
      // Reading parses the record, which maps legacy fields (shared/tenants.ts) and opens sealed
      // secrets or takes clear ones as they are; writing stores that, every secret sealed.
      const tenant = await tenantOf(ctx);
      await ctx.store().tenants.putTenant(tenant);
      ctx.print(
        JSON.stringify({
          tenantId: tenant.tenantId,
          allowedRegions: tenant.policy.allowedRegions,
          // putTenant seals every secret field: these are now sealed in the table.
          sealedSecrets: tenantSecretFields(tenant).map((f) => f.path.join('.')),
        }),
      );
    },
  },
  'brand list': {
    args: '',
    summary: 'list brand pointers: brand, tenant, and whether the tenant still lists it',
    run: async (ctx) => {
      const rows = await ops.listBrands(ctx.store());
      ctx.print(
        columns(
          rows.map((b) => ({ brand: b.brand, tenant: b.tenantId, listed: b.listed ? 'yes' : 'no (stale)' })),
          ['brand', 'tenant', 'listed'],
        ),
      );
    },
  },
  'brand show': {
    args: '--brand NAME',
    summary: 'the tenant a brand points at',
    run: async (ctx) => {
      const brand = brandKey(need(ctx.values, 'brand'));
      const row = (await ops.listBrands(ctx.store())).find((b) => b.brand === brand);
      if (!row) throw new ops.AdminError(`no brand ${brand}: the auth engine answers 1519 "unknown brand"`);
      ctx.print(json(row));
    },
  },
  'brand provision': {
    args: '--tenant ID',
    summary: "write the pointers of a stored tenant's brands (tenants put before tenant put did)",
    run: async (ctx) => {
      const tenantId = need(ctx.values, 'tenant');
      const brands = await ops.provisionBrands(ctx.store(), tenantId);
      ctx.print(`brands provisioned for ${tenantId}: ${brands.join(', ') || '(none listed)'}`);
    },
  },
  'credential create': {
    args: '--tenant ID --kind KIND (--id ID | --org ORG_ID [--user USERNAME]) [--secret S]',
    summary: 'store a credential (hashed); a generated secret is printed once',
    run: async (ctx) => {
      const kind = credentialKind(ctx.values);
      const tenantId = need(ctx.values, 'tenant');
      const given = givenSecret(ctx.values, kind);
      const secret = given ?? generateSecret();
      const id = newCredentialId(ctx.values, kind, secret);
      if (!(await ctx.store().tenants.get(tenantId))) throw new ops.AdminError(`no tenant ${tenantId}`);
      await ctx.store().tenants.putCredential(kind, id, tenantId, secret);
      // A generated secret is shown once, here; a given one is not printed back.
      ctx.print(json({ kind, id, tenantId, ...(given ? {} : { secret }) }));
    },
  },
  'credential list': {
    args: '[--tenant ID]',
    summary: 'list credentials: kind, id, tenant (never a secret or its hash)',
    run: async (ctx) => {
      const rows = await ops.listCredentials(ctx.store(), ctx.values.tenant);
      ctx.print(
        columns(
          rows.map((c) => ({
            tenant: c.tenantId,
            kind: c.legacy ? `${c.kind} (run credential migrate)` : c.kind,
            id: c.id,
          })),
          ['tenant', 'kind', 'id'],
        ),
      );
    },
  },
  'credential delete': {
    args: '--kind KIND (--id ID | --org ORG_ID --user USERNAME)',
    summary: 'delete a credential; it is refused from then on',
    run: async (ctx) => {
      const kind = credentialKind(ctx.values);
      const id = storedCredentialId(ctx.values, kind);
      const tenantId = await ops.deleteCredential(ctx.store(), kind, id);
      ctx.print(`${kind} credential ${id} of tenant ${tenantId} deleted`);
    },
  },
  'credential rotate': {
    args: '--kind KIND (--id ID | --org ORG_ID --user USERNAME) [--secret S]',
    summary: 'give a credential a new secret (printed once); the old one is refused',
    details: `The id stays, except for summitai-apikey: its id is computed from the key, so the new key's
id is written and the old id deleted (both are printed).`,
    run: async (ctx) => {
      const kind = credentialKind(ctx.values);
      const id = storedCredentialId(ctx.values, kind);
      const given = givenSecret(ctx.values, kind);
      const rotated = await ops.rotateCredential(ctx.store(), kind, id, given);
      ctx.print(json(given ? { ...rotated, secret: undefined } : rotated));
    },
  },
  'credential migrate': {
    args: '',
    summary: 'rewrite credentials of the old shared kinds and delete the old items',
    details: `basic → v2-basic, form → summitai-form, apikey → summitai-apikey when its id is
<OrgID>:<its own stored hash>, else loginradius-apikey; prints one line per credential.`,
    run: async (ctx) => {
      const migrated = await ctx.store().tenants.migrateLegacyCredentials();
      for (const m of migrated) ctx.print(JSON.stringify(m));
      ctx.print(`${migrated.length} credential(s) migrated`);
    },
  },
  'contact put': {
    args: '--tenant ID --user USER_ID [--phone +E164] [--email ADDR]',
    summary: 'create or replace a contact',
    run: async (ctx) => {
      const tenant = await tenantOf(ctx);
      const { values } = ctx;
      const phone = values.phone ? parsePhone(values.phone, tenant.policy.defaultCountry)?.e164 : undefined;
      const email = values.email ? normalizeEmail(values.email) : undefined;
      if (values.phone && !phone) throw new UsageError('--phone is not a valid phone number');
      if (values.email && !email) throw new UsageError('--email is not a valid e-mail address');
      await ctx.store().tenants.putContact(tenant.tenantId, { userId: need(values, 'user'), phone, email });
      ctx.print(`contact ${values.user} saved`);
    },
  },
  'contact show': {
    args: '--tenant ID --user USER_ID',
    summary: 'print a contact',
    run: async (ctx) => {
      const contact = await ctx.store().tenants.contact(need(ctx.values, 'tenant'), need(ctx.values, 'user'));
      ctx.print(json(contact ?? null));
    },
  },
  'verification show': {
    args: '--tenant ID --purpose PURPOSE --subject PHONE_OR_EMAIL',
    summary: "status, attempts left, expiry and per-channel delivery status of the subject's code",
    run: async (ctx) => {
      const { ddb, tableName, tenants } = ctx.store();
      const local = process.env.DYNAMODB_ENDPOINT ? LOCAL_CONSTANTS.pepper : undefined;
      ctx.print(
        await showVerification({
          ddb,
          tableName,
          tenants,
          pepper: secretValue(process.env.OTP_PEPPER ?? local, process.env.PEPPER_SECRET_ARN, 'pepper'),
          tenantId: need(ctx.values, 'tenant'),
          purpose: need(ctx.values, 'purpose'),
          subject: need(ctx.values, 'subject'),
        }),
      );
    },
  },
  'webhook put': {
    args: '--tenant ID --url https://… --auth api-key|basic [--header NAME] [--user NAME] [--secret S] [--event-types otp.delivered,…] [--rate N]',
    summary: "create or replace the tenant's webhook; prints the key or password once",
    run: async (ctx) => {
      const { values } = ctx;
      const url = need(values, 'url');
      const problem = webhookUrlProblem(url);
      if (problem) throw new UsageError(`--url ${problem}`);
      const auth = need(values, 'auth');
      if (auth !== 'api-key' && auth !== 'basic') throw new UsageError('--auth must be api-key or basic');
      const eventTypes = values['event-types']?.split(',').map((t) => t.trim());
      const unknown = eventTypes?.filter((t) => !isEventType(t));
      if (unknown?.length) throw new UsageError(`--event-types: unknown ${unknown.join(', ')}`);
      const rate = values.rate === undefined ? undefined : Number(values.rate);
      if (rate !== undefined && !(Number.isInteger(rate) && rate >= 1 && rate <= 300))
        throw new UsageError('--rate must be an integer from 1 to 300 (calls per second)');
      const header = values.header ?? WEBHOOK_DEFAULT_HEADER;
      if (!/^[A-Za-z0-9-]{1,64}$/.test(header)) throw new UsageError('--header must be a header name');
      if (values.secret !== undefined && values.secret.length < 16)
        throw new UsageError('--secret must be at least 16 characters (leave it out to generate one)');
      const secret = values.secret ?? generateSecret();
      const stack = webhookStack(process.env);
      const tenant = await tenantOf(ctx);
      const made = await webhooks.putWebhook(eventBridge(), stack, {
        tenantId: tenant.tenantId,
        url,
        auth:
          auth === 'api-key'
            ? { kind: 'api-key', header, key: secret }
            : { kind: 'basic', username: need(values, 'user'), password: secret },
        eventTypes,
        rateLimitPerSecond: rate,
      });
      // Printed once, like a credential: EventBridge keeps it and never shows it again.
      const shown = values.secret === undefined;
      ctx.print(
        json({
          ...made,
          ...(auth === 'api-key' ? { header } : { user: values.user }),
          ...(shown ? { [auth === 'api-key' ? 'key' : 'password']: secret } : {}),
        }),
      );
    },
  },
  'webhook list': {
    args: '',
    summary: "this stack's CLI-made webhooks: tenant, URL, API destination state, rule state",
    run: async (ctx) => {
      const rows = await webhooks.listWebhooks(eventBridge(), webhookStack(process.env));
      ctx.print(columns(rows, ['tenant', 'url', 'state', 'rule']));
    },
  },
  'webhook delete': {
    args: '--tenant ID',
    summary: "delete the tenant's webhook (rule, API destination, connection and its secret)",
    run: async (ctx) => {
      const result = await webhooks.deleteWebhook(
        eventBridge(),
        webhookStack(process.env),
        need(ctx.values, 'tenant'),
      );
      ctx.print(json(result));
    },
  },
  'twilio account': {
    args: '--tenant ID',
    summary:
      "Twilio Verify: the tenant's account SID and a new auth token (printed once; replaces the previous token)",
    run: async (ctx) => {
      const tenant = await tenantOf(ctx);
      const token = newAuthToken();
      const accountSid = accountSidOf(tenant.tenantId);
      await ctx.store().tenants.putCredential('twilio-account', accountSid, tenant.tenantId, token);
      ctx.print(json({ accountSid, authToken: token }));
    },
  },
  'twilio apikey': {
    args: '--tenant ID',
    summary: 'Twilio Verify: a new API key SID and secret (printed once)',
    run: async (ctx) => {
      const tenant = await tenantOf(ctx);
      const apiKeySid = newApiKeySid();
      const secret = newAuthToken();
      await ctx.store().tenants.putCredential('twilio-apikey', apiKeySid, tenant.tenantId, secret);
      ctx.print(json({ accountSid: accountSidOf(tenant.tenantId), apiKeySid, secret }));
    },
  },
  'twilio service create': {
    args: '--tenant ID --name FRIENDLY_NAME [--code-length 4-10] [--custom-code] [--do-not-share-warning] [--whatsapp-template NAME]',
    summary: 'Twilio Verify: create a Service; prints it with its VA sid',
    run: async (ctx) => {
      const tenant = await tenantOf(ctx);
      const { values } = ctx;
      const settings = serviceSettingsSchema.safeParse({
        friendlyName: need(values, 'name'),
        ...(values['code-length'] !== undefined && { codeLength: Number(values['code-length']) }),
        customCodeEnabled: values['custom-code'] ?? false,
        doNotShareWarningEnabled: values['do-not-share-warning'] ?? false,
        ...(values['whatsapp-template'] !== undefined && {
          whatsappTemplateName: values['whatsapp-template'],
        }),
      });
      if (!settings.success) throw new UsageError(`invalid Service:\n${zodIssues(settings.error)}`);
      const { ddb, tableName } = ctx.store();
      const service = await new TwilioServices(ddb, tableName, 0).create(
        tenant.tenantId,
        newServiceSid(),
        settings.data,
        Date.now(),
      );
      ctx.print(json(service));
    },
  },
};

const PROGRAM = 'npm run admin --';
const line = (name: string, c: Command) => `  ${name}${c.args ? ` ${c.args}` : ''}\n      ${c.summary}`;
const indent = (text: string) => text.replace(/^/gm, '      ');

/** `--help`: every command in one line each; `<noun> --help`: the noun's text and its commands in full. */
const helpText = (noun?: string, verb?: string): string => {
  const names = Object.keys(COMMANDS);
  if (noun && NOUNS[noun]) {
    const chosen = names.filter(
      (n) => n === `${noun} ${verb}` || (!COMMANDS[`${noun} ${verb}`] && n.startsWith(`${noun} `)),
    );
    const body = chosen.map((n) => {
      const c = COMMANDS[n] as Command;
      return `${line(n, c)}${c.details ? `\n${indent(c.details)}` : ''}`;
    });
    return `${NOUNS[noun]}\n\nUsage: ${PROGRAM} ${noun} <command> [options]\n\n${body.join('\n\n')}\n\n${ENVIRONMENT}`;
  }
  return `Operator CLI of the OTP service: tenants, brands, credentials and contacts in its table.

Usage: ${PROGRAM} <command> [options]
       ${PROGRAM} <noun> --help      (details: tenant, brand, credential, contact)

${names.map((n) => line(n, COMMANDS[n] as Command)).join('\n')}

${ENVIRONMENT}`;
};

/** The table, opened when a command first needs it: help and argument errors need no TABLE_NAME. */
const openStore = (env: NodeJS.ProcessEnv, target: { current?: Target }) => {
  let store: ops.AdminStore | undefined;
  return (): ops.AdminStore => {
    if (store) return store;
    const tableName = env.TABLE_NAME;
    if (!tableName)
      throw new UsageError('set TABLE_NAME (the stack output TableName, or otp-local for npm start)');
    const endpoint = env.DYNAMODB_ENDPOINT;
    const ddb = new DynamoDBClient({
      ...(endpoint
        ? { endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }
        : {}),
      // An unreachable endpoint fails in seconds with its name, not after the SDK's long retries.
      maxAttempts: 2,
      requestHandler: { connectionTimeout: 3_000, requestTimeout: 10_000, throwOnRequestTimeout: true },
    });
    target.current = {
      tableName,
      ...(endpoint ? { endpoint } : { region: env.AWS_REGION ?? env.AWS_DEFAULT_REGION }),
    };
    // Against DynamoDB Local the local runtime's key, so records the CLI writes open in `npm start`.
    const localKey = env.TENANT_SEALING_KEY ?? (endpoint ? LOCAL_CONSTANTS.tenantSealingKey : undefined);
    const sealingKeyArn = env.SEALING_KEY_SECRET_ARN;
    const loadKey = secretValue(localKey, sealingKeyArn, 'tenant sealing key');
    const tenants = new TenantDirectory(ddb, tableName, {
      // Asked for only when a tenant with secrets is read or written.
      tenantKey: () => {
        if (!localKey && !sealingKeyArn)
          throw new UsageError(
            'set SEALING_KEY_SECRET_ARN (the stack output SealingKeySecretArn) to read or write tenant secrets',
          );
        return loadKey();
      },
      cacheSeconds: 0,
    });
    store = { ddb, tableName, tenants };
    return store;
  };
};

/** Runs the CLI; resolves with the exit code (0 done, 1 refused or failed, 2 usage). */
const main = async (argv: string[], env: NodeJS.ProcessEnv): Promise<number> => {
  let parsed: { values: Values; positionals: string[] };
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true });
  } catch (error) {
    // An unknown or malformed option: say which, with the usage, not a stack.
    console.error(`error: ${(error as Error).message}\n\n${helpText()}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [noun, verb, ...rest] = positionals;
  // A three-word command (`twilio service create`) takes the third word as part of its name.
  const long = rest.length > 0 && COMMANDS[`${noun} ${verb} ${rest[0]}`] !== undefined;
  const name = long ? `${noun} ${verb} ${rest[0]}` : `${noun} ${verb}`;
  const extra = long ? rest.slice(1) : rest;
  const command = COMMANDS[name];
  // Help needs no table: `--help`, `-h`, `help`, no command, or a noun alone.
  if (noun === undefined || noun === 'help' || values.help || (verb === undefined && noun in NOUNS)) {
    if (noun !== undefined && noun !== 'help' && !(noun in NOUNS)) {
      console.error(`error: unknown command: ${noun}\n\n${helpText()}`);
      return 2;
    }
    console.log(helpText(noun === 'help' ? verb : noun, verb));
    return 0;
  }
  if (!command || extra.length > 0) {
    console.error(
      `error: unknown command: ${positionals.join(' ')}\n\n${helpText(noun in NOUNS ? noun : undefined)}`,
    );
    return 2;
  }
  const target: { current?: Target } = {};
  const store = openStore(env, target);
  try {
    await command.run({ values, store, print: (l) => console.log(l) });
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(
        `error: ${error.message}\n\nUsage: ${PROGRAM} ${name}${command.args ? ` ${command.args}` : ''}\n(${PROGRAM} ${noun} --help for details)`,
      );
      return 2;
    }
    // A readable line, not a stack: the usual causes are a bad file or an unreachable table.
    console.error(`error: ${describeError(error, target.current)}`);
    return 1;
  } finally {
    if (target.current) store().ddb.destroy();
  }
};

process.exitCode = await main(process.argv.slice(2), process.env);
