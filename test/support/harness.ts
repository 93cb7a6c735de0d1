import { randomUUID } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LOCAL_AWS } from '../../local/dynamo-local';
import type { ChannelType, OutboundMessage, Senders } from '../../shared/channels/types';
import type { EngineDeps } from '../../shared/engine/types';
import { ensureTable } from '../../shared/store/table-schema';
import { type Tenant, tenantSchema } from '../../shared/tenants';

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

/** A DynamoDB Local client for the endpoint the global setup started. */
export const localDynamo = (): DynamoDBClient => {
  const endpoint = process.env.DYNAMODB_ENDPOINT;
  if (!endpoint) throw new Error('DYNAMODB_ENDPOINT is not set: run through jest (global setup)');
  return new DynamoDBClient({ ...LOCAL_AWS, endpoint });
};

/** Creates a fresh table for one test file. */
export const freshTable = async (client: DynamoDBClient): Promise<string> => {
  const name = `otp-test-${randomUUID()}`;
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

/** A clock the test moves by hand. */
export const manualClock = (start = Date.UTC(2026, 10, 21, 12, 0, 0)) => {
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
  overrides: Partial<Tenant> & { policy?: Partial<Tenant['policy']> } = {},
): Tenant =>
  tenantSchema.parse({
    tenantId: `t-${randomUUID().slice(0, 8)}`,
    name: 'Test tenant',
    ...overrides,
    policy: { allowedCountryCodes: ['91', '1', '84'], ...(overrides.policy ?? {}) },
  });

export const PEPPER = Buffer.from('test-pepper-0123456789abcdef-0123456789');

/** Engine deps against DynamoDB Local with recording channels and a manual clock. */
export const engineHarness = async (options: { fail?: ChannelType[] } = {}) => {
  const ddb = localDynamo();
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

/** The code in the last message sent to `to` (what the user would read off the phone). */
export const lastCode = (sent: OutboundMessage[], to?: string): string => {
  const m = [...sent].reverse().find((s) => to === undefined || s.to === to);
  if (!m) throw new Error(`no message sent${to ? ` to ${to}` : ''}`);
  return m.code;
};
