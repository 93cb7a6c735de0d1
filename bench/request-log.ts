import type { AttributeValue, DynamoDBClient, TransactWriteItem } from '@aws-sdk/client-dynamodb';

/**
 * Records what a DynamoDB client sends: one entry per `send()` (seen before retries, like
 * test/support/harness.ts `countRequests`), named by command, with the item count of a
 * transaction and the keys of every item it writes.
 */
export interface RequestLog {
  /** Requests by label: `GetItem`, `TransactWriteItems[5]` (5 items). */
  counts: () => Record<string, number>;
  total: () => number;
  /** `pk sk` of every item written (Put, Update, Delete; not ConditionCheck) since the last reset. */
  writtenKeys: () => Set<string>;
  reset: () => void;
}

const text = (value: AttributeValue | undefined): string => value?.S ?? value?.N ?? '?';
const keyOf = (key: Record<string, AttributeValue> | undefined): string | undefined =>
  key ? `${text(key.pk)} ${text(key.sk)}` : undefined;

/** Keys of the items a transaction entry writes. */
const writes = (item: TransactWriteItem): string | undefined =>
  keyOf(item.Put?.Item) ?? keyOf(item.Update?.Key) ?? keyOf(item.Delete?.Key);

export const recordRequests = (client: DynamoDBClient): RequestLog => {
  const counts = new Map<string, number>();
  const keys = new Set<string>();
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const name = (context.commandName ?? 'unknown').replace(/Command$/, '');
      const input = args.input as {
        TransactItems?: TransactWriteItem[];
        Key?: Record<string, AttributeValue>;
        Item?: Record<string, AttributeValue>;
      };
      const items = input.TransactItems;
      const label = items ? `${name}[${items.length}]` : name;
      counts.set(label, (counts.get(label) ?? 0) + 1);
      if (items) {
        for (const item of items) {
          const key = writes(item);
          if (key) keys.add(key);
        }
      } else if (name === 'PutItem' || name === 'UpdateItem' || name === 'DeleteItem') {
        const key = keyOf(input.Item) ?? keyOf(input.Key);
        if (key) keys.add(key);
      }
      return next(args);
    },
    { step: 'initialize', name: 'benchRequestLog' },
  );
  return {
    counts: () => Object.fromEntries(counts),
    total: () => [...counts.values()].reduce((a, b) => a + b, 0),
    writtenKeys: () => new Set(keys),
    reset: () => {
      counts.clear();
      keys.clear();
    },
  };
};

/**
 * A key with its variable parts named, for the report: the tenant id, HMACs (32 hex), days and
 * hours. What is left shows which kind of item it is (`T#<tenant> DAY#<day>`).
 */
export const keyPattern = (key: string, tenantId: string): string =>
  key
    .split(tenantId)
    .join('<tenant>')
    .replace(/[0-9a-f]{32}/g, '<hmac>')
    .replace(/\d{4}-\d{2}-\d{2}T\d{2}/g, '<hour>')
    .replace(/\d{4}-\d{2}-\d{2}/g, '<day>');
