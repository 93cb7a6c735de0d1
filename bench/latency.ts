import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { LOCAL_AWS } from '../local/dynamo-local';
import type { AppDeps } from '../shared/app-deps';
import type { OutboundMessage, Senders } from '../shared/channels/types';
import type { LambdaHandler } from '../shared/http/types';
import { DIALECTS, type DialectId } from '../shared/routes';
import { ensureTable } from '../shared/store/table-schema';
import { TenantDirectory } from '../shared/tenant-directory';
import { type Tenant, tenantSchema } from '../shared/tenants';
import { type Answer, type Call, caller, type DialectDriver, DRIVERS, type FlowState } from './dialects';
import { UNREACHED_LIMITS } from './limits';
import { rawBaseline } from './raw-baseline';
import { type Summary, summarize } from './stats';

/** Senders that deliver nothing and remember the last code per destination (the user's phone). */
const recordingSenders = () => {
  const codes = new Map<string, string>();
  const record = async (m: OutboundMessage) => {
    codes.set(m.to, m.code);
  };
  const senders: Senders = { SMS: record, EMAIL: record, VOICE: record, WHATSAPP: record, ZALO: record };
  return { senders, codes };
};

/**
 * A production-like logger whose lines go nowhere: Powertools still formats and serialises each
 * line (a real cost of every request), but the benchmark's output stays readable.
 */
const quietLogger = (): Logger => {
  const logger = new Logger({ serviceName: 'otp-bench', logLevel: 'INFO' });
  const drop = () => {};
  (logger as unknown as { console: Record<string, () => void> }).console = {
    info: drop,
    warn: drop,
    error: drop,
    debug: drop,
    trace: drop,
    log: drop,
  };
  return logger;
};

/** The bench tenant: India allowed, limits out of reach. */
const benchTenant = (patch: Partial<Tenant>): Tenant =>
  tenantSchema.parse({
    tenantId: `bench-${randomUUID().slice(0, 8)}`,
    name: 'Benchmark tenant',
    ...patch,
    policy: { allowedRegions: ['IN'], ...UNREACHED_LIMITS },
  });

export interface Dialect {
  id: DialectId;
  driver: DialectDriver;
  handler: LambdaHandler;
  call: Call;
  deps: AppDeps;
  codes: Map<string, string>;
  tenant: Tenant;
}

/**
 * Builds a dialect's handler exactly as its Lambda does (`createHandler(deps)` of its entry),
 * on deps against DynamoDB Local with recording senders, and seeds a tenant for it.
 */
export const setUpDialect = async (
  id: DialectId,
  options: { ddb: DynamoDBClient; tableName: string; base: number; now?: () => number; flows?: number },
): Promise<Dialect> => {
  const driver = DRIVERS[id](options.base, options.flows);
  const { senders, codes } = recordingSenders();
  const deps: AppDeps = {
    ddb: options.ddb,
    tableName: options.tableName,
    pepper: async () => PEPPER,
    signingKey: async () => SIGNING_KEY,
    senders,
    now: options.now ?? Date.now,
    logger: quietLogger(),
    // The production default: a warm container reads a tenant once a minute.
    tenants: new TenantDirectory(options.ddb, options.tableName, {
      tenantKey: async () => TENANT_KEY,
      cacheSeconds: 60,
    }),
  };
  const tenant = benchTenant(driver.tenantPatch);
  await deps.tenants.putTenant(tenant);
  await driver.seed(deps, tenant.tenantId);
  const handler = await handlerOf(id, deps);
  return { id, driver, handler, call: caller(handler), deps, codes, tenant };
};

/** The dialect's handler as its Lambda builds it: `createHandler(deps)` of its entry. */
const handlerOf = async (id: DialectId, deps: AppDeps): Promise<LambdaHandler> => {
  const module = (await import(`../${DIALECTS[id].entry}`)) as {
    createHandler?: (d: AppDeps) => LambdaHandler;
  };
  if (typeof module.createHandler !== 'function')
    throw new Error(`${DIALECTS[id].entry} exports no createHandler`);
  return module.createHandler(deps);
};

/**
 * A new container of the same dialect on the same table and tenant: its own tenant directory
 * (every cache empty) and a new handler from `createHandler`. Module-level state of the bundle,
 * if any, stays warm (the module is imported once per process).
 */
export const newContainer = async (d: Dialect): Promise<Call> => {
  const deps: AppDeps = {
    ...d.deps,
    tenants: new TenantDirectory(d.deps.ddb, d.deps.tableName, {
      tenantKey: async () => TENANT_KEY,
      cacheSeconds: 60,
    }),
  };
  return caller(await handlerOf(d.id, deps));
};

