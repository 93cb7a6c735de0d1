import {
  type AttributeValue,
  type DynamoDBClient,
  GetItemCommand,
  type TransactWriteItem,
} from '@aws-sdk/client-dynamodb';

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

/**
 * An item's size as DynamoDB bills it: attribute names and values in UTF-8; a number about one
 * byte per two significant digits plus one; binary its bytes; boolean and null one byte; a list
 * or map 3 bytes plus one per element plus its elements.
 */
export const itemBytes = (item: Record<string, AttributeValue> | undefined): number =>
  item
    ? Object.entries(item).reduce((n, [name, value]) => n + Buffer.byteLength(name) + valueBytes(value), 0)
    : 0;

const numberBytes = (n: string) => {
  const digits = n
    .replace(/^-/, '')
    .replace(/[.eE].*$/, '')
    .replace(/^0+/, '');
  return Math.ceil(Math.max(1, digits.length) / 2) + 1;
};

const valueBytes = (v: AttributeValue): number => {
  if (v.S !== undefined) return Buffer.byteLength(v.S);
  if (v.N !== undefined) return numberBytes(v.N);
  if (v.B !== undefined) return v.B.byteLength;
  if (v.BOOL !== undefined || v.NULL !== undefined) return 1;
  if (v.SS) return v.SS.reduce((n, s) => n + Buffer.byteLength(s), 0);
  if (v.NS) return v.NS.reduce((n, s) => n + numberBytes(s), 0);
  if (v.BS) return v.BS.reduce((n, b) => n + b.byteLength, 0);
  if (v.L) return 3 + v.L.reduce((n, e) => n + 1 + valueBytes(e), 0);
  if (v.M)
    return 3 + Object.entries(v.M).reduce((n, [k, e]) => n + 1 + Buffer.byteLength(k) + valueBytes(e), 0);
  return 0;
};

/** One item a request wrote (or checked), with what DynamoDB bills for it. */
export interface ItemWrite {
  /** `pk sk` of the item. */
  key: string;
  /** Put, Update, Delete or ConditionCheck. */
  action: string;
  /** Part of a TransactWriteItems (billed twice). */
  transactional: boolean;
  /** The larger of the item's size before and after the request (DynamoDB bills the larger). */
  bytes: number;
  /** Write request units: one per started KiB, doubled in a transaction (ConditionCheck included). */
  units: number;
}

/** One read a request made, with its read request units. */
export interface ItemRead {
  label: string;
  bytes: number;
  units: number;
}

/** What one measured step sent: requests by label, sequential round trips, items written and read. */
export interface StepRecord {
  requests: Record<string, number>;
  roundTrips: number;
  writes: ItemWrite[];
  reads: ItemRead[];
}

type Key = Record<string, AttributeValue>;
interface Target {
  table: string;
  key: Key;
  action: string;
  transactional: boolean;
}

const keyFields = (item: Key): Key => ({ pk: item.pk as AttributeValue, sk: item.sk as AttributeValue });

const targetsOf = (name: string, input: Record<string, unknown>): Target[] => {
  const items = input.TransactItems as TransactWriteItem[] | undefined;
  if (items) {
    return items.flatMap((item): Target[] => {
      const action = (['Put', 'Update', 'Delete', 'ConditionCheck'] as const).find((a) => item[a]);
      const entry = action ? item[action] : undefined;
      if (!action || !entry) return [];
      const key = 'Item' in entry ? keyFields(entry.Item ?? {}) : ((entry as { Key?: Key }).Key ?? {});
      return [{ table: entry.TableName ?? '', key, action, transactional: true }];
    });
  }
  const table = String(input.TableName ?? '');
  if (name === 'PutItem')
    return [{ table, key: keyFields(input.Item as Key), action: 'Put', transactional: false }];
  if (name === 'UpdateItem')
    return [{ table, key: input.Key as Key, action: 'Update', transactional: false }];
  if (name === 'DeleteItem')
    return [{ table, key: input.Key as Key, action: 'Delete', transactional: false }];
  return [];
};

