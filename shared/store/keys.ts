/**
 * Key layout of the one table (pk, sk). Destinations appear only as HMACs of the pepper, so a
 * table dump names no phone number or e-mail address.
 *
 *  pk                         sk                 item
 *  T#<tenant>#D#<destHmac>    CH#<purpose>       challenge: one live code per (tenant, purpose, destination)
 *  T#<tenant>#D#<destHmac>    DAY#<yyyy-mm-dd>   daily counter of the destination: sends, failures
 *  T#<tenant>#D#<destHmac>    VERIFIED#<subHash> a JWT subject verified this destination (seed 001 isNewUser)
 *  T#<tenant>                 DAY#<yyyy-mm-dd>   daily counter of the tenant: sends
 *  T#<tenant>#PX#<pfxHmac>    HOUR#<hour>        phone sends to one number prefix in one hour
 *  T#<tenant>#CC#<dialCode>   HOUR#<hour>        phone sends, verifies, balance of a country in one hour
 *  T#<tenant>                 TENANT             tenant record (policy, templates, channels)
 *  T#<tenant>                 CONTACT#<userId>   contact directory: phone, e-mail of a user
 *  CRED#<kind>#<id>           CRED               credential: tenant id, secret hash
 *  SESSION#<id>               SESSION            auth-engine session (seed 002)
 *  REFRESH#<hash>             REFRESH            auth-engine refresh key (seed 002)
 *
 * `<hour>` is the UTC hour `yyyy-mm-ddThh`; docs/SMS-PUMPING.md describes the pumping counters.
 */
export const destinationPk = (tenantId: string, destinationKey: string): string =>
  `T#${tenantId}#D#${destinationKey}`;
export const challengeSk = (purpose: string): string => `CH#${purpose}`;
export const daySk = (day: string): string => `DAY#${day}`;
export const tenantPk = (tenantId: string): string => `T#${tenantId}`;
export const TENANT_SK = 'TENANT';
/** Number prefixes appear only as HMACs, like destinations (a long prefix nearly names a number). */
export const prefixPk = (tenantId: string, prefixKey: string): string => `T#${tenantId}#PX#${prefixKey}`;
/** Dialling codes (`91`, `1`) are not personal data and stay readable for operators. */
export const countryPk = (tenantId: string, dialCode: string): string => `T#${tenantId}#CC#${dialCode}`;
export const hourSk = (hour: string): string => `HOUR#${hour}`;
export const contactSk = (userId: string): string => `CONTACT#${userId}`;
export const credentialPk = (kind: string, id: string): string => `CRED#${kind}#${id}`;
export const CREDENTIAL_SK = 'CRED';

/** The UTC day of an epoch-millisecond instant: daily counters roll over at 00:00 UTC. */
export const utcDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/** The UTC hour of an instant (`2025-01-02T13`): hourly counters roll over on the hour. */
export const utcHour = (ms: number): string => new Date(ms).toISOString().slice(0, 13);

export const HOUR_MS = 3_600_000;

/**
 * Epoch seconds at which an hourly counter may be deleted: two hours after its hour ends, so the
 * breaker can still check the previous hour's bucket during the whole of the current one.
 */
export const hourCounterTtl = (ms: number): number => (Math.floor(ms / HOUR_MS) + 3) * (HOUR_MS / 1000);

/** Epoch seconds at which a daily counter may be deleted (the day after its day ends). */
export const dayCounterTtl = (ms: number): number => {
  const d = new Date(ms);
  return Math.floor(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 2) / 1000);
};
