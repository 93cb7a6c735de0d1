/**
 * Security load run (issue 4): a bounded autocannon run against the local server in this process,
 * on loopback only, with mixed capillary-v2 traffic over many destinations, then checks that the
 * service stayed correct under load:
 *
 * - zero 5xx (and zero socket errors or timeouts);
 * - zero lost codes: every 200 generate put exactly one message per channel (SMS and e-mail) in
 *   the sink, and no answered generate sent a message without a 200 (a generate still in flight
 *   when autocannon stops has no answer to compare with, and is only counted);
 * - zero duplicated codes: no code validated successfully twice, every validate that succeeded
 *   used the code last delivered to that destination, and no destination holds two live codes.
 *
 * Each connection loops over: generate (SMS + e-mail to a destination no other cycle uses) →
 * validate with the code read from the sink → validate the same code again (a replay, which must
 * be refused). Run: `npx tsx bench/security-load.ts` (env: SECURITY_LOAD_SECONDS,
 * SECURITY_LOAD_CONNECTIONS). Exits 1 when a check fails.
 */
import { createRequire } from 'node:module';
import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DEMO, seedDemoTenant } from '../local/demo-tenant';
import { loadDialects } from '../local/dialects';
import { freePort, LOCAL_AWS, startDynamoLocal } from '../local/dynamo-local';
import { Outbox } from '../local/outbox';
import { createLocalServer, listen } from '../local/server';
import type { AppDeps } from '../shared/app-deps';
import type { ChannelType, OutboundMessage, Sender } from '../shared/channels/types';
import { ensureTable } from '../shared/store/table-schema';
import { TenantDirectory } from '../shared/tenant-directory';
import { scanItems } from '../test/support/harness';

/** The part of autocannon 9's API this run uses (the package ships no types). */
interface RequestSpec {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string;
  setupRequest?: (request: RequestSpec, context: Cycle) => RequestSpec | undefined;
  onResponse?: (status: number, body: string, context: Cycle) => void;
}
interface Histogram {
  average: number;
  p50: number;
  p99: number;
  max: number;
  total: number;
}
interface AutocannonResult {
  duration: number;
  errors: number;
  timeouts: number;
  statusCodeStats: Record<string, { count: number }>;
  latency: Histogram;
  requests: Histogram & { sent: number };
}
type Autocannon = (options: {
  url: string;
  connections: number;
  duration: number;
  timeout: number;
  requests: RequestSpec[];
}) => Promise<AutocannonResult>;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

const SECONDS = Number(process.env.SECURITY_LOAD_SECONDS ?? 20);
const CONNECTIONS = Number(process.env.SECURITY_LOAD_CONNECTIONS ?? 10);
const BASIC = `Basic ${Buffer.from(`${DEMO.basic.clientId}:${DEMO.basic.secret}`).toString('base64')}`;
const HEADERS = { 'content-type': 'application/json', authorization: BASIC };
const ACTION = 'REGISTRATION';

/** What one connection's current cycle knows (autocannon resets it at each new cycle). */
interface Cycle {
  index?: number;
  code?: string;
}

/**
 * The i-th destination: an Indian mobile number, spread over 900 four-digit prefixes so the
 * SMS-pumping velocity limit (per prefix and hour) is not what the run measures, and an e-mail.
 */
const destination = (i: number) => {
  const national = `9${String(100 + (i % 900))}${String(Math.floor(i / 900)).padStart(6, '0')}`;
  return { phone: `+91${national}`, entityValue: `91${national}`, email: `load-${i}@example.com` };
};

/** Every message, by destination (phone or e-mail): the sink a user would read the code from. */
class Sink {
  readonly byTo = new Map<string, Array<{ channel: ChannelType; text: string }>>();
  readonly outbox = new Outbox('http://127.0.0.1:9');

  sender(channel: ChannelType): Sender {
    // The local outbox's own sink too, so the run goes through the same path as `npm start`.
    const local = this.outbox.sink(channel);
    return async (message: OutboundMessage) => {
      await local(message);
      const list = this.byTo.get(message.to) ?? [];
      list.push({ channel, text: message.text });
      this.byTo.set(message.to, list);
    };
  }

  /** The code in the newest message to `to`, read from its text as the user would. */
  lastCode(to: string): string | undefined {
    const text = this.byTo.get(to)?.at(-1)?.text ?? '';
    return /\b\d{6}\b/.exec(text)?.[0];
  }
}

