import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { expect } from '@jest/globals';
import { issue } from '../../shared/engine';
import { typeAllowed } from '../../shared/engine/number-policy';
import type { IssueRequest } from '../../shared/engine/types';
import { auditCounters, countersOf } from '../../shared/engine/whole-limits';
import { RateLimitedError, ServiceUnavailableError } from '../../shared/errors';
import { parseE164 } from '../../shared/phone';
import { countryPk } from '../../shared/store/pumping';
import type { Tenant } from '../../shared/tenants';
import type { engineHarness } from './harness';
import { testTenant } from './harness';

/**
 * Helpers of the tests of the sharded counters (test/security/hot-items.test.ts,
 * test/security/sharded-limits.test.ts).
 */

/**
 * `count` distinct Indian mobile numbers spread over many 4-digit prefixes (so the prefix
 * velocity limit, a per-prefix counter by design, stays out of the way), all in one region;
 * `from` skips the first ones (a second batch of other numbers).
 */
export const indianMobiles = (count: number, from = 0): string[] => {
  const tenant = testTenant();
  const out: string[] = [];
  for (let i = 0; out.length < count + from; i++) {
    const e164 = `+91${9000 + (i % 1000)}${String(100_000 + Math.floor(i / 1000)).slice(1)}1`;
    const phone = parseE164(e164);
    if (phone?.region === 'IN' && typeAllowed(phone, 'SMS', tenant.policy)) out.push(e164);
  }
  return out.slice(from);
};

/** Runs `work` over `items` with at most `limit` in flight. */
export const pool = async <T>(items: T[], limit: number, work: (item: T) => Promise<unknown>) => {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) {
        const item = items[next++] as T;
        await work(item);
      }
    }),
  );
};

type Harness = Awaited<ReturnType<typeof engineHarness>>;

/**
 * Issues every request at once. Refusals are a limit's own (`RateLimitedError`) or a 503 for a
 * request whose conflicts (or, on a loaded machine, store timeouts) outlasted the retry budget:
 * never anything else. Returns how many were admitted, how many answered 503, and the reasons.
 */
export const burst = async (h: Harness, reqs: IssueRequest[]) => {
  const results = await Promise.allSettled(reqs.map((req) => issue(h.deps, req)));
  const refused = results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []));
  const unavailable = refused.filter((e) => e instanceof ServiceUnavailableError).length;
  for (const e of refused) {
    if (!(e instanceof ServiceUnavailableError)) expect(e).toBeInstanceOf(RateLimitedError);
  }
  const admitted = results.filter((r) => r.status === 'fulfilled').length;
  const reasons = [...new Set(refused.flatMap((e) => (e instanceof RateLimitedError ? [e.reason] : [])))];
  return { admitted, unavailable, reasons };
};

/**
 * Reads the period verdicts the engine reads once per process beside a period's first send
 * (shared/engine/whole-limits.ts) for the tenant's day and the breaker of every allowed region,
 * both trusts: a test that counts a send's requests or injects faults into them can warm them
 * first, as it warms the tenant cache.
 */
export const warmShardPeriods = async (
  ddb: DynamoDBClient,
  tableName: string,
  tenant: Tenant,
  now: number,
) => {
  const breakers = tenant.policy.allowedRegions.flatMap((region) =>
    (['authenticated', 'anonymous'] as const).map((trust) => ({
      pk: countryPk(tenant.tenantId, trust, region),
      messages: 1,
    })),
  );
  await auditCounters(
    ddb,
    tableName,
    countersOf(tenant.tenantId, tenant.policy, { messages: 1, recipients: [], prefixes: [], breakers }, now),
    now,
  );
};
