import {
  DynamoDBClient,
  TransactionCanceledException,
  type TransactWriteItem,
  TransactWriteItemsCommand,
} from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { mockClient } from 'aws-sdk-client-mock';
import { withDeadline } from '../../shared/deadline';
import { ServiceUnavailableError } from '../../shared/errors';
import {
  CONFLICT_RETRY,
  guard,
  isTransient,
  storeFault,
  Transaction,
  transact,
} from '../../shared/store/dynamo';

/**
 * The store's fault handling (shared/store/dynamo.ts) at the client seam: which SDK errors are a
 * store fault (a 503 the client retries) and which are bugs, how a cancelled transaction is read,
 * and the conflict retry's backoff and budget. DynamoDB Local produces none of these faults, so the
 * client is mocked (aws-sdk-client-mock); the engine's own tests run the happy and conditional
 * paths against DynamoDB Local.
 */

const named = (name: string, extra: Record<string, unknown> = {}) =>
  Object.assign(new Error(`${name} happened`), { name }, extra);

const cancelled = (reasons: { Code?: string; Item?: Record<string, unknown> }[] | undefined) =>
  new TransactionCanceledException({
    message: 'Transaction cancelled',
    $metadata: {},
    CancellationReasons: reasons?.map((r) => ({
      ...(r.Code !== undefined && { Code: r.Code }),
      ...(r.Item && { Item: marshall(r.Item) }),
    })),
  });

const ITEM: TransactWriteItem = {
  ConditionCheck: {
    TableName: 't',
    Key: marshall({ pk: 'a', sk: 'b' }),
    ConditionExpression: 'attribute_exists(pk)',
  },
};

/** A DynamoDB client whose TransactWriteItems answers `answers` in turn (an Error is thrown). */
const clientAnswering = (...answers: (Error | 'ok')[]) => {
  const ddb = new DynamoDBClient({ region: 'us-east-1' });
  const mock = mockClient(ddb);
  let chain = mock.on(TransactWriteItemsCommand);
  for (const a of answers) chain = a === 'ok' ? chain.resolvesOnce({}) : chain.rejectsOnce(a);
  return { ddb, mock };
};

/** Sleeps of the conflict retry, recorded instead of waited for. */
const recordSleeps = () => {
  const delays: number[] = [];
  jest.spyOn(globalThis, 'setTimeout').mockImplementation(((fn: () => void, ms?: number) => {
    delays.push(ms ?? 0);
    fn();
    return 0;
  }) as unknown as typeof setTimeout);
  return delays;
};

afterEach(() => {
  jest.restoreAllMocks();
});

describe('store › which errors are store faults', () => {
  it.each([
    'ProvisionedThroughputExceededException',
    'ThrottlingException',
    'RequestLimitExceeded',
    'InternalServerError',
    'ServiceUnavailable',
  ])('%s is a throttled store', (name) => {
    expect(storeFault(named(name))).toBe('store-throttled');
    expect(isTransient(named(name))).toBe(true);
  });

  it.each(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException', 'AbortError'])(
    '%s is a store timeout',
    (name) => {
      expect(storeFault(named(name))).toBe('store-timeout');
    },
  );

  it('a socket timeout (ETIMEDOUT, by code or in the message) is a store timeout', () => {
    expect(storeFault(Object.assign(new Error('connect failed'), { code: 'ETIMEDOUT' }))).toBe(
      'store-timeout',
    );
    expect(storeFault(new Error('read ETIMEDOUT'))).toBe('store-timeout');
  });

  it.each(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE'])(
    '%s (as the code or in the message) is an unreachable store',
    (code) => {
      expect(storeFault(Object.assign(new Error('request failed'), { code }))).toBe('store-unreachable');
      expect(storeFault(new Error(`connect ${code} 127.0.0.1:8000`))).toBe('store-unreachable');
    },
  );

  it('a hung-up socket is an unreachable store', () => {
    expect(storeFault(new Error('socket hang up'))).toBe('store-unreachable');
  });

  it('an error the SDK marks retryable is a fault: throttled when it says so, else a timeout', () => {
    expect(storeFault(Object.assign(new Error('slow down'), { $retryable: { throttling: true } }))).toBe(
      'store-throttled',
    );
    expect(storeFault(Object.assign(new Error('try again'), { $retryable: {} }))).toBe('store-timeout');
  });

  it('a bad request, a bug or a thrown non-error is no store fault', () => {
    expect(storeFault(named('ValidationException'))).toBeUndefined();
    expect(storeFault(new TypeError('x is undefined'))).toBeUndefined();
    // A code that is not a string is not read as one.
    expect(storeFault(Object.assign(new Error('failed'), { code: 110 }))).toBeUndefined();
    expect(storeFault({ name: 'ThrottlingException', message: 'not an Error' })).toBeUndefined();
    expect(isTransient(named('ValidationException'))).toBe(false);
  });
});

