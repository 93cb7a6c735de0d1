import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from '@jest/globals';
import { issue, verify } from '../../../shared/engine';
import type { SendPlan } from '../../../shared/engine/plan';
import { auditCounters, countersOf, VERDICT_TTL_MS, wholeRefusal } from '../../../shared/engine/whole-limits';
import { RateLimitedError } from '../../../shared/errors';
import { countryPk } from '../../../shared/store/pumping';
import type { Tenant } from '../../../shared/tenants';
import {
  breakerTotals,
  dayCounters,
  emptyBatchGets,
  engineHarness,
  lastCode,
  logsOf,
  phoneDelivery,
  putItem,
  readChallenge,
  rejection,
  smsIssue,
  testTenant,
  verifyOf,
} from '../../support/harness';

/**
 * The whole limits of the sharded counters (shared/engine/whole-limits.ts) at their edges, each
 * a value a mutant once changed without any test noticing (docs/MUTATION.md): the period verdict
 * a process remembers for a minute and forgets when its read failed, the tenant day's cap and the
 * breaker's two hours judged on the whole sum, and a sum the store left half-read.
 *
 * The items are written straight into DynamoDB Local as the charges leave them (`sends`,
 * `balance` per shard); the functions are the ones the engine calls around a send's transaction.
 */

type Harness = Awaited<ReturnType<typeof engineHarness>>;

/** A plan that charges `messages` SMS to one region's breaker (India), authenticated. */
const planTo = (tenant: Tenant, messages: number): SendPlan => ({
  messages,
  recipients: [],
  prefixes: [],
  breakers: [{ pk: countryPk(tenant.tenantId, 'authenticated', 'IN'), messages }],
});

/** The tenant's day counter and the breaker counter of `planTo(tenant, messages)`. */
const counters = (h: Harness, tenant: Tenant, messages = 1) => {
  const [day, breaker] = countersOf(tenant.tenantId, tenant.policy, planTo(tenant, messages), h.clock.now());
  if (!day || !breaker) throw new Error('countersOf lost a counter');
  return { day, breaker };
};

/**
 * Makes the next BatchGetItem of `ddb` fail once `release` is called (a store fault arriving
 * late, after other requests have gone by).
 */
const failNextRead = (ddb: DynamoDBClient) => {
  let armed = true;
  let release = () => {};
  let arrive = () => {};
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  const arrived = new Promise<void>((resolve) => {
    arrive = resolve;
  });
  ddb.middlewareStack.add(
    (next, context) => async (args) => {
      if (!armed || context.commandName !== 'BatchGetItemCommand') return next(args);
      armed = false;
      arrive();
      await released;
      throw Object.assign(new Error('store fault'), { name: 'InternalServerError' });
    },
    { step: 'initialize', name: `fail-${Math.random()}` },
  );
  return { arrived, release };
};

const reads = (h: Harness) => h.requests.counts.BatchGetItemCommand ?? 0;

