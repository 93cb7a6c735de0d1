import type { Tenant } from '../../shared/tenants';

/** Seconds the demo's fallback waits before the voice call: short, so it can be watched in the inbox. */
export const DEMO_FALLBACK_SECONDS = 15;

/**
 * The demo tenant's fallback workflow (README "Fallback workflows"): a Capillary v2 generate for
 * action REGISTRATION is followed, 15 s later, by a voice call with the same code to the same
 * phone, unless the code was validated (or expired, or locked) by then.
 */
export const demoTenantPatch: Partial<Tenant> = {
  fallback: { 'v2:REGISTRATION': { steps: [{ channel: 'VOICE', afterSeconds: DEMO_FALLBACK_SECONDS }] } },
};

/** Printed at start. */
export const demoCurl = [
  `# fallback: SMS now, a voice call with the same code ${DEMO_FALLBACK_SECONDS} s later unless validated (watch /_local/inbox)`,
  `curl -s -u demo-client:demo-secret-local-only-0123456789 -H 'content-type: application/json' http://localhost:3000/v2/otp/generate -d '{"entityType":"MOBILE","entityValue":"919876543210","action":"REGISTRATION","channels":[{"type":"SMS","value":"919876543210"}]}'`,
];
