import { describe, expect, it } from '@jest/globals';
import { issue } from '../../../shared/engine';
import { DeliveryFailedError, RateLimitedError } from '../../../shared/errors';
import {
  engineHarness,
  keysFor,
  phoneDelivery,
  readItem,
  recordingSenders,
  rejection,
  smsIssue,
  testTenant,
} from '../../support/harness';

/**
 * Values of the recipient counters (store/counters.ts) that a mutant could change without any
 * other test noticing (docs/MUTATION.md): the anonymous share given back with a failed send, the
 * window slots a refund restores, and the window item's ttl.
 */

const PHONE = '+919812345670';
const SECOND = 1000;

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
});