const main = async (): Promise<void> => {
  const dynamo = await startDynamoLocal(await freePort());
  const ddb = new DynamoDBClient({ ...LOCAL_AWS, endpoint: dynamo.endpoint });
  const tableName = 'otp-security-load';
  await ensureTable(ddb, tableName);
  const sink = new Sink();
  const logLines: string[] = [];
  const logger = new Logger({ serviceName: 'security-load', logLevel: 'WARN' });
  // Powertools writes through its console; keep the lines to count errors instead of printing them.
  (logger as unknown as { console: Record<string, (s: string) => void> }).console = Object.fromEntries(
    ['info', 'warn', 'error', 'debug', 'trace', 'log'].map((k) => [k, (s: string) => logLines.push(s)]),
  );
  const pepper = Buffer.from('security-load-pepper-0123456789abcdef');
  const tenantKey = Buffer.from('security-load-tenant-sealing-key-0123456789');
  const deps: AppDeps = {
    ddb,
    tableName,
    pepper: async () => pepper,
    signingKey: async () => Buffer.from('security-load-signing-key-0123456789abcdef'),
    senders: { SMS: sink.sender('SMS'), EMAIL: sink.sender('EMAIL') },
    now: Date.now,
    logger,
    // As in AWS (TENANT_CACHE_SECONDS default).
    tenants: new TenantDirectory(ddb, tableName, { tenantKey: async () => tenantKey, cacheSeconds: 60 }),
  };
  await seedDemoTenant(deps.tenants);
  const { handlers } = await loadDialects(deps);
  const server = createLocalServer({ outbox: sink.outbox, handlers });
  const port = await listen(server, 0, '127.0.0.1');

  // What the client side saw, per destination index.
  const generated = new Map<number, { ok: number; fresh: number }>();
  /** Destinations whose generate was answered (any status); one in flight when the run stops is not. */
  const answered = new Set<number>();
  const validated = new Map<number, { ok: number; codes: string[]; mismatched: number }>();
  let replayAccepted = 0;
  let unknownStatus = 0;
  let next = 0;

  const entity = (i: number) => ({
    entityType: 'MOBILE',
    entityValue: destination(i).entityValue,
    action: ACTION,
  });
  const requests: RequestSpec[] = [
    {
      method: 'POST',
      path: '/v2/otp/generate',
      headers: HEADERS,
      setupRequest: (request, context) => {
        const i = next++;
        context.index = i;
        const d = destination(i);
        return {
          ...request,
          body: JSON.stringify({
            ...entity(i),
            channels: [
              { type: 'SMS', value: d.entityValue },
              { type: 'EMAIL', value: d.email },
            ],
          }),
        };
      },
      onResponse: (status, body, context) => {
        if (context.index !== undefined) answered.add(context.index);
        if (status !== 200 || context.index === undefined) return;
        const g = generated.get(context.index) ?? { ok: 0, fresh: 0 };
        g.ok++;
        if ((JSON.parse(body) as { createdId: number }).createdId !== 1) g.fresh++;
        generated.set(context.index, g);
        context.code = sink.lastCode(destination(context.index).phone);
      },
    },
    {
      method: 'POST',
      path: '/v2/otp/validate',
      headers: HEADERS,
      // No code (the generate was refused): start a new cycle instead of validating nothing.
      setupRequest: (request, context) =>
        context.index === undefined || !context.code
          ? undefined
          : { ...request, body: JSON.stringify({ ...entity(context.index), code: context.code }) },
      onResponse: (status, _body, context) => {
        if (context.index === undefined || !context.code) return;
        const v = validated.get(context.index) ?? { ok: 0, codes: [], mismatched: 0 };
        if (status === 200) {
          v.ok++;
          v.codes.push(context.code);
          if (context.code !== sink.lastCode(destination(context.index).phone)) v.mismatched++;
        } else if (status !== 400 && status !== 429) unknownStatus++;
        validated.set(context.index, v);
      },
    },
    {
      // The same code again: a replay, which single use must refuse.
      method: 'POST',
      path: '/v2/otp/validate',
      headers: HEADERS,
      setupRequest: (request, context) =>
        context.index === undefined || !context.code
          ? undefined
          : { ...request, body: JSON.stringify({ ...entity(context.index), code: context.code }) },
      onResponse: (status) => {
        if (status === 200) replayAccepted++;
      },
    },
  ];

  const started = Date.now();
  const result = await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections: CONNECTIONS,
    duration: SECONDS,
    timeout: 10,
    requests,
  });
  const elapsed = (Date.now() - started) / 1000;

  // Checks, from the sink and the table.
  const byClass = { '2xx': 0, '4xx': 0, '5xx': 0, other: 0 };
  for (const [status, { count }] of Object.entries(result.statusCodeStats)) {
    const key = `${status[0]}xx` as keyof typeof byClass;
    byClass[key in byClass ? key : 'other'] += Number(count);
  }
  let lost = 0;
  let phantom = 0;
  for (let i = 0; i < next; i++) {
    const d = destination(i);
    const ok = generated.get(i)?.ok ?? 0;
    for (const [channel, to] of [
      ['SMS', d.phone],
      ['EMAIL', d.email],
    ] as const) {
      const messages = (sink.byTo.get(to) ?? []).filter((m) => m.channel === channel).length;
      lost += Math.max(0, ok - messages);
      if (answered.has(i)) phantom += Math.max(0, messages - ok);
    }
  }
  let duplicated = replayAccepted;
  let mismatched = 0;
  for (const v of validated.values()) {
    duplicated += v.codes.length - new Set(v.codes).size;
    mismatched += v.mismatched;
  }
  const now = Date.now();
  const live = new Map<string, number>();
  for (const item of await scanItems(ddb, tableName)) {
    if (!String(item.sk).startsWith('CH#')) continue;
    if (item.consumedAt === undefined && Number(item.expiresAt) > now) {
      live.set(String(item.pk), (live.get(String(item.pk)) ?? 0) + 1);
    }
  }
  const twoLive = [...live.values()].filter((n) => n > 1).length;
  const unhandled = logLines.filter((l) => l.includes('unhandled error')).length;
  const generates = [...generated.values()].reduce((a, g) => a + g.ok, 0);
  const validates = [...validated.values()].reduce((a, v) => a + v.ok, 0);

  const figures = {
    command: 'npx tsx bench/security-load.ts',
    durationSeconds: Number(elapsed.toFixed(1)),
    connections: CONNECTIONS,
    requests: result.requests.total,
    rps: Number(result.requests.average.toFixed(1)),
    latencyMs: { p50: result.latency.p50, p99: result.latency.p99, max: result.latency.max },
    status: byClass,
    socketErrors: result.errors,
    timeouts: result.timeouts,
    destinations: next,
    generatesInFlightAtStop: next - answered.size,
    generates200: generates,
    validates200: validates,
    lost,
    phantom,
    duplicated,
    validatedWithStaleCode: mismatched,
    destinationsWithTwoLiveCodes: twoLive,
    unexpectedValidateStatus: unknownStatus,
    unhandledErrorLogs: unhandled,
  };
  console.log('Security load run (capillary-v2, generate → validate → replay, loopback, in-process)');
  console.table({
    requests: figures.requests,
    'requests/s': figures.rps,
    'latency p50 (ms)': figures.latencyMs.p50,
    'latency p99 (ms)': figures.latencyMs.p99,
    '2xx': byClass['2xx'],
    '4xx': byClass['4xx'],
    '5xx': byClass['5xx'],
    'generates 200': generates,
    'validates 200': validates,
    lost,
    duplicated,
  });
  console.log(JSON.stringify(figures));

  const failures = [
    byClass['5xx'] > 0 && `${byClass['5xx']} responses were 5xx`,
    byClass.other > 0 && `${byClass.other} responses had an unexpected status class`,
    result.errors + result.timeouts > 0 && `${result.errors} socket errors and ${result.timeouts} timeouts`,
    lost > 0 && `${lost} codes lost (a 200 generate without its message)`,
    phantom > 0 && `${phantom} messages sent without a 200 generate`,
    duplicated > 0 && `${duplicated} codes validated more than once`,
    mismatched > 0 && `${mismatched} validations accepted a code other than the last one delivered`,
    twoLive > 0 && `${twoLive} destinations hold two live codes`,
    unknownStatus > 0 && `${unknownStatus} validates answered an unexpected status`,
    unhandled > 0 && `${unhandled} unhandled errors logged`,
    generates === 0 && 'no generate succeeded: the run measured nothing',
    validates === 0 && 'no validate succeeded: the run measured nothing',
  ].filter((f): f is string => typeof f === 'string');

  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  ddb.destroy();
  await dynamo.stop();

  if (failures.length > 0) {
    console.error(`FAILED:\n- ${failures.join('\n- ')}`);
    process.exitCode = 1;
  } else {
    console.log('PASSED: zero 5xx, zero lost codes, zero duplicated codes');
  }
};

await main();