describe('store › guard', () => {
  it('turns a store fault into a 503 that keeps its kind and cause', async () => {
    const cause = named('ThrottlingException');
    const error = await guard(() => Promise.reject(cause)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServiceUnavailableError);
    expect(error).toMatchObject({ fault: 'store-throttled', cause });
  });

  it('lets any other error through as it is', async () => {
    const bug = new TypeError('x is undefined');
    await expect(guard(() => Promise.reject(bug))).rejects.toBe(bug);
  });

  it('returns what the call returned', async () => {
    await expect(guard(() => Promise.resolve(42))).resolves.toBe(42);
  });

  it('makes no call once the request is past its deadline', async () => {
    const call = jest.fn(() => Promise.resolve('written'));
    const error = await withDeadline(Date.now() - 1, () => guard(call)).catch((e: unknown) => e);
    expect(error).toMatchObject({ fault: 'handler-deadline' });
    expect(call).not.toHaveBeenCalled();
    await expect(withDeadline(Date.now() + 60_000, () => guard(call))).resolves.toBe('written');
  });
});

describe('store › transact', () => {
  it('answers ok for a committed transaction, sending its items as given', async () => {
    const { ddb, mock } = clientAnswering('ok');
    await expect(transact(ddb, [ITEM])).resolves.toEqual({ ok: true });
    expect(mock.commandCalls(TransactWriteItemsCommand).map((c) => c.args[0].input)).toEqual([
      { TransactItems: [ITEM] },
    ]);
  });

  it('reads a cancellation by its reasons, with the old items unmarshalled, and does not retry it', async () => {
    const { ddb, mock } = clientAnswering(
      cancelled([{ Code: 'None' }, { Code: 'ConditionalCheckFailed', Item: { pk: 'a', sends: 3 } }, {}]),
    );
    await expect(transact(ddb, [ITEM, ITEM, ITEM])).resolves.toEqual({
      ok: false,
      reasons: [
        { code: 'None' },
        { code: 'ConditionalCheckFailed', item: { pk: 'a', sends: 3 } },
        { code: 'None' },
      ],
    });
    expect(mock.commandCalls(TransactWriteItemsCommand)).toHaveLength(1);
  });

  it('reads a cancellation without reasons as none', async () => {
    const { ddb } = clientAnswering(cancelled(undefined));
    await expect(transact(ddb, [ITEM])).resolves.toEqual({ ok: false, reasons: [] });
  });

  it('retries a conflict or a throttled item with capped, doubling, jittered sleeps until it commits', async () => {
    jest.spyOn(Math, 'random').mockReturnValue(1);
    const delays = recordSleeps();
    const conflict = () => cancelled([{ Code: 'None' }, { Code: 'TransactionConflict' }]);
    const { ddb, mock } = clientAnswering(
      conflict(),
      cancelled([{ Code: 'ThrottlingError' }]),
      conflict(),
      conflict(),
      conflict(),
      conflict(),
      conflict(),
      'ok',
    );
    await expect(transact(ddb, [ITEM, ITEM])).resolves.toEqual({ ok: true });
    expect(mock.commandCalls(TransactWriteItemsCommand)).toHaveLength(8);
    const { baseMs, capMs } = CONFLICT_RETRY;
    expect(delays).toEqual([baseMs, baseMs * 2, baseMs * 4, baseMs * 8, baseMs * 16, capMs, capMs]);
    // The jitter is the full range below that ceiling.
    jest.spyOn(Math, 'random').mockReturnValue(0.25);
    delays.length = 0;
    await transact(clientAnswering(conflict(), 'ok').ddb, [ITEM, ITEM]);
    expect(delays).toEqual([baseMs * 0.25]);
  });

  it('gives up with a 503 when the next retry would start past its budget, and not a ms earlier', async () => {
    jest.spyOn(Math, 'random').mockReturnValue(1);
    recordSleeps();
    const { baseMs, budgetMs } = CONFLICT_RETRY;
    const conflict = () => cancelled([{ Code: 'TransactionConflict' }]);
    /** The clock stands still until the second conflict, then `late` ms short of the budget's end. */
    const run = (late: number) => {
      const { ddb, mock } = clientAnswering(conflict(), conflict(), 'ok');
      const start = 1_000_000;
      jest
        .spyOn(Date, 'now')
        .mockImplementation(() =>
          mock.commandCalls(TransactWriteItemsCommand).length < 2 ? start : start + budgetMs - late,
        );
      return {
        result: transact(ddb, [ITEM]).catch((e: unknown) => e),
        calls: () => mock.commandCalls(TransactWriteItemsCommand).length,
      };
    };
    // The second retry sleeps 2 × base: starting at the budget's last ms it still runs…
    const inTime = run(baseMs * 2);
    await expect(inTime.result).resolves.toEqual({ ok: true });
    expect(inTime.calls()).toBe(3);
    // …one ms later it is refused, and nothing more is written.
    const late = run(baseMs * 2 - 1);
    const error = await late.result;
    expect(error).toBeInstanceOf(ServiceUnavailableError);
    expect(error).toMatchObject({ fault: 'store-conflict' });
    expect(late.calls()).toBe(2);
  });

  it('lets any other error of the call through (a store fault as a 503)', async () => {
    const bug = new TypeError('bad item');
    await expect(transact(clientAnswering(bug).ddb, [ITEM])).rejects.toBe(bug);
    await expect(transact(clientAnswering(named('ThrottlingException')).ddb, [ITEM])).rejects.toMatchObject({
      fault: 'store-throttled',
    });
  });
});

