import type { Trust } from '../store/counters';
import { recipientPk } from '../store/keys';
import { countryPk, prefixPk } from '../store/pumping';
import type { Policy, Tenant } from '../tenants';
import { assertNumberAllowed } from './number-policy';
import type { Delivery } from './types';

/**
 * Channels that cost money per message and that pumping abuses: every channel to a phone. ZNS
 * messages are billed per message too, so Zalo counts like the others.
 */
export const PUMPED_CHANNELS: ReadonlySet<string> = new Set(['SMS', 'VOICE', 'WHATSAPP', 'ZALO']);

/** A counter partition and how many messages of the request it is charged. */
export interface Charge {
  pk: string;
  messages: number;
}

/**
 * What one send costs, message by message: every message is charged to its recipient (the
 * address it goes to, whoever the subject is), to the tenant's day and, for paid phone channels,
 * to its number prefix and its region's breaker. An SMS and a voice call to one number are two
 * messages to one recipient.
 */
export interface SendPlan {
  messages: number;
  recipients: Charge[];
  prefixes: Charge[];
  breakers: Charge[];
}

const isSafeListed = (policy: Policy, e164: string): boolean =>
  policy.safeList.some((p) => e164.startsWith(p));

const add = (charges: Map<string, number>, pk: string) => charges.set(pk, (charges.get(pk) ?? 0) + 1);

const list = (charges: Map<string, number>): Charge[] =>
  [...charges].map(([pk, messages]) => ({ pk, messages }));

/**
 * Checks every delivery against the tenant's number policy (refusing before anything is written)
 * and works out what the request costs.
 */
export const planSends = (pepper: Buffer, tenant: Tenant, deliveries: Delivery[], trust: Trust): SendPlan => {
  const { policy, tenantId } = tenant;
  const recipients = new Map<string, number>();
  const prefixes = new Map<string, number>();
  const breakers = new Map<string, number>();
  for (const d of deliveries) {
    if (d.channel === 'EMAIL') {
      add(recipients, recipientPk(pepper, tenantId, d.to));
      continue;
    }
    assertNumberAllowed(d.phone, d.channel, policy);
    add(recipients, recipientPk(pepper, tenantId, d.phone.e164));
    if (!PUMPED_CHANNELS.has(d.channel) || isSafeListed(policy, d.phone.e164)) continue;
    const prefix = `+${d.phone.callingCode}${d.phone.nationalNumber.slice(0, policy.velocityPrefixDigits)}`;
    add(prefixes, prefixPk(pepper, tenantId, trust, prefix));
    // A number of no region (+881/+882 satellite, +883 international networks: classic pumping
    // targets, reachable where `allowedRegions` is `*`) has a breaker of its calling code.
    if (policy.minConversionRatio > 0)
      add(breakers, countryPk(tenantId, trust, d.phone.region ?? `+${d.phone.callingCode}`));
  }
  return {
    messages: deliveries.length,
    recipients: list(recipients),
    prefixes: list(prefixes),
    breakers: list(breakers),
  };
};