describe('engine › whole limits of the sharded counters', () => {
  // First in the file: the per-process memo of period verdicts starts empty here.
  it("remembers a period's verdict for exactly VERDICT_TTL_MS, then reads it again", async () => {
    const h = await engineHarness();
    const tenant = testTenant();
    const { day, breaker } = counters(h, tenant);
    const t0 = h.clock.now();

    expect(await auditCounters(h.ddb, h.tableName, [day, breaker], t0)).toEqual([]);
    expect(reads(h)).toBeGreaterThan(0);
    h.requests.reset();
    // Within the minute: the verdicts are remembered, no read at all.
    expect(await auditCounters(h.ddb, h.tableName, [day, breaker], t0 + 1)).toEqual([]);
    expect(await auditCounters(h.ddb, h.tableName, [day, breaker], t0 + VERDICT_TTL_MS - 1)).toEqual([]);
    expect(reads(h)).toBe(0);
    // At the minute: read again (a limit set back meanwhile is seen).
    await putItem(h, day.periods[0]?.legacy as { pk: string; sk: string }, { sends: 1 });
    expect(await auditCounters(h.ddb, h.tableName, [day, breaker], t0 + VERDICT_TTL_MS)).toEqual([day]);
    expect(reads(h)).toBeGreaterThan(0);
  });

  it('forgets a verdict whose read failed: that send is judged whole, the next one reads again', async () => {
    const h = await engineHarness();
    const tenant = testTenant();
    const { day } = counters(h, tenant);
    const t0 = h.clock.now();
    const fault = failNextRead(h.ddb);
    const failing = auditCounters(h.ddb, h.tableName, [day], t0);
    fault.release();
    // Unknown reads as irregular: the send that met the fault is judged on the whole sum.
    expect(await failing).toEqual([day]);
    h.requests.reset();
    expect(await auditCounters(h.ddb, h.tableName, [day], t0 + 1)).toEqual([]);
    expect(reads(h)).toBe(1);
  });

  it('a late failure of an expired read does not drop the verdict read after it', async () => {
    const h = await engineHarness();
    const tenant = testTenant();
    const { day } = counters(h, tenant);
    const t0 = h.clock.now();
    const fault = failNextRead(h.ddb);
    // The first read hangs until the verdict it was for has expired and been read again.
    const stale = auditCounters(h.ddb, h.tableName, [day], t0);
    await fault.arrived;
    expect(await auditCounters(h.ddb, h.tableName, [day], t0 + VERDICT_TTL_MS)).toEqual([]);
    fault.release();
    expect(await stale).toEqual([day]);
    h.requests.reset();
    // The newer verdict is still remembered: no read.
    expect(await auditCounters(h.ddb, h.tableName, [day], t0 + VERDICT_TTL_MS + 1)).toEqual([]);
    expect(reads(h)).toBe(0);
  });

  it('judges a breaker irregular when only its previous hour holds an unsharded item', async () => {
    const h = await engineHarness();
    const tenant = testTenant();
    const { day, breaker } = counters(h, tenant);
    await putItem(h, breaker.periods[1]?.legacy as { pk: string; sk: string }, { sends: 3, balance: -600 });
    expect(await auditCounters(h.ddb, h.tableName, [day, breaker], h.clock.now())).toEqual([breaker]);
  });

  it('judges a period the store left unread irregular, however clean its items are', async () => {
    const h = await engineHarness();
    const { day } = counters(h, testTenant());
    emptyBatchGets(h.ddb, { unprocessed: true });
    expect(await auditCounters(h.ddb, h.tableName, [day], h.clock.now())).toEqual([day]);
  });

  it('reads nothing and refuses nothing when no period is irregular', async () => {
    const h = await engineHarness();
    h.requests.reset();
    await expect(wholeRefusal(h.ddb, h.tableName, [])).resolves.toBeUndefined();
    expect(h.requests.total()).toBe(0);
  });

  it("holds the tenant's day at its cap: the cap itself passes, one more is given back", async () => {
    const h = await engineHarness();
    const tenant = testTenant({ policy: { maxDailySendsPerTenant: 10 } });
    const { day } = counters(h, tenant);
    const period = day.periods[0];
    if (!period) throw new Error('no period');
    // Spread over the unsharded item and two shards, as a deploy day leaves them.
    await putItem(h, period.legacy, { sends: 4 });
    await putItem(h, period.shards[0] as { pk: string; sk: string }, { sends: 3 });
    await putItem(h, period.shards[63] as { pk: string; sk: string }, { sends: 3 });
    await expect(wholeRefusal(h.ddb, h.tableName, [day])).resolves.toBeUndefined();
    await putItem(h, period.shards[63] as { pk: string; sk: string }, { sends: 4 });
    await expect(wholeRefusal(h.ddb, h.tableName, [day])).resolves.toBe('tenant-daily');
  });

  describe("a breaker's current hour (conversionMinSends 10, ratio 0.2: a message costs 200)", () => {
    /** Judges a send of `messages` SMS after its charge, with the current hour at `sends`/`balance`. */
    const judge = async (sends: number, balance: number, messages = 2) => {
      const h = await engineHarness();
      const tenant = testTenant({ policy: { conversionMinSends: 10, minConversionRatio: 0.2 } });
      const { day, breaker } = counters(h, tenant, messages);
      await putItem(h, breaker.periods[0]?.legacy as { pk: string; sk: string }, { sends, balance });
      // The tenant's day is judged first and passes: the breaker still is judged after it.
      return wholeRefusal(h.ddb, h.tableName, [day, breaker]);
    };

    it('refuses past conversionMinSends when the balance before this send was negative', async () => {
      // 11 sends, the balance -401 after this send's 2 messages (-400): -1 before it.
      await expect(judge(11, -401)).resolves.toBe('breaker-current');
    });

    it('passes when the balance before this send was exactly zero', async () => {
      await expect(judge(11, -400)).resolves.toBeUndefined();
    });

    it('passes at exactly conversionMinSends sends, however negative the balance', async () => {
      await expect(judge(10, -10_000)).resolves.toBeUndefined();
    });

    it('passes below conversionMinSends, and past it with a positive balance', async () => {
      await expect(judge(5, -10_000)).resolves.toBeUndefined();
      await expect(judge(50, 1_000)).resolves.toBeUndefined();
    });
  });

  describe("a breaker's previous hour (conversionMinSends 10)", () => {
    const judge = async (sends: number, balance: number) => {
      const h = await engineHarness();
      const tenant = testTenant({ policy: { conversionMinSends: 10, minConversionRatio: 0.2 } });
      const { breaker } = counters(h, tenant);
      await putItem(h, breaker.periods[1]?.legacy as { pk: string; sk: string }, { sends, balance });
      return wholeRefusal(h.ddb, h.tableName, [breaker]);
    };

    it('refuses once it judged (conversionMinSends sends) with a negative balance', async () => {
      await expect(judge(10, -1)).resolves.toBe('breaker-previous');
    });

    it('passes below conversionMinSends, or with a balance of zero', async () => {
      await expect(judge(9, -5_000)).resolves.toBeUndefined();
      await expect(judge(10, 0)).resolves.toBeUndefined();
    });
  });

  describe('a sum the store left half-read', () => {
    it("refuses on the safe side, naming the first counter's limit", async () => {
      const h = await engineHarness();
      const { day, breaker } = counters(h, testTenant());
      emptyBatchGets(h.ddb, { unprocessed: true });
      await expect(wholeRefusal(h.ddb, h.tableName, [day, breaker])).resolves.toBe('tenant-daily');
      await expect(wholeRefusal(h.ddb, h.tableName, [breaker, day])).resolves.toBe('breaker-current');
    });
  });
});