const PEPPER = Buffer.from('bench-pepper-0123456789abcdef-0123456789');
const TENANT_KEY = Buffer.from('bench-tenant-sealing-key-0123456789abcdef');
const SIGNING_KEY = Buffer.from('bench-signing-key-0123456789abcdef-0123456789');

/** A fresh DynamoDB Local client and table for one measurement. */
export const localTable = async (endpoint: string): Promise<{ ddb: DynamoDBClient; tableName: string }> => {
  const ddb = new DynamoDBClient({ ...LOCAL_AWS, endpoint });
  const tableName = `otp-bench-${randomUUID().slice(0, 8)}`;
  await ensureTable(ddb, tableName);
  return { ddb, tableName };
};

export const expectOk = (d: Dialect, what: string, answer: Answer): Answer => {
  if (!d.driver.ok(answer)) {
    throw new Error(
      `${d.id} ${what} failed: HTTP ${answer.status} ${JSON.stringify(answer.body).slice(0, 300)}`,
    );
  }
  return answer;
};

export const codeFor = (d: Dialect, i: number): string => {
  const code = d.codes.get(d.driver.destination(i));
  if (!code) throw new Error(`${d.id}: no code was sent to flow ${i}'s destination`);
  return code;
};

const timed = async <T>(work: () => Promise<T>): Promise<{ ms: number; value: T }> => {
  const start = performance.now();
  const value = await work();
  return { ms: performance.now() - start, value };
};

export interface LatencyResult {
  dialect: DialectId;
  /** Items in the raw transactions (matched to the engine's, see RawBaseline). */
  rawItems: { generate: number; verify: number };
  generate: Summary;
  verify: Summary;
  rawGenerate: Summary;
  rawVerify: Summary;
  rawSingleUpdate: Summary;
}

/**
 * Warm latency of a dialect's generate and verify next to the raw DynamoDB calls they need, one
 * flow after another (subject and raw interleaved, order swapped every flow). The first `warmup`
 * flows warm the JIT, the connection and the tenant cache and are not recorded.
 */
export const measureLatency = async (
  endpoint: string,
  id: DialectId,
  options: { warmup: number; iterations: number; base: number; rawItems: LatencyResult['rawItems'] },
): Promise<LatencyResult> => {
  const { ddb, tableName } = await localTable(endpoint);
  const { rawItems } = options;
  try {
    const d = await setUpDialect(id, {
      ddb,
      tableName,
      base: options.base,
      flows: options.warmup + options.iterations,
    });
    const raw = rawBaseline(ddb, tableName, randomUUID().slice(0, 8));
    const samples = {
      generate: [],
      verify: [],
      rawGenerate: [],
      rawVerify: [],
      rawSingleUpdate: [],
    } as Record<keyof Omit<LatencyResult, 'dialect' | 'rawItems'>, number[]>;
    const total = options.warmup + options.iterations;
    for (let i = 0; i < total; i++) {
      const keep = i >= options.warmup;
      const state: FlowState = d.driver.prepare ? await d.driver.prepare(d.call, i) : {};
      const genEvent = d.driver.generate(i, state);
      const now = Date.now();
      const subjectGenerate = async () => {
        const r = await timed(() => d.call(genEvent));
        expectOk(d, 'generate', r.value);
        if (keep) samples.generate.push(r.ms);
        return r.value;
      };
      const rawGenerate = async () => {
        const r = await timed(() => raw.generate(i, now, rawItems.generate));
        if (keep) samples.rawGenerate.push(r.ms);
      };
      let generated: Answer;
      if (i % 2 === 0) {
        generated = await subjectGenerate();
        await rawGenerate();
      } else {
        await rawGenerate();
        generated = await subjectGenerate();
      }
      const verifyEvent: APIGatewayProxyEvent = d.driver.verify(i, state, generated, codeFor(d, i));
      const subjectVerify = async () => {
        const r = await timed(() => d.call(verifyEvent));
        expectOk(d, 'verify', r.value);
        if (keep) samples.verify.push(r.ms);
      };
      const rawVerify = async () => {
        const r = await timed(() => raw.verify(i, now, rawItems.verify));
        if (keep) samples.rawVerify.push(r.ms);
      };
      const rawSingle = async () => {
        const r = await timed(() => raw.singleUpdate(i, now));
        if (keep) samples.rawSingleUpdate.push(r.ms);
      };
      if (i % 2 === 0) {
        await subjectVerify();
        await rawVerify();
        await rawSingle();
      } else {
        await rawSingle();
        await rawVerify();
        await subjectVerify();
      }
    }
    return {
      dialect: id,
      rawItems,
      generate: summarize(samples.generate),
      verify: summarize(samples.verify),
      rawGenerate: summarize(samples.rawGenerate),
      rawVerify: summarize(samples.rawVerify),
      rawSingleUpdate: summarize(samples.rawSingleUpdate),
    };
  } finally {
    ddb.destroy();
  }
};
