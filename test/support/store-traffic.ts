import {
  type DynamoDBClient,
  TransactionCanceledException,
  type TransactWriteItem,
  type TransactWriteItemsCommandInput,
} from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';

/**
 * Middleware for a test's DynamoDB client that sees the store's traffic item by item: which keys
 * each request writes (to find hot items) and TransactionConflict as DynamoDB raises it (DynamoDB
 * Local never does).
 */

/** The marshalled key of one transaction item. */
const keyAttributes = (item: TransactWriteItem) => {
  const op = item.Put ?? item.Update ?? item.Delete ?? item.ConditionCheck;
  return op && 'Key' in op ? op.Key : item.Put?.Item;
};

/** The key of one transaction item, as a string. */
export const itemKey = (item: TransactWriteItem): string => {
  const key = keyAttributes(item);
  return JSON.stringify([key?.pk, key?.sk]);
};

const cancelled = (keys: string[], conflicting: (k: string) => boolean) =>
  new TransactionCanceledException({
    message: 'Transaction cancelled, please refer cancellation reasons for specific reasons',
    $metadata: { httpStatusCode: 400 },
    CancellationReasons: keys.map((k) =>
      conflicting(k)
        ? { Code: 'TransactionConflict', Message: 'Transaction is ongoing for the item' }
        : { Code: 'None' },
    ),
  });

/** The item keys of a TransactWriteItems request. */
const transactionKeys = (input: unknown): string[] =>
  ((input as TransactWriteItemsCommandInput).TransactItems ?? []).map(itemKey);

/**
 * Makes the client see TransactionConflict as DynamoDB raises it. DynamoDB Local runs
 * transactions one after another and never reports a conflict (600 parallel generates: 600
 * TransactWriteItems, none cancelled by a conflict), so it cannot show what the retry policy does
 * under a burst. DynamoDB cancels a transaction that touches an item another transaction is still
 * writing; this middleware does the same for the transactions of this client, before they leave.
 */
export const simulateTransactionConflicts = (client: DynamoDBClient) => {
  const inFlight = new Set<string>();
  const stats = { transactions: 0, conflicts: 0 };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== 'TransactWriteItemsCommand') return next(args);
      const keys = transactionKeys(args.input);
      stats.transactions++;
      if (keys.some((k) => inFlight.has(k))) {
        stats.conflicts++;
        throw cancelled(keys, (k) => inFlight.has(k));
      }
      for (const k of keys) inFlight.add(k);
      try {
        return await next(args);
      } finally {
        for (const k of keys) inFlight.delete(k);
      }
    },
    { step: 'initialize', name: 'simulateTransactionConflicts' },
  );
  return stats;
};

/**
 * Cancels with TransactionConflict the first `times` attempts of every transaction that touches an
 * item whose key matches `shared` (as DynamoDB does when another transaction holds that item),
 * then lets it through. Counts the attempts per transaction (by its item keys).
 */
export const injectConflicts = (client: DynamoDBClient, shared: (key: string) => boolean, times: number) => {
  const attempts = new Map<string, number>();
  const stats = { conflicts: 0, attempts };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== 'TransactWriteItemsCommand') return next(args);
      const keys = transactionKeys(args.input);
      if (!keys.some(shared)) return next(args);
      const id = keys.join(',');
      const seen = (attempts.get(id) ?? 0) + 1;
      attempts.set(id, seen);
      if (seen > times) return next(args);
      stats.conflicts++;
      throw cancelled(keys, shared);
    },
    { step: 'initialize', name: 'injectConflicts' },
  );
  return stats;
};

/**
 * Records every item each request writes (Put, Update, Delete, in a transaction or alone) and
 * every item a transaction only checks (ConditionCheck), by key.
 */
export const recordItemWrites = (client: DynamoDBClient) => {
  const writes = new Map<string, number>();
  const checks = new Map<string, number>();
  const bump = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);
  /** `pk|sk` of a marshalled key. */
  const keyOf = (key: unknown) => {
    const k = unmarshall(key as Parameters<typeof unmarshall>[0]);
    return `${k.pk}|${k.sk}`;
  };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as Record<string, unknown>;
      switch (context.commandName) {
        case 'TransactWriteItemsCommand':
          for (const item of (args.input as TransactWriteItemsCommandInput).TransactItems ?? []) {
            bump(item.ConditionCheck ? checks : writes, keyOf(keyAttributes(item)));
          }
          break;
        case 'UpdateItemCommand':
        case 'DeleteItemCommand':
          bump(writes, keyOf(input.Key));
          break;
        case 'PutItemCommand':
          bump(writes, keyOf(input.Item));
          break;
      }
      return next(args);
    },
    { step: 'initialize', name: 'recordItemWrites' },
  );
  const total = (map: Map<string, number>) => [...map.values()].reduce((a, b) => a + b, 0);
  return {
    writes,
    checks,
    totalWrites: () => total(writes),
    /** The most-written key and its count. */
    hottest: (map: Map<string, number> = writes) =>
      [...map].reduce<[string, number]>((top, entry) => (entry[1] > top[1] ? entry : top), ['', 0]),
  };
};
