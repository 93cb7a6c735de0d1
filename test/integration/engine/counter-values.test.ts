import { describe, expect, it } from '@jest/globals';
import { issue, verify } from '../../../shared/engine';
import { DeliveryFailedError, InvalidCodeError, RateLimitedError } from '../../../shared/errors';
import { tenantDayKeys } from '../../../shared/store/counters';
import {
  engineHarness,
  keysFor,
  lastCode,
  phoneDelivery,
  readItem,
  recordingSenders,
  rejection,
  smsIssue,
  testTenant,
  verifyOf,
  wrongCodeFor,
} from '../../support/harness';

/**
 * Values of the recipient counters (store/counters.ts) that a mutant could change without any
 * other test noticing (docs/MUTATION.md): the anonymous share given back with a failed send, the
 * window slots a refund restores, and the window item's ttl.
 */

const PHONE = '+919812345670';
const SECOND = 1000;

/** An SMS and a voice call to the same number: two messages to one recipient and one prefix. */
const twoMessages = (tenant: Parameters<typeof smsIssue>[0], purpose: string) =>
  smsIssue(tenant, PHONE, purpose, {
    deliveries: [phoneDelivery('SMS', PHONE), phoneDelivery('VOICE', PHONE)],
  });

/** The `t0 … t<size-1>` (or `a…`) slots of a window item, missing as 0. */
const slotsOf = (item: Record<string, unknown> | undefined, prefix: 't' | 'a', size: number) =>
  Array.from({ length: size }, (_, i) => Number(item?.[`${prefix}${i}`] ?? 0));

