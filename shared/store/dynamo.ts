import {
  type AttributeValue,
  type DynamoDBClient,
  TransactionCanceledException,
  type TransactWriteItem,
  TransactWriteItemsCommand,
} from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { ServiceUnavailableError } from '../errors';

/** One item's outcome in a cancelled transaction; `item` is the old item when asked for. */
export interface CancelReason {
  code: string;
  item?: Record<string, unknown>;
}

export type TransactOutcome = { ok: true } | { ok: false; reasons: CancelReason[] };

const THROTTLE_NAMES = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'InternalServerError',
  'ServiceUnavailable',
  'TimeoutError',
]);

/** True for failures a client should retry later (the SDK has already retried with backoff). */
export const isTransient = (error: unknown): boolean =>
  error instanceof Error &&
  (THROTTLE_NAMES.has(error.name) ||
    (error as { $retryable?: unknown }).$retryable !== undefined ||
    /ECONNREFUSED|ECONNRESET|ETIMEDOUT|socket hang up/.test(error.message));

/** Wraps a store call: transient failures become a `ServiceUnavailableError` (HTTP 503). */
export const guard = async <T>(operation: () => Promise<T>): Promise<T> => {
  try {
    return await operation();
  } catch (error) {
    if (isTransient(error)) throw new ServiceUnavailableError('The store is unavailable', { cause: error });
    throw error;
  }
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * How `transact` retries a transaction cancelled by a conflict. DynamoDB cancels a transaction
 * that touches an item another transaction is writing (TransactionConflict), so parallel requests
 * on one hot item (a destination's day counter, one code verified twice at once) get through one
 * at a time, and the retry budget must outlast the queue. The earlier budget (7 attempts, under
 * 0.7 s of sleeps) was shorter than a burst of a few dozen requests takes to drain; capped
 * exponential backoff with full jitter spreads the retries, and a deadline instead of an attempt
 * count keeps the worst case (4 s) well inside the Lambda timeout (10 s). A longer burst gets a
 * clean 503 for the rest, never an extra send: test/security/races.test.ts simulates the
 * conflicts and holds both.
 */
export const CONFLICT_RETRY = {
  /** First backoff ceiling; each retry doubles it up to `capMs`. */
  baseMs: 20,
  capMs: 500,
  /** No retry starts later than this after the first attempt. */
  budgetMs: 4_000,
} as const;

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
        throw new ServiceUnavailableError('Write conflict persisted', { cause: error });
      }
      await sleep(delay);
    }
  }
};

/** True when the transaction item at `index` failed its condition. */
export const failedAt = (reasons: CancelReason[], index: number): boolean =>
  reasons[index]?.code === 'ConditionalCheckFailed';
