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
 * Runs a TransactWriteItems and returns why it was cancelled instead of throwing, so callers
 * branch on the old items (ReturnValuesOnConditionCheckFailure) without reading first.
 * Transaction conflicts (two writers on one item at once) are retried with jitter; they are the
 * normal outcome of parallel verifies of one code, and the retry sees the winner's write.
 */
export const transact = async (ddb: DynamoDBClient, items: TransactWriteItem[]): Promise<TransactOutcome> => {
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
      if (attempt >= 6) throw new ServiceUnavailableError('Write conflict persisted', { cause: error });
      await sleep(10 * 2 ** attempt * Math.random() + 5);
    }
  }
};

/** True when the transaction item at `index` failed its condition. */
export const failedAt = (reasons: CancelReason[], index: number): boolean =>
  reasons[index]?.code === 'ConditionalCheckFailed';
