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
 * `POST /v2/otp/generate` (seed 004, SMS) with a new destination on every request, so no
 * per-destination limit or resend path is involved: each request is a fresh code.
 */
export const loadGenerate = async (
  server: ServerChild,
  options: { seconds: number; connections: number; base: number },
): Promise<LoadResult> => {
  let next = 0;
  const authorization = `Basic ${Buffer.from(`${server.basic.clientId}:${server.basic.secret}`).toString('base64')}`;
  const result = await autocannon({
    url: server.baseUrl,
    connections: options.connections,
    duration: options.seconds,
    requests: [
      {
        method: 'POST',
        path: '/v2/otp/generate',
        headers: { 'content-type': 'application/json', authorization },
        setupRequest: (request) => ({
          ...request,
          body: JSON.stringify({
            entityType: 'MOBILE',
            entityValue: benchPhone(options.base, next++),
            action: 'REGISTRATION',
          }),
        }),
      },
    ],
  });
  return summarize('POST /v2/otp/generate', result);
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
