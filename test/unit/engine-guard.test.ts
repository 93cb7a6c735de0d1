import type { TransactWriteItem } from '@aws-sdk/client-dynamodb';
import { describe, expect, it, jest } from '@jest/globals';
import { GuardWatch } from '../../shared/engine/guard';
import type { Guard } from '../../shared/engine/types';
import { NoActiveCodeError, RateLimitedError, ServiceUnavailableError } from '../../shared/errors';
import { TransactionResult } from '../../shared/store/dynamo';

/**
 * The engine's hold on a dialect's guard (shared/engine/guard.ts) on its own: which refusal a
 * transaction's result gives, and how an engine refusal ranks against the guard's own verdict.
 * capillary-auth's tests drive it end to end against DynamoDB Local.
 */

const CHECK: TransactWriteItem = { ConditionCheck: { TableName: 't', Key: {}, ConditionExpression: 'x' } };

class SessionEnded extends Error {}
class OtherDevice extends Error {}

const guardOf = (extra: Partial<Guard> = {}): Guard => ({
  check: CHECK,
  refusal: (old) => (old?.device === 'other' ? new OtherDevice() : new SessionEnded()),
  ...extra,
});

/** A transaction of items `names` that committed, or in which `failed` failed with old item `old`. */
const committed = (names: string[]) => new TransactionResult(names, [], true);
const cancelled = (names: string[], failed: string, old?: Record<string, unknown>) =>
  new TransactionResult(
    names,
    names.map((n) =>
      n === failed ? { code: 'ConditionalCheckFailed', ...(old && { item: old }) } : { code: 'None' },
    ),
    false,
  );

describe('engine › guard watch', () => {
  it('adds no check and refuses nothing without a guard', async () => {
    const watch = new GuardWatch(undefined);
    expect(watch.check).toBeUndefined();
    expect(watch.refusal(cancelled(['guard'], 'guard'))).toBeUndefined();
    const error = new NoActiveCodeError('No active code');
    await expect(watch.rank(error)).resolves.toBe(error);
  });

  it("gives the guard's check, and its refusal, told from the old item, when that check failed", () => {
    const watch = new GuardWatch(guardOf());
    expect(watch.check).toBe(CHECK);
    expect(watch.refusal(cancelled(['challenge', 'guard'], 'guard'))).toBeInstanceOf(SessionEnded);
    expect(watch.refusal(cancelled(['challenge', 'guard'], 'guard', { device: 'other' }))).toBeInstanceOf(
      OtherDevice,
    );
    // Another item's failure is not the guard's.
    expect(watch.refusal(cancelled(['challenge', 'guard'], 'challenge'))).toBeUndefined();
    // The check may ride on a write of another name.
    expect(
      watch.refusal(cancelled(['onSuccess:session'], 'onSuccess:session'), 'onSuccess:session'),
    ).toBeInstanceOf(SessionEnded);
    expect(watch.refusal(cancelled(['onSuccess:session'], 'onSuccess:session'))).toBeUndefined();
  });

  it('settles a result by throwing the refusal, and passes one whose check held', () => {
    const watch = new GuardWatch(guardOf());
    expect(() => watch.settle(cancelled(['guard'], 'guard'))).toThrow(SessionEnded);
    expect(() => watch.settle(cancelled(['guard', 'tenantDay'], 'tenantDay'))).not.toThrow();
    expect(() => watch.settle(committed(['guard']))).not.toThrow();
  });

  it("ranks an engine refusal below the guard's own verdict until a transaction with the check commits", async () => {
    const recheck = jest.fn(async (): Promise<Error | undefined> => new SessionEnded());
    const watch = new GuardWatch(guardOf({ recheck }));
    const refused = new RateLimitedError('tenant-daily', 60);
    await expect(watch.rank(refused)).resolves.toBeInstanceOf(SessionEnded);
    // A cancelled transaction is no commit: the guard still ranks first.
    watch.refusal(cancelled(['guard', 'tenantDay'], 'tenantDay'));
    await expect(watch.rank(refused)).resolves.toBeInstanceOf(SessionEnded);
    expect(recheck).toHaveBeenCalledTimes(2);
    // Once a transaction holding the check committed, the engine's refusal stands, unasked.
    watch.refusal(committed(['guard']));
    await expect(watch.rank(refused)).resolves.toBe(refused);
    expect(recheck).toHaveBeenCalledTimes(2);
  });

  it('keeps the engine refusal when the guard finds nothing wrong, or cannot tell', async () => {
    const refused = new RateLimitedError('tenant-daily', 60);
    const fine = new GuardWatch(guardOf({ recheck: async () => undefined }));
    await expect(fine.rank(refused)).resolves.toBe(refused);
    const failing = new GuardWatch(
      guardOf({
        recheck: async () => {
          throw new ServiceUnavailableError('The store is unavailable', { fault: 'store-throttled' });
        },
      }),
    );
    await expect(failing.rank(refused)).resolves.toBe(refused);
  });

  it('never ranks a store fault or a bug below the guard (no recheck is made)', async () => {
    const recheck = jest.fn(async (): Promise<Error | undefined> => new SessionEnded());
    const watch = new GuardWatch(guardOf({ recheck }));
    const fault = new ServiceUnavailableError('The store is unavailable', { fault: 'store-timeout' });
    const bug = new TypeError('x is undefined');
    await expect(watch.rank(fault)).resolves.toBe(fault);
    await expect(watch.rank(bug)).resolves.toBe(bug);
    await expect(watch.rank('thrown string')).resolves.toBe('thrown string');
    expect(recheck).not.toHaveBeenCalled();
  });
});
