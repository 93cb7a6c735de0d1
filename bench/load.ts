import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import autocannon, { type Result } from 'autocannon';
import { benchPhone } from './dialects';

/** TransactWriteItems requests the server sent, and how many a TransactionConflict cancelled. */
export interface TransactionStats {
  attempts: number;
  conflicts: number;
}

interface ServerChild {
  baseUrl: string;
  basic: { clientId: string; secret: string };
  /** Reads and resets the server's transaction counters. */
  takeStats: () => Promise<TransactionStats>;
  stop: () => Promise<void>;
}

/** Starts bench/server.ts (the local runtime's server) in its own process; resolves when it listens. */
export const startServerChild = (dynamoEndpoint: string): Promise<ServerChild> =>
  new Promise((resolve, reject) => {
    const entry = fileURLToPath(new URL('./server.ts', import.meta.url));
    const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', entry], {
      env: {
        ...process.env,
        BENCH_DYNAMODB_ENDPOINT: dynamoEndpoint,
        BENCH_TABLE_NAME: `otp-bench-load-${randomUUID().slice(0, 8)}`,
      },
      // Its log lines (one JSON line per request, as in AWS) are written, to nowhere.
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
    });
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`load server did not start within 60 s: ${stderr}`));
    }, 60_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`load server exited (${code}) during start: ${stderr}`));
    });
    child.once('message', (message) => {
      clearTimeout(timer);
      const { port, basic } = message as { port: number; basic: ServerChild['basic'] };
      child.removeAllListeners('exit');
      resolve({
        baseUrl: `http://127.0.0.1:${port}`,
        basic,
        takeStats: () =>
          new Promise((done) => {
            child.once('message', (reply) => {
              child.send('reset');
              done((reply as { stats: TransactionStats }).stats);
            });
            child.send('stats');
          }),
        stop: () =>
          new Promise((done) => {
            if (child.exitCode !== null) return done();
            child.once('exit', () => done());
            child.kill('SIGTERM');
          }),
      });
    });
  });

export interface LoadResult {
  name: string;
  /** Completed requests per second over the whole window. */
  rps: number;
  p50: number;
  p99: number;
  total: number;
  /** Length of the window (s). */
  seconds: number;
  non2xx: number;
  errors: number;
  /** Responses by HTTP status. */
  statuses: Record<string, number>;
  /** The server's TransactWriteItems during the window (attached by the caller). */
  transactions?: TransactionStats;
}

const summarize = (name: string, r: Result): LoadResult => ({
  name,
  rps: r.requests.total / r.duration,
  p50: r.latency.p50,
  p99: r.latency.p99,
  total: r.requests.total,
  seconds: r.duration,
  non2xx: r.non2xx,
  errors: r.errors + r.timeouts,
  statuses: Object.fromEntries(Object.entries(r.statusCodeStats).map(([s, { count }]) => [s, count])),
});

/**
 * Drives one capillary-v2 (seed 004, HTTP Basic) JSON endpoint: for `seconds` or `amount`
 * requests, each body from `body()`.
 */
const loadV2 = (
  server: ServerChild,
  path: string,
  options: { connections: number; seconds?: number; amount?: number },
  body: () => Record<string, string>,
  onResponse?: (status: number, body: string) => void,
) =>
  autocannon({
    url: server.baseUrl,
    connections: options.connections,
    ...(options.amount ? { amount: options.amount } : { duration: options.seconds }),
    requests: [
      {
        method: 'POST',
        path,
        headers: {
          'content-type': 'application/json',
          authorization: `Basic ${Buffer.from(`${server.basic.clientId}:${server.basic.secret}`).toString('base64')}`,
        },
        setupRequest: (request) => ({ ...request, body: JSON.stringify(body()) }),
        ...(onResponse ? { onResponse } : {}),
      },
    ],
  });

/**
 * `POST /v2/otp/generate` (SMS) with a new destination on every request, so no per-destination
 * limit or resend path is involved: each request is a fresh code.
 */
