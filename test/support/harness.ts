import { randomUUID } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import {
  type AttributeValue,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  ScanCommand,
  type TransactWriteItem,
  UpdateItemCommand,
  type UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { LOCAL_AWS } from '../../local/dynamo-local';
import type { ChannelType, OutboundMessage, Senders } from '../../shared/channels/types';
import type {
  Delivery,
  EngineDeps,
  IssueRequest,
  PhoneChannel,
  VerifyRequest,
} from '../../shared/engine/types';
import { parseE164 } from '../../shared/phone';
import { tenantDayKeys } from '../../shared/store/counters';
import { challengeKey, daySk, RECIPIENT_WINDOW_SK, recipientPk, utcDay } from '../../shared/store/keys';
import { breakerKeys, breakerShards, countryPk } from '../../shared/store/pumping';
import { ensureTable } from '../../shared/store/table-schema';
import { BUILT_IN_TEMPLATES } from '../../shared/templates';
import { type Tenant, tenantSchema } from '../../shared/tenants';
import { testTablePrefix } from './table-prefix';

/** Counts DynamoDB requests by command name (after SDK retries are decided, one per send()). */
export const countRequests = (client: DynamoDBClient) => {
  const counts: Record<string, number> = {};
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const name = context.commandName ?? 'unknown';
      counts[name] = (counts[name] ?? 0) + 1;
      return next(args);
    },
    { step: 'initialize', name: 'countRequests' },
  );
  return {
    counts,
    total: () => Object.values(counts).reduce((a, b) => a + b, 0),
    reset: () => {
      for (const k of Object.keys(counts)) delete counts[k];
    },
  };
};

/**
 * Makes every BatchGetItem of `ddb` from now on come back without its items: with every key
 * unprocessed (`unprocessed`, a read the store must call incomplete), or as if none of them
 * existed (a read that lies: it sees room that is not there).
 */
export const emptyBatchGets = (ddb: DynamoDBClient, { unprocessed }: { unprocessed: boolean }) => {
  ddb.middlewareStack.add(
    (next, context) => async (args) => {
      const out = await next(args);
      if (context.commandName !== 'BatchGetItemCommand') return out;
      const input = args.input as { RequestItems: Record<string, unknown> };
      const output = out.output as { Responses?: Record<string, unknown[]>; UnprocessedKeys?: unknown };
      output.Responses = Object.fromEntries(Object.keys(input.RequestItems).map((t) => [t, []]));
      output.UnprocessedKeys = unprocessed ? input.RequestItems : {};
      return out;
    },
    { step: 'initialize', name: `empty-batch-gets-${randomUUID()}` },
  );
};

/** A DynamoDB Local client for the endpoint the global setup started. */
export const localDynamo = (): DynamoDBClient => {
  const endpoint = process.env.DYNAMODB_ENDPOINT;
  if (!endpoint) throw new Error('DYNAMODB_ENDPOINT is not set: run through jest (global setup)');
  return new DynamoDBClient({ ...LOCAL_AWS, endpoint });
};

/** Creates a fresh table for one test file. */
export const freshTable = async (client: DynamoDBClient): Promise<string> => {
  const name = `${testTablePrefix()}${randomUUID()}`;
  await ensureTable(client, name);
  return name;
};

/** Senders that record every message, per channel; `fail` makes a channel throw. */
export const recordingSenders = (fail: ChannelType[] = []) => {
  const sent: OutboundMessage[] = [];
  const sender = (channel: ChannelType) => async (m: OutboundMessage) => {
    if (fail.includes(channel)) throw Object.assign(new Error('provider down'), { name: 'ProviderError' });
    sent.push(m);
  };
  const senders: Senders = {
    SMS: sender('SMS'),
    EMAIL: sender('EMAIL'),
    VOICE: sender('VOICE'),
    WHATSAPP: sender('WHATSAPP'),
    ZALO: sender('ZALO'),
  };
  return { senders, sent };
};

/**
 * Noon UTC of the day after the real today. DynamoDB Local deletes items whose `ttl` is behind
 * the REAL clock (within seconds), so a test clock in the past would see its items vanish; a
 * start one day ahead keeps every item's ttl in the real future while the time of day is fixed.
 */
export const defaultClockStart = (): number => {
  const d = new Date();
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1, 12, 0, 0);
};

/** A clock the test moves by hand. */
export const manualClock = (start = defaultClockStart()) => {
  let now = start;
  return {
    now: () => now,
    advance: (ms: number) => {
      now += ms;
    },
    set: (ms: number) => {
      now = ms;
    },
  };
};

