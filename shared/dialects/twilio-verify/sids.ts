import { createHash, randomBytes } from 'node:crypto';

/**
 * Twilio-style identifiers: two letters and 32 hex digits. None of them is a secret; the auth
 * token and API key secret are (stored hashed, shared/tenant-directory.ts).
 */
const hex32 = (): string => randomBytes(16).toString('hex');

/**
 * A tenant's account SID, derived from its id (stable, nothing to store): what `account_sid`
 * says in every resource and the id of its `twilio-account` credential.
 */
export const accountSidOf = (tenantId: string): string =>
  `AC${createHash('sha256').update(`twilio-account\u0000${tenantId}`).digest('hex').slice(0, 32)}`;

/** A new Service SID. */
export const newServiceSid = (): string => `VA${hex32()}`;

/** A new API key SID (`twilio-apikey` credential id). */
export const newApiKeySid = (): string => `SK${hex32()}`;

/** A new auth token or API key secret: 32 hex digits like Twilio's (128 bits). */
export const newAuthToken = (): string => hex32();