/**
 * The same limits through `issue`: a send the whole sum refuses is given back whole (charges
 * refunded, the fresh code deleted or the resend undone, nothing sent), answered with the
 * limit's own reason and Retry-After, and a pumping refusal is logged with the fields operators
 * alarm on.
 */
describe('engine › issue refused by a whole limit', () => {
  const PHONE = '+919812345670';
  const OTHER = '+919876543210';
  /** 12:30:00.250 UTC: Retry-After is rounded up from a fraction of a second. */
  const HALF_PAST = 30 * 60_000 + 250;

  const breakerTenant = () =>
    testTenant({
      policy: { conversionMinSends: 40, minConversionRatio: 0.2, maxSendsPerPrefixPerHour: 1_000 },
    });

  it("gives back a fresh code past the tenant's day (unsharded item of the deploy day), retry at midnight", async () => {
    const h = await engineHarness();
    h.clock.advance(HALF_PAST);
    const tenant = testTenant({ policy: { maxDailySendsPerTenant: 60, minConversionRatio: 0 } });
    const { day } = counters(h, tenant);
    await putItem(h, day.periods[0]?.legacy as { pk: string; sk: string }, { sends: 60 });
    const req = smsIssue(tenant, PHONE);

    const refused = await rejection(issue(h.deps, req), RateLimitedError);

    // 11:29:59.75 to 00:00 UTC, rounded up.
    expect(refused).toMatchObject({ reason: 'tenant-daily', retryAfterSeconds: 11 * 3600 + 30 * 60 });
    expect(h.sent).toEqual([]);
    expect(await readChallenge(h, tenant, req.purpose, PHONE)).toBeUndefined();
    expect(await dayCounters(h.ddb, h.tableName, tenant, PHONE, h.clock.now())).toMatchObject({
      sends: 0,
      tenantSends: 0,
    });
    // Not a pumping defence: no pumping line.
    expect(logsOf(h.logLines, 'sms pumping defence refused a send')).toEqual([]);
  });

  it("gives back a send past this hour's breaker (unsharded item), retry after the next hour, logged", async () => {
    const h = await engineHarness();
    h.clock.advance(HALF_PAST);
    const tenant = breakerTenant();
    const { breaker } = counters(h, tenant);
    await putItem(h, breaker.periods[0]?.legacy as { pk: string; sk: string }, {
      sends: 45,
      balance: -45_000,
    });
    const req = smsIssue(tenant, PHONE, 'test:login', { caller: 'anonymous' });
    const anonymousBreaker = countersOf(
      tenant.tenantId,
      tenant.policy,
      {
        ...planTo(tenant, 1),
        breakers: [{ pk: countryPk(tenant.tenantId, 'anonymous', 'IN'), messages: 1 }],
      },
      h.clock.now(),
    )[1];
    await putItem(h, anonymousBreaker?.periods[0]?.legacy as { pk: string; sk: string }, {
      sends: 45,
      balance: -45_000,
    });

    const refused = await rejection(issue(h.deps, req), RateLimitedError);

    // The verdict of this hour holds through the next: 1:29:59.75 to 14:00, rounded up.
    expect(refused).toMatchObject({ reason: 'conversion-breaker', retryAfterSeconds: 5400 });
    expect(h.sent).toEqual([]);
    expect(await readChallenge(h, tenant, req.purpose, PHONE)).toBeUndefined();
    expect(await breakerTotals(h.ddb, h.tableName, tenant, 'IN', h.clock.now(), 'anonymous')).toEqual({
      sends: 0,
      verified: 0,
      balance: 0,
    });
    expect(logsOf(h.logLines, 'sms pumping defence refused a send')).toEqual([
      expect.objectContaining({
        tenant: tenant.tenantId,
        purpose: req.purpose,
        subject: '+91*******670',
        reason: 'conversion-breaker',
        caller: 'anonymous',
      }),
    ]);
  });

  it("gives back a send the previous hour's breaker (unsharded item) refuses, retry at the next hour", async () => {
    const h = await engineHarness();
    h.clock.advance(HALF_PAST);
    const tenant = breakerTenant();
    const { breaker } = counters(h, tenant);
    await putItem(h, breaker.periods[1]?.legacy as { pk: string; sk: string }, {
      sends: 45,
      balance: -45_000,
    });

    const refused = await rejection(issue(h.deps, smsIssue(tenant, PHONE)), RateLimitedError);

    expect(refused).toMatchObject({ reason: 'conversion-breaker', retryAfterSeconds: 1800 });
    expect(h.sent).toEqual([]);
    expect((await breakerTotals(h.ddb, h.tableName, tenant, 'IN', h.clock.now())).sends).toBe(0);
    expect(logsOf(h.logLines, 'sms pumping defence refused a send')).toEqual([
      expect.objectContaining({
        reason: 'conversion-breaker',
        caller: 'authenticated',
        subject: '+91*******670',
      }),
    ]);
  });

  it('undoes a resend to a new recipient that a whole limit refuses: the live code as it was, still verifiable', async () => {
    const h = await engineHarness();
    const tenant = testTenant({ policy: { maxDailySendsPerTenant: 60, minConversionRatio: 0 } });
    const first = smsIssue(tenant, 'user:7', 'test:login', { deliveries: [phoneDelivery('SMS', PHONE)] });
    await issue(h.deps, first);
    const code = lastCode(h.sent);
    const before = await readChallenge(h, tenant, first.purpose, first.subject);
    // The day turns irregular (the unsharded item of the deploy day); a minute later the
    // process reads the period again.
    const { day } = counters(h, tenant);
    await putItem(h, day.periods[0]?.legacy as { pk: string; sk: string }, { sends: 60 });
    h.clock.advance(VERDICT_TTL_MS + 1_000);
    const resend = { ...first, deliveries: [phoneDelivery('SMS', OTHER)] };

    const refused = await rejection(issue(h.deps, resend), RateLimitedError);

    expect(refused.reason).toBe('tenant-daily');
    expect(h.sent).toHaveLength(1);
    const after = await readChallenge(h, tenant, first.purpose, first.subject);
    expect(after).toMatchObject({
      id: before?.id,
      sendCount: 1,
      lastSentAt: before?.lastSentAt,
      recipients: before?.recipients,
    });
    expect(await dayCounters(h.ddb, h.tableName, tenant, OTHER, h.clock.now())).toMatchObject({ sends: 0 });
    await verify(h.deps, verifyOf(first, code));
  });
});