export const loadGenerate = async (
  server: ServerChild,
  options: { seconds: number; connections: number; base: number },
): Promise<LoadResult> => {
  let next = 0;
  const result = await loadV2(server, '/v2/otp/generate', options, () => ({
    entityType: 'MOBILE',
    entityValue: benchPhone(options.base, next++),
    action: 'REGISTRATION',
  }));
  return summarize('POST /v2/otp/generate', result);
};

/** The newest code per destination, from the server's `GET /_local/outbox` (the local runtime's outbox). */
export const codesFromOutbox = async (server: ServerChild): Promise<Map<string, string>> => {
  const response = await fetch(`${server.baseUrl}/_local/outbox`);
  if (!response.ok) throw new Error(`GET /_local/outbox answered ${response.status}`);
  const messages = (await response.json()) as Array<{ channel: string; to: string; text: string }>;
  const codes = new Map<string, string>();
  // Newest first: the first message to a destination carries its current code.
  for (const m of messages) {
    const code = /\b(\d{4,10})\b/.exec(m.text)?.[1];
    if (m.channel === 'SMS' && code && !codes.has(m.to)) codes.set(m.to, code);
  }
  return codes;
};

/** Empties the server's outbox between rounds, so each listing holds one round's codes. */
export const clearOutbox = async (server: ServerChild): Promise<void> => {
  const response = await fetch(`${server.baseUrl}/_local/outbox`, { method: 'DELETE' });
  if (!response.ok) throw new Error(`DELETE /_local/outbox answered ${response.status}`);
};

/**
 * `POST /v2/otp/validate` with the right code of every destination the generate phase sent (read
 * from the outbox), each once, as fast as the connections allow. A 200 with `entity: true` is a
 * verified code; `verified` counts them.
 */
export const loadValidate = async (
  server: ServerChild,
  options: { connections: number; codes: Map<string, string> },
): Promise<LoadResult & { verified: number }> => {
  const flows = [...options.codes.entries()];
  if (flows.length === 0) throw new Error('the outbox listed no codes to validate');
  let next = 0;
  let verified = 0;
  const result = await loadV2(
    server,
    '/v2/otp/validate',
    { connections: options.connections, amount: flows.length },
    () => {
      const [entityValue, code] = flows[next++ % flows.length] as [string, string];
      return { entityType: 'MOBILE', entityValue, action: 'REGISTRATION', code };
    },
    (status, body) => {
      if (status === 200 && /"entity"\s*:\s*true/.test(body)) verified++;
    },
  );
  return { ...summarize('POST /v2/otp/validate (right code)', result), verified };
};

/** An unknown path: the server's own floor (HTTP parse, route match, 404 JSON), no handler, no store. */
export const loadNotFound = async (
  server: ServerChild,
  options: { seconds: number; connections: number },
): Promise<LoadResult> => {
  const result = await autocannon({
    url: server.baseUrl,
    connections: options.connections,
    duration: options.seconds,
    requests: [{ method: 'GET', path: '/bench/unknown-path' }],
  });
  return summarize('GET /bench/unknown-path (404)', result);
};

/** Sums the rounds of one endpoint: rates from totals, the worst p99, statuses added up. */
export const combineRounds = (rounds: LoadResult[]): LoadResult => {
  const first = rounds[0];
  if (!first) throw new Error('no load rounds');
  const statuses: Record<string, number> = {};
  for (const r of rounds)
    for (const [s, n] of Object.entries(r.statuses)) statuses[s] = (statuses[s] ?? 0) + n;
  const total = rounds.reduce((a, r) => a + r.total, 0);
  const seconds = rounds.reduce((a, r) => a + r.seconds, 0);
  return {
    name: first.name,
    rps: total / seconds,
    p50: Math.max(...rounds.map((r) => r.p50)),
    p99: Math.max(...rounds.map((r) => r.p99)),
    total,
    seconds,
    non2xx: rounds.reduce((a, r) => a + r.non2xx, 0),
    errors: rounds.reduce((a, r) => a + r.errors, 0),
    statuses,
    transactions: {
      attempts: rounds.reduce((a, r) => a + (r.transactions?.attempts ?? 0), 0),
      conflicts: rounds.reduce((a, r) => a + (r.transactions?.conflicts ?? 0), 0),
    },
  };
};