/** Log lines captured as JSON objects, for leak checks. */
export const captureLogger = () => {
  const lines: string[] = [];
  const logger = new Logger({
    serviceName: 'otp-test',
    logLevel: 'DEBUG',
    customConfigService: undefined,
  });
  // Powertools writes through console; capture its output stream.
  (logger as unknown as { console: { [k: string]: (s: string) => void } }).console = {
    info: (s: string) => lines.push(s),
    warn: (s: string) => lines.push(s),
    error: (s: string) => lines.push(s),
    debug: (s: string) => lines.push(s),
    trace: (s: string) => lines.push(s),
    log: (s: string) => lines.push(s),
  };
  return { logger, lines };
};

export const testTenant = (
  overrides: Omit<Partial<Tenant>, 'policy'> & { policy?: Partial<Tenant['policy']> } = {},
): Tenant =>
  tenantSchema.parse({
    tenantId: `t-${randomUUID().slice(0, 8)}`,
    name: 'Test tenant',
    ...overrides,
    policy: {
      allowedRegions: ['IN', 'US', 'VN'],
      // Above the default 5 per 10 minutes, so tests of other rules can send more than five
      // messages to one number; the window's own tests set it back (recipient-limits.test.ts).
      maxMessagesPerRecipientWindow: 20,
      ...(overrides.policy ?? {}),
    },
  });

export const PEPPER = Buffer.from('test-pepper-0123456789abcdef-0123456789');

/** The tenant sealing key of the tests (not the pepper: the two are separate keys in AWS too). */
export const TENANT_KEY = Buffer.from('test-tenant-sealing-key-0123456789abcdef');

/** TenantDirectory options with the test sealing key. */
export const testDirectoryOptions = (cacheSeconds = 60) => ({
  tenantKey: async () => TENANT_KEY,
  cacheSeconds,
});

/** Engine deps against DynamoDB Local with recording channels and a manual clock. */
export const engineHarness = async (options: { fail?: ChannelType[]; ddb?: DynamoDBClient } = {}) => {
  const ddb = options.ddb ?? localDynamo();
  const tableName = await freshTable(ddb);
  const requests = countRequests(ddb);
  const clock = manualClock();
  const { senders, sent } = recordingSenders(options.fail);
  const { logger, lines } = captureLogger();
  const deps: EngineDeps = {
    ddb,
    tableName,
    pepper: async () => PEPPER,
    senders,
    now: clock.now,
    logger,
  };
  return { deps, ddb, tableName, requests, clock, sent, logLines: lines };
};

/** Writes `values` at `key` as one whole item, straight into the table (a state set up by hand). */
export const putItem = (
  h: { ddb: DynamoDBClient; tableName: string },
  key: { pk: string; sk: string },
  values: Record<string, unknown>,
) => h.ddb.send(new PutItemCommand({ TableName: h.tableName, Item: marshall({ ...key, ...values }) }));

/** Writes one charge of a send's transaction (`Update`) on its own, its condition included. */
export const writeCharge = async (h: { ddb: DynamoDBClient }, item: TransactWriteItem): Promise<void> => {
  if (!item.Update) throw new Error('writeCharge takes an Update item');
  await h.ddb.send(new UpdateItemCommand(item.Update as UpdateItemCommandInput));
};

/** The captured JSON log lines whose message is `message`. */
export const logsOf = (lines: string[], message: string) =>
  lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.message === message);

/** The code in the last message sent to `to` (what the user would read off the phone). */
export const lastCode = (sent: OutboundMessage[], to?: string): string => {
  const m = [...sent].reverse().find((s) => to === undefined || s.to === to);
  if (!m) throw new Error(`no message sent${to ? ` to ${to}` : ''}`);
  return m.code;
};

/** Every item of the table, unmarshalled (leak checks scan the whole table). */
export const scanItems = async (
  ddb: DynamoDBClient,
  tableName: string,
): Promise<Record<string, unknown>[]> => {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await ddb.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey: start }));
    for (const item of page.Items ?? []) items.push(unmarshall(item));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
};

/** One item by key (strongly consistent), unmarshalled, or undefined when absent. */
export const readItem = async (
  ddb: DynamoDBClient,
  tableName: string,
  key: { pk: string; sk: string },
): Promise<Record<string, unknown> | undefined> => {
  const out = await ddb.send(
    new GetItemCommand({ TableName: tableName, Key: marshall(key), ConsistentRead: true }),
  );
  return out.Item ? unmarshall(out.Item) : undefined;
};

/** The challenge of (tenant, purpose, subject) as the harness's table holds it, or undefined. */
export const readChallenge = (
  h: { ddb: DynamoDBClient; tableName: string },
  tenant: Tenant,
  purpose: string,
  subject: string,
) => readItem(h.ddb, h.tableName, challengeKey(PEPPER, tenant.tenantId, purpose, subject));