describe('store › named transactions', () => {
  it('skips an absent item and refuses a name given twice', () => {
    const tx = new Transaction().add('a', ITEM).add('none', undefined);
    expect(tx.size).toBe(1);
    expect(() => tx.add('a', ITEM)).toThrow('Transaction item named twice: a');
    expect(tx.add('none', ITEM).size).toBe(2);
  });

  it('tells which named items failed their conditions, and their old items', async () => {
    const { ddb } = clientAnswering(
      cancelled([
        { Code: 'None' },
        { Code: 'ConditionalCheckFailed', Item: { sends: 5 } },
        { Code: 'ConditionalCheckFailed' },
      ]),
    );
    const result = await new Transaction().add('first', ITEM).add('second', ITEM).add('third', ITEM).run(ddb);
    expect(result.ok).toBe(false);
    expect(result.failures()).toEqual(['second', 'third']);
    expect(result.failed('first')).toBe(false);
    expect(result.failed('unknown')).toBe(false);
    expect(result.old('second')).toEqual({ sends: 5 });
    expect(result.old('third')).toBeUndefined();
    expect(result.old('unknown')).toBeUndefined();
  });

  it('is ok, with no failures, when it committed', async () => {
    const result = await new Transaction().add('only', ITEM).run(clientAnswering('ok').ddb);
    expect(result.ok).toBe(true);
    expect(result.failures()).toEqual([]);
  });
});