/** Read request units of a read: per started 4 KiB, half for an eventually consistent read, double in a transaction. */
const readUnits = (bytes: number, kind: 'eventual' | 'strong' | 'transactional') =>
  Math.max(1, Math.ceil(bytes / 4096)) * { eventual: 0.5, strong: 1, transactional: 2 }[kind];

/**
 * Records, per measured step, the requests a client sends (before retries), the sequential round
 * trips (requests started while no other request of the step was in flight, as
 * test/integration/dialect-round-trips.test.ts counts them), and the write and read request units
 * of every item: a second client (`sizer`, not recorded) reads each written item before and after
 * the request to learn its size. A failed request bills nothing here (a failed conditional
 * standard write does bill in DynamoDB; the measured paths have none on success).
 */
export const recordSteps = (client: DynamoDBClient, sizer: DynamoDBClient) => {
  let step = 0;
  let inFlight = 0;
  let current: StepRecord = { requests: {}, roundTrips: 0, writes: [], reads: [] };
  const sizeOf = async (t: Target) => {
    const out = await sizer.send(
      new GetItemCommand({ TableName: t.table, Key: t.key, ConsistentRead: true }),
    );
    return itemBytes(out.Item);
  };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const mine = step;
      const record = current;
      if (inFlight === 0) record.roundTrips++;
      inFlight++;
      try {
        const name = (context.commandName ?? 'unknown').replace(/Command$/, '');
        const input = args.input as Record<string, unknown>;
        const items = input.TransactItems as unknown[] | undefined;
        const label = items ? `${name}[${items.length}]` : name;
        record.requests[label] = (record.requests[label] ?? 0) + 1;
        const targets = targetsOf(name, input);
        const before = await Promise.all(targets.map(sizeOf));
        const result = await next(args);
        const after = await Promise.all(targets.map((t) => (t.action === 'Delete' ? 0 : sizeOf(t))));
        targets.forEach((t, i) => {
          const bytes = Math.max(before[i] ?? 0, after[i] ?? 0);
          record.writes.push({
            key: keyOf(t.key) ?? '?',
            action: t.action,
            transactional: t.transactional,
            bytes,
            units: Math.max(1, Math.ceil(bytes / 1024)) * (t.transactional ? 2 : 1),
          });
        });
        const output = result.output as {
          Item?: Key;
          Responses?: Array<{ Item?: Key }> | Record<string, Key[]>;
        };
        if (name === 'GetItem') {
          const bytes = itemBytes(output.Item);
          record.reads.push({
            label,
            bytes,
            units: readUnits(bytes, input.ConsistentRead ? 'strong' : 'eventual'),
          });
        } else if (name === 'TransactGetItems' && Array.isArray(output.Responses)) {
          for (const r of output.Responses) {
            const bytes = itemBytes(r.Item);
            record.reads.push({ label, bytes, units: readUnits(bytes, 'transactional') });
          }
        } else if (name === 'BatchGetItem' && output.Responses && !Array.isArray(output.Responses)) {
          for (const got of Object.values(output.Responses))
            for (const item of got) {
              const bytes = itemBytes(item);
              record.reads.push({ label, bytes, units: readUnits(bytes, 'strong') });
            }
        } else if (name === 'Query' || name === 'Scan') {
          record.reads.push({ label, bytes: 0, units: Number.NaN });
        }
        return result;
      } finally {
        if (mine === step) inFlight--;
      }
    },
    { step: 'initialize', name: 'benchStepRecorder' },
  );
  return {
    /** Runs `work` as one step and returns what it sent. */
    during: async <T>(work: () => Promise<T>): Promise<{ value: T; record: StepRecord }> => {
      step++;
      inFlight = 0;
      current = { requests: {}, roundTrips: 0, writes: [], reads: [] };
      const record = current;
      const value = await work();
      return { value, record };
    },
  };
};

/**
 * A key pattern with the remaining variable parts named: shard numbers, UUIDs, and keyed hashes
 * or ids (20 or more base64url characters), so the same item of two runs or two dialects reads alike.
 */
export const itemPattern = (pattern: string): string =>
  pattern
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<uuid>')
    .replace(/(?<=[#:])[A-Za-z0-9_-]{20,}(?=[ #:]|$)/g, '<hash>')
    .replace(/#(\d{1,3})(?=[ #]|$)/g, '#<shard>');
