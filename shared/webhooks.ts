import { BlockList, isIP } from 'node:net';
import { EVENT_SOURCE, EVENT_TYPES } from './events/schema';

/**
 * Tenant webhooks: a tenant's lifecycle events delivered to its HTTPS endpoint by EventBridge API
 * destinations (README, "Webhooks"). One definition of what a webhook is, shared by the admin CLI
 * (bin/admin/webhooks.ts, run-time onboarding) and the CDK construct (lib/constructs/
 * tenant-webhook.ts, onboarding in code), so both build the same rule, payload and retry policy.
 */

/** Retries EventBridge makes before a webhook event goes to the dead-letter queue. */
export const WEBHOOK_RETRY_ATTEMPTS = 24;
/** How long EventBridge keeps retrying one event (a code is useless after this anyway). */
export const WEBHOOK_MAX_EVENT_AGE_SECONDS = 3600;
/** API destination invocation rate per second, unless the operator sets another. */
export const WEBHOOK_RATE_PER_SECOND = 20;
/** The header that carries the API key unless the operator names another. */
export const WEBHOOK_DEFAULT_HEADER = 'x-otp-webhook-key';

/**
 * The rule's pattern: this tenant's lifecycle events only, optionally only some types. The rule
 * sits on the service's own bus, and `detail.tenantId` is written by the engine, never by a
 * caller, so one tenant's rule cannot match another's events.
 */
export const webhookEventPattern = (tenantId: string, types?: readonly string[]) => ({
  source: [EVENT_SOURCE],
  ...(types && types.length > 0 ? { 'detail-type': [...types] } : {}),
  detail: { tenantId: [tenantId] },
});

/**
 * The body the receiver gets: `{"type": "otp.delivered", "detail": {…}}`. `detail` is exactly the
 * event's detail (schemas/events/<type>.json); the EventBridge envelope is left out because it
 * names the AWS account and region, which are no business of a tenant.
 */
export const WEBHOOK_INPUT_PATHS = { type: '$.detail-type', detail: '$.detail' } as const;
export const WEBHOOK_INPUT_TEMPLATE = '{"type": <type>, "detail": <detail>}';

/** Physical names of a CLI-made webhook: `<prefix><tenant>` for connection, destination and rule. */
export const webhookName = (prefix: string, tenantId: string): string => `${prefix}${tenantId}`;

/** EventBridge allows 64 characters of `[.\-_A-Za-z0-9]` in these names. */
export const WEBHOOK_NAME_MAX = 64;

/** Event types a filter may name. */
export const isEventType = (type: string): boolean => (EVENT_TYPES as readonly string[]).includes(type);

/**
 * Address ranges a webhook must not point at: loopback, private, link-local (the instance
 * metadata service), carrier-grade NAT, unique-local and unspecified addresses. API destinations
 * only call public HTTPS endpoints anyway; refusing these at registration makes a typo or an
 * attempt to aim the service at internal hosts fail loudly instead of silently in the DLQ.
 */
const PRIVATE = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  PRIVATE.addSubnet(net, bits, 'ipv4');
for (const [net, bits] of [
  ['::', 128],
  ['::1', 128],
  // IPv4 carried in IPv6 (compatible, SIIT, NAT64, 6to4): each can reach an IPv4 address above.
  ['::', 96],
  ['::ffff:0:0:0', 96],
  ['64:ff9b::', 96],
  ['64:ff9b:1::', 48],
  ['2002::', 16],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
] as const)
  PRIVATE.addSubnet(net, bits, 'ipv6');

/** Host names that never name a public endpoint. */
const LOCAL_NAME = /(^|\.)(localhost|local|internal|localdomain|home\.arpa)$/i;

/** Why a webhook URL is refused, or undefined when it is acceptable. */
export const webhookUrlProblem = (raw: string): string | undefined => {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'not a URL';
  }
  if (url.protocol !== 'https:') return 'must be https:// (EventBridge API destinations call HTTPS only)';
  if (url.username || url.password) return 'must not carry credentials; use --auth api-key or --auth basic';
  if (url.hash) return 'must not have a #fragment';
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const family = isIP(host);
  if (family !== 0) {
    return PRIVATE.check(host, family === 4 ? 'ipv4' : 'ipv6')
      ? 'must be a public host, not a private, loopback or link-local address'
      : undefined;
  }
  // One trailing dot is the same name (fully qualified): `localhost.` is `localhost`.
  const name = host.replace(/\.$/, '');
  if (!name.includes('.') || LOCAL_NAME.test(name)) return 'must be a public host name';
  return undefined;
};
