import {
  type AttributeValue,
  type DynamoDBClient,
  TransactionCanceledException,
  type TransactWriteItem,
  TransactWriteItemsCommand,
} from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { pastDeadline } from '../deadline';
import { type FaultKind, ServiceUnavailableError } from '../errors';
import { CONFLICT_RETRY } from '../timeouts';

/** One item's outcome in a cancelled transaction; `item` is the old item when asked for. */
export interface CancelReason {
  code: string;
  item?: Record<string, unknown>;
}

export type TransactOutcome = { ok: true } | { ok: false; reasons: CancelReason[] };

/** Error names the SDK raises for a throttled or overloaded store (after its own retries). */
const THROTTLE_NAMES = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'InternalServerError',
  'ServiceUnavailable',
]);

/**
 * Names of a request that did not answer in time: @smithy/node-http-handler's TimeoutError (its
 * connectionTimeout and, with throwOnRequestTimeout, requestTimeout), the service's
 * RequestTimeout(Exception), and AbortError (an aborted request).
 */
const TIMEOUT_NAMES = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException', 'AbortError']);

/** Node's codes for a store that cannot be reached at all. */
const UNREACHABLE =
  /ECONNREFUSED|ECONNRESET|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN|EPIPE|socket hang up/;

const codeOf = (error: Error): string => {
  const code = (error as { code?: unknown }).code;
  return `${typeof code === 'string' ? code : ''} ${error.message}`;
};

/** What kind of store fault an error is, or undefined when it is not transient (a bug, a bad request). */
export const storeFault = (error: unknown): FaultKind | undefined => {
  if (!(error instanceof Error)) return undefined;
  if (THROTTLE_NAMES.has(error.name)) return 'store-throttled';
  if (TIMEOUT_NAMES.has(error.name) || /ETIMEDOUT/.test(codeOf(error))) return 'store-timeout';
  if (UNREACHABLE.test(codeOf(error))) return 'store-unreachable';
  // Any other error the SDK itself marks retryable (a 5xx it knows).
  const retryable = (error as { $retryable?: { throttling?: boolean } }).$retryable;
  if (retryable !== undefined) return retryable.throttling ? 'store-throttled' : 'store-timeout';
  return undefined;
};

/** True for failures a client should retry later (the SDK has already retried with backoff). */
export const isTransient = (error: unknown): boolean => storeFault(error) !== undefined;

/** Wraps a store call: transient failures become a `ServiceUnavailableError` (HTTP 503). */
export const guard = async <T>(operation: () => Promise<T>): Promise<T> => {
  // A request already answered by the early timeout writes nothing more (shared/deadline.ts).
  if (pastDeadline()) {
    throw new ServiceUnavailableError('The request ran out of time', { fault: 'handler-deadline' });
  }
  try {
    return await operation();
  } catch (error) {
    const fault = storeFault(error);
    if (fault) throw new ServiceUnavailableError('The store is unavailable', { cause: error, fault });
    throw error;
  }
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * How `transact` retries a transaction cancelled by a conflict (the numbers are in
 * shared/timeouts.ts, with the rest of the budget). DynamoDB cancels a transaction that touches
 * an item another transaction is writing (TransactionConflict), so parallel requests on one hot
 * item (a destination's day counter, one code verified twice at once) get through one at a time,
 * and the retry budget must outlast the queue. The earlier budget (7 attempts, under 0.7 s of
 * sleeps) was shorter than a burst of a few dozen requests takes to drain; capped exponential
 * backoff with full jitter spreads the retries, and a deadline instead of an attempt count keeps
 * the worst case (budget + one SDK worst case) inside the handler's early timeout. A longer burst
 * gets a clean 503 for the rest, never an extra send: test/security/races.test.ts simulates the
 * conflicts and holds both.
 */
export { CONFLICT_RETRY };

/** Full jitter: a uniform delay between 0 and the capped exponential ceiling. */
const backoff = (attempt: number): number =>
  Math.random() * Math.min(CONFLICT_RETRY.capMs, CONFLICT_RETRY.baseMs * 2 ** attempt);

/**
 * Runs a TransactWriteItems and returns why it was cancelled instead of throwing, so callers
 * branch on the old items (ReturnValuesOnConditionCheckFailure) without reading first.
 * Transaction conflicts (two writers on one item at once) are retried per `CONFLICT_RETRY`; they
 * are the normal outcome of parallel verifies of one code, and the retry sees the winner's write.
 */
export const transact = async (ddb: DynamoDBClient, items: TransactWriteItem[]): Promise<TransactOutcome> => {
  const deadline = Date.now() + CONFLICT_RETRY.budgetMs;
  for (let attempt = 0; ; attempt++) {
    try {
      await guard(() => ddb.send(new TransactWriteItemsCommand({ TransactItems: items })));
      return { ok: true };
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) throw error;
      const reasons: CancelReason[] = (error.CancellationReasons ?? []).map((r) => ({
        code: r.Code ?? 'None',
        ...(r.Item ? { item: unmarshall(r.Item as Record<string, AttributeValue>) } : {}),
      }));
      const conflicted = reasons.some(
        (r) => r.code === 'TransactionConflict' || r.code === 'ThrottlingError',
      );
      if (!conflicted) return { ok: false, reasons };
      const delay = backoff(attempt);
      if (Date.now() + delay > deadline) {
        throw new ServiceUnavailableError('Write conflict persisted', {
          cause: error,
          fault: 'store-conflict',
        });
      }
      await sleep(delay);
    }
  }
};

/**
 * A TransactWriteItems whose items have names, so a caller reads a cancellation by what failed
 * (`result.failed('tenantDay')`, `result.old('challenge')`) instead of by position. Names are
 * unique within one transaction; `add` refuses a duplicate (two items on one key would make
 * DynamoDB refuse the whole request with a ValidationException).
 */
export class Transaction {
  private readonly names: string[] = [];
  private readonly items: TransactWriteItem[] = [];

  add(name: string, item: TransactWriteItem | undefined): this {
    if (!item) return this;
    if (this.names.includes(name)) throw new Error(`Transaction item named twice: ${name}`);
    this.names.push(name);
    this.items.push(item);
    return this;
  }

  get size(): number {
    return this.items.length;
  }

  async run(ddb: DynamoDBClient): Promise<TransactionResult> {
    const outcome = await transact(ddb, this.items);
    return new TransactionResult(this.names, outcome.ok ? [] : outcome.reasons, outcome.ok);
  }
}

/** What a named transaction came to: ok, or which named items failed their conditions. */
export class TransactionResult {
  constructor(
    private readonly names: readonly string[],
    private readonly reasons: readonly CancelReason[],
    readonly ok: boolean,
  ) {}

  private reason(name: string): CancelReason | undefined {
    const index = this.names.indexOf(name);
    return index < 0 ? undefined : this.reasons[index];
  }

  /** True when the item called `name` failed its condition. */
  failed(name: string): boolean {
    return this.reason(name)?.code === 'ConditionalCheckFailed';
  }

  /** The names of every item that failed its condition, in the order they were added. */
  failures(): string[] {
    return this.names.filter((name) => this.failed(name));
  }

  /** The item as it was when `name` failed (its ReturnValuesOnConditionCheckFailure). */
  old<T = Record<string, unknown>>(name: string): T | undefined {
    return this.reason(name)?.item as T | undefined;
  }
}
