import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { verificationStatus } from '../shared/engine/status';
import { normalizeEmail, parseE164 } from '../shared/phone';
import type { TenantDirectory } from '../shared/tenant-directory';

/**
 * `verification show --tenant ID --purpose PURPOSE --subject SUBJECT`: status, attempts left,
 * expiry and per-channel delivery status of the live (or last) code of that subject. The subject
 * is what the dialect keys codes by (E.164 phone, e-mail); the purpose is the dialect's
 * namespaced one (`v2:REGISTRATION`, `lr:forgotpassword`; README, "Events and receipts"). Codes
 * are found by an HMAC of the subject under the pepper, so the CLI needs the pepper too.
 */
export const showVerification = async (deps: {
  ddb: DynamoDBClient;
  tableName: string;
  tenants: TenantDirectory;
  pepper: () => Promise<Buffer>;
  tenantId: string;
  purpose: string;
  subject: string;
}): Promise<string> => {
  const tenant = await deps.tenants.get(deps.tenantId);
  if (!tenant) throw new Error(`no tenant ${deps.tenantId}`);
  // The engine's subject is normalised at the edge: E.164 or lower-case e-mail.
  const subject = parseE164(deps.subject)?.e164 ?? normalizeEmail(deps.subject) ?? deps.subject;
  const status = await verificationStatus({ ...deps, now: Date.now }, tenant, deps.purpose, subject);
  return JSON.stringify(status ?? null, null, 2);
};