describe('engine › recipient counter values', () => {
  it('gives back an anonymous send no channel delivered in the anonymous share too', async () => {
    const h = await engineHarness({ fail: ['SMS'] });
    const tenant = testTenant({ policy: { maxMessagesPerRecipientWindow: 5 } });
    const keys = keysFor(tenant, 'any', PHONE, h.clock.now());
    await rejection(issue(h.deps, { ...smsIssue(tenant, PHONE), caller: 'anonymous' }), DeliveryFailedError);
    expect(await readItem(h.ddb, h.tableName, keys.destinationDay)).toMatchObject({ sends: 0, anonSends: 0 });
    const window = await readItem(h.ddb, h.tableName, keys.recipientWindow);
    expect(slotsOf(window, 't', 5)).toEqual([0, 0, 0, 0, 0]);
    expect(slotsOf(window, 'a', 3)).toEqual([0, 0, 0]);

    // The anonymous share of the window (3) is whole again: three anonymous sends, then refused.
    h.deps.senders = recordingSenders().senders;
    for (let i = 0; i < 3; i++) {
      h.clock.advance(SECOND);
      await issue(h.deps, { ...smsIssue(tenant, PHONE, `test:anon${i}`), caller: 'anonymous' });
    }
    const refused = await rejection(
      issue(h.deps, { ...smsIssue(tenant, PHONE, 'test:anon3'), caller: 'anonymous' }),
      RateLimitedError,
    );
    expect(refused.reason).toBe('recipient-window');
  });

  it('takes only its own messages out of the window: an earlier delivered message stays counted', async () => {
    const h = await engineHarness();
    const tenant = testTenant({ policy: { maxMessagesPerRecipientWindow: 4 } });
    const keys = keysFor(tenant, 'any', PHONE, h.clock.now());
    const firstAt = h.clock.now();
    await issue(h.deps, smsIssue(tenant, PHONE, 'test:first'));
    h.clock.advance(SECOND);
    // Two messages to the same number (SMS and voice), both failing.
    h.deps.senders = recordingSenders(['SMS', 'VOICE']).senders;
    await rejection(
      issue(
        h.deps,
        smsIssue(tenant, PHONE, 'test:second', {
          deliveries: [phoneDelivery('SMS', PHONE), phoneDelivery('VOICE', PHONE)],
        }),
      ),
      DeliveryFailedError,
    );
    expect(slotsOf(await readItem(h.ddb, h.tableName, keys.recipientWindow), 't', 4)).toEqual([
      firstAt,
      0,
      0,
      0,
    ]);
    expect(await readItem(h.ddb, h.tableName, keys.destinationDay)).toMatchObject({ sends: 1 });
  });

  it("keeps the window item until its newest message leaves the window, and a minute's slack at most", async () => {
    const h = await engineHarness();
    const tenant = testTenant({ policy: { recipientWindowSeconds: 900 } });
    // A clock off the whole second: the ttl (epoch seconds) must round up, not down.
    h.clock.advance(400);
    const sentAt = h.clock.now();
    await issue(h.deps, smsIssue(tenant, PHONE));
    const window = await readItem(h.ddb, h.tableName, keysFor(tenant, 'any', PHONE, sentAt).recipientWindow);
    expect(window?.t0).toBe(sentAt);
    const ttlMs = Number(window?.ttl) * 1000;
    expect(ttlMs).toBeGreaterThanOrEqual(sentAt + 900 * SECOND);
    expect(ttlMs - (sentAt + 900 * SECOND)).toBeLessThanOrEqual(61 * SECOND);
  });

  it('keeps an authenticated send out of the anonymous share, charged or given back', async () => {
    const h = await engineHarness();
    const tenant = testTenant({ policy: { maxMessagesPerRecipientWindow: 5 } });
    const keys = keysFor(tenant, 'any', PHONE, h.clock.now());
    const anonAt = h.clock.now();
    await issue(h.deps, { ...smsIssue(tenant, PHONE, 'test:anon'), caller: 'anonymous' });
    // An authenticated send that reaches no one: charged, then given back.
    h.clock.advance(SECOND);
    h.deps.senders = recordingSenders(['SMS']).senders;
    await rejection(issue(h.deps, smsIssue(tenant, PHONE, 'test:failed')), DeliveryFailedError);
    expect(await readItem(h.ddb, h.tableName, keys.destinationDay)).toMatchObject({ sends: 1, anonSends: 1 });
    const window = await readItem(h.ddb, h.tableName, keys.recipientWindow);
    expect(slotsOf(window, 't', 5)).toEqual([anonAt, 0, 0, 0, 0]);
    expect(slotsOf(window, 'a', 3)).toEqual([anonAt, 0, 0]);
    // A delivered authenticated send counts in the total only.
    h.clock.advance(SECOND);
    h.deps.senders = recordingSenders().senders;
    await issue(h.deps, smsIssue(tenant, PHONE, 'test:delivered'));
    expect(await readItem(h.ddb, h.tableName, keys.destinationDay)).toMatchObject({ sends: 2, anonSends: 1 });
  });

  it('counts an authenticated wrong guess in the total failures only', async () => {
    const h = await engineHarness();
    const tenant = testTenant();
    const req = smsIssue(tenant, PHONE);
    await issue(h.deps, req);
    await rejection(verify(h.deps, verifyOf(req, wrongCodeFor(lastCode(h.sent)))), InvalidCodeError);
    const day = await readItem(
      h.ddb,
      h.tableName,
      keysFor(tenant, 'any', PHONE, h.clock.now()).destinationDay,
    );
    expect(day?.failures).toBe(1);
    expect(day).not.toHaveProperty('anonFailures');
  });

  it('holds the anonymous daily share exactly: its last message passes, the next is refused', async () => {
    const h = await engineHarness();
    const tenant = testTenant({
      policy: {
        maxMessagesPerRecipientWindow: 10,
        anonymous: { maxMessagesPerWindow: 10, maxDailyMessages: 2, maxDailyFailures: 10 },
      },
    });
    for (const purpose of ['test:a', 'test:b']) {
      h.clock.advance(SECOND);
      await issue(h.deps, { ...smsIssue(tenant, PHONE, purpose), caller: 'anonymous' });
    }
    h.clock.advance(SECOND);
    const refused = await rejection(
      issue(h.deps, { ...smsIssue(tenant, PHONE, 'test:c'), caller: 'anonymous' }),
      RateLimitedError,
    );
    expect(refused.reason).toBe('destination-daily');
    expect(h.sent).toHaveLength(2);
    // The tenant's own (authenticated) traffic keeps the rest of the day.
    await issue(h.deps, smsIssue(tenant, PHONE, 'test:c'));
    expect(
      await readItem(h.ddb, h.tableName, keysFor(tenant, 'any', PHONE, h.clock.now()).destinationDay),
    ).toMatchObject({
      sends: 3,
      anonSends: 2,
    });
  });

  it('refuses on a fresh day a request with more messages than the daily limit (and the anonymous share) holds', async () => {
    const h = await engineHarness();
    const all = testTenant({ policy: { maxDailySendsPerDestination: 1 } });
    expect((await rejection(issue(h.deps, twoMessages(all, 'test:all')), RateLimitedError)).reason).toBe(
      'destination-daily',
    );
    const anon = testTenant({
      policy: { anonymous: { maxMessagesPerWindow: 3, maxDailyMessages: 1, maxDailyFailures: 10 } },
    });
    expect(
      (
        await rejection(
          issue(h.deps, { ...twoMessages(anon, 'test:anon'), caller: 'anonymous' }),
          RateLimitedError,
        )
      ).reason,
    ).toBe('destination-daily');
    expect(h.sent).toHaveLength(0);
  });

  it('refuses on a fresh hour a request with more messages to one prefix than its hourly limit', async () => {
    const h = await engineHarness();
    const tenant = testTenant({ policy: { maxSendsPerPrefixPerHour: 1, minConversionRatio: 0 } });
    const refused = await rejection(issue(h.deps, twoMessages(tenant, 'test:login')), RateLimitedError);
    expect(refused.reason).toBe('prefix-velocity');
    expect(h.sent).toHaveLength(0);
  });

  it('stamps each tenant-day shard it charges with the cap it was judged by (shards.ts tells a changed limit by it)', async () => {
    const h = await engineHarness();
    const tenant = testTenant({ policy: { maxDailySendsPerTenant: 20 } });
    await issue(h.deps, smsIssue(tenant, PHONE));
    const shards = await Promise.all(
      tenantDayKeys(tenant.tenantId, tenant.policy, h.clock.now()).map((k) =>
        readItem(h.ddb, h.tableName, k),
      ),
    );
    expect(shards.filter((i) => i !== undefined)).toEqual([expect.objectContaining({ sends: 1, lim: 20 })]);
  });
});
