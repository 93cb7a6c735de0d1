/**
 * Key layout of the one table (pk, sk). Destinations appear only as HMACs of the pepper, so a
 * table dump names no phone number or e-mail address.
 *
 *  pk                         sk                 item
 *  T#<tenant>#D#<subjHmac>    CH#<purpose>       challenge: one live code per (tenant, purpose, subject)
 *  T#<tenant>#D#<subjHmac>    VERIFIED#<subHash> a JWT subject verified this phone (seed 001 isNewUser)
 *  T#<tenant>#R#<rcptHmac>    DAY#<yyyy-mm-dd>   a recipient's day: messages, failed guesses (all and anonymous)
 *  T#<tenant>#R#<rcptHmac>    WINDOW             a recipient's last message times (sliding window)
 *  T#<tenant>#TD#<i>          DAY#<yyyy-mm-dd>   shard i of the tenant's daily counter (shards.ts)
 *  T#<tenant>#PX#<pfxHmac>    HOUR#<hour>        phone messages to one number prefix in one hour
 *  T#<tenant>#CC#<region>#<i> HOUR#<hour>       shard i of a region's breaker hour: messages, verifies, balance
 *  T#<tenant>                 TENANT             tenant record (policy, templates, channels)
 *  T#<tenant>                 CONTACT#<userId>   contact directory: phone, e-mail of a user
 *  CRED#<kind>#<id>           CRED               credential: tenant id, secret hash
 *  SESSION#<id>               SESSION            auth-engine session (seed 002)
 *  REFRESH#<hash>             REFRESH            auth-engine refresh key (seed 002)
 *
 * The subject is who a code is for (the limits of one live code); a recipient is an address a
 * message goes to (E.164 phone, lower-case e-mail): the per-recipient limits follow it across
 * purposes, subjects and dialects. Anonymous callers' pumping counters carry `#anon` after the
 * tenant so that they never refuse authenticated traffic. `<hour>` is the UTC hour
 * `yyyy-mm-ddThh`; docs/SMS-PUMPING.md describes the pumping counters.
 */
import { hmac } from '../crypto';

type Key = { pk: string; sk: string };

export const destinationPk = (tenantId: string, destinationKey: string): string =>
  `T#${tenantId}#D#${destinationKey}`;
export const challengeSk = (purpose: string): string => `CH#${purpose}`;

/** The partition of a subject (its challenges, its `VERIFIED#` records): a keyed hash, never the value. */
export const subjectPk = (pepper: Buffer, tenantId: string, subject: string): string =>
  destinationPk(tenantId, hmac(pepper, 'destination', tenantId, subject).slice(0, 32));

/** The challenge of (tenant, purpose, subject). */
export const challengeKey = (pepper: Buffer, tenantId: string, purpose: string, subject: string): Key => ({
  pk: subjectPk(pepper, tenantId, subject),
  sk: challengeSk(purpose),
});

/** The partition of a recipient address (E.164 or lower-case e-mail): a keyed hash. */
export const recipientPk = (pepper: Buffer, tenantId: string, address: string): string =>
  `T#${tenantId}#R#${hmac(pepper, 'recipient', tenantId, address).slice(0, 32)}`;

export const RECIPIENT_WINDOW_SK = 'WINDOW';
export const daySk = (day: string): string => `DAY#${day}`;
export const tenantPk = (tenantId: string): string => `T#${tenantId}`;
export const TENANT_SK = 'TENANT';
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