/**
 * The keys the engine derives at `now` with the test pepper: the challenge of (tenant, purpose,
 * subject), and the day and window counters of `subject` taken as a recipient address.
 */
export const keysFor = (tenant: Tenant, purpose: string, subject: string, now: number) => {
  const recipient = recipientPk(PEPPER, tenant.tenantId, subject);
  const day = utcDay(now);
  return {
    challenge: challengeKey(PEPPER, tenant.tenantId, purpose, subject),
    destinationDay: { pk: recipient, sk: daySk(day) },
    recipientWindow: { pk: recipient, sk: RECIPIENT_WINDOW_SK },
    day,
  };
};

/** A phone delivery with its number parsed, as a dialect builds it at the edge. */
export const phoneDelivery = (channel: PhoneChannel, e164: string): Delivery => {
  const phone = parseE164(e164);
  if (!phone) throw new Error(`not a valid E.164 number: ${e164}`);
  return { channel, to: phone.e164, phone };
};

/** An SMS issue request to `subject` (an E.164 phone) with the built-in texts. */
export const smsIssue = (
  tenant: Tenant,
  subject: string,
  purpose = 'test:login',
  extra: Partial<IssueRequest> = {},
): IssueRequest => ({
  tenant,
  purpose,
  subject,
  content: { ...BUILT_IN_TEMPLATES },
  ...extra,
  deliveries: extra.deliveries ?? [phoneDelivery('SMS', subject)],
});

/** A verify request mirroring an issue request. */
export const verifyOf = (
  req: IssueRequest,
  code: string,
  binding?: Record<string, string>,
): VerifyRequest => ({
  tenant: req.tenant,
  purpose: req.purpose,
  subject: req.subject,
  code,
  ...(binding && { binding }),
});

/** A code of the same length and kind that differs from `code` in every position. */
export const wrongCodeFor = (code: string): string =>
  code.replace(/./g, (c) => (/\d/.test(c) ? String((Number(c) + 1) % 10) : c === 'A' ? 'B' : 'A'));

/**
 * Awaits a promise that must reject with `type` and returns the error for further assertions.
 * Fails the test when the promise resolves or rejects with anything else.
 */
export const rejection = async <E extends Error>(
  promise: Promise<unknown>,
  // biome-ignore lint/suspicious/noExplicitAny: error classes take differing constructor arguments
  type: new (...args: any[]) => E,
): Promise<E> => {
  let outcome: unknown;
  try {
    outcome = await promise;
  } catch (error) {
    if (error instanceof type) return error;
    throw new Error(
      `expected ${type.name}, got ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`,
    );
  }
  throw new Error(`expected ${type.name}, but it resolved with ${JSON.stringify(outcome)}`);
};

/** The day counters an issue charges: the destination's sends and failures, the tenant's sends (0 when absent). */
export const dayCounters = async (
  ddb: DynamoDBClient,
  tableName: string,
  tenant: Tenant,
  subject: string,
  now: number,
) => {
  const keys = keysFor(tenant, 'any', subject, now);
  const destination = await readItem(ddb, tableName, keys.destinationDay);
  return {
    sends: Number(destination?.sends ?? 0),
    failures: Number(destination?.failures ?? 0),
    tenantSends: (await sumOf(ddb, tableName, tenantDayKeys(tenant.tenantId, tenant.policy, now))).sends,
  };
};

/**
 * The numeric attributes `sends`, `verified` and `balance` summed over the shards of a sharded
 * counter (store/shards.ts): what the single item held before sharding (zeros when absent).
 */
export const sumOf = async (ddb: DynamoDBClient, tableName: string, keys: { pk: string; sk: string }[]) => {
  const items = await Promise.all(keys.map((k) => readItem(ddb, tableName, k)));
  const total = (attr: string) => items.reduce((sum, i) => sum + Number(i?.[attr] ?? 0), 0);
  return { sends: total('sends'), verified: total('verified'), balance: total('balance') };
};

/** A region's breaker hour at `at`, summed over its shards. */
export const breakerTotals = (
  ddb: DynamoDBClient,
  tableName: string,
  tenant: Tenant,
  region: string,
  at: number,
  trust: 'authenticated' | 'anonymous' = 'authenticated',
) =>
  sumOf(
    ddb,
    tableName,
    Array.from(
      { length: breakerShards(tenant.policy) },
      (_, s) => breakerKeys(countryPk(tenant.tenantId, trust, region), s, at).current,
    ),
  );
