import { accountSidOf } from '../../shared/dialects/twilio-verify/sids';
import { TwilioServices } from '../../shared/store/twilio-services';
import type { TenantDirectory } from '../../shared/tenant-directory';
import type { Tenant } from '../../shared/tenants';

/**
 * LOCAL-ONLY demo credentials and Service for the Twilio Verify dialect (printed at start,
 * committed here). The account SID is derived from the tenant id (`accountSidOf('demo')`).
 */
export const TWILIO_DEMO = {
  accountSid: accountSidOf('demo'),
  authToken: '0123456789abcdef0123456789abcdef',
  apiKeySid: `SK${'0'.repeat(28)}de30`,
  apiKeySecret: 'fedcba9876543210fedcba9876543210',
  serviceSid: `VA${'0'.repeat(28)}de30`,
  friendlyName: 'Demo',
} as const;

/** The Twilio dialect needs nothing in the tenant record: its Services are items of their own. */
export const demoTenantPatch: Partial<Tenant> = {};

/**
 * Writes the `twilio-account` credential (account SID + auth token), a `twilio-apikey` credential
 * (API key SID + secret), both stored hashed, and the demo Service (custom codes allowed, so they
 * can be tried; WhatsApp through a dummy template name that lands in the outbox).
 */
export const seedDemo = async (tenants: TenantDirectory, tenantId: string): Promise<void> => {
  await tenants.putCredential('twilio-account', accountSidOf(tenantId), tenantId, TWILIO_DEMO.authToken);
  await tenants.putCredential('twilio-apikey', TWILIO_DEMO.apiKeySid, tenantId, TWILIO_DEMO.apiKeySecret);
  const now = Date.now();
  await new TwilioServices(tenants.table.ddb, tenants.table.tableName).save({
    sid: TWILIO_DEMO.serviceSid,
    tenantId,
    friendlyName: TWILIO_DEMO.friendlyName,
    codeLength: 6,
    customCodeEnabled: true,
    doNotShareWarningEnabled: false,
    whatsappTemplateName: 'demo_verify_code',
    dateCreated: now,
    dateUpdated: now,
  });
};

const base = `http://localhost:3000/v2/Services/${TWILIO_DEMO.serviceSid}`;
const auth = `-u '${TWILIO_DEMO.accountSid}:${TWILIO_DEMO.authToken}'`;

/** The credentials line and one command per endpoint; the code to check is in the outbox. */
export const demoCurl: string[] = [
  `# account SID ${TWILIO_DEMO.accountSid}  auth token ${TWILIO_DEMO.authToken}  Service ${TWILIO_DEMO.serviceSid}`,
  `# API key ${TWILIO_DEMO.apiKeySid}  secret ${TWILIO_DEMO.apiKeySecret}`,
  `curl -s ${auth} -X POST ${base}/Verifications --data-urlencode 'To=+15017122661' -d Channel=sms`,
  `curl -s ${auth} ${base}/Verifications/%2B15017122661`,
  `curl -s ${auth} -X POST ${base}/VerificationCheck --data-urlencode 'To=+15017122661' -d Code=<code from /_local/outbox>`,
];
