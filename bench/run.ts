/**
 * `npm run bench`: what every request costs against its physical limit, each figure next to a
 * baseline measured in the same run (interleaved, because the machine is shared and noisy).
 * Prints the tables and writes docs/PERFORMANCE.md. Not part of `npm test`.
 *
 * 1. Bundle bytes and cold start of each dialect's Lambda vs a bundle that only builds the SDK clients.
 * 2. Warm p50/p99 of generate and verify vs the raw DynamoDB requests they need.
 * 3. The in-process part alone (DynamoDB answering at once) and where its CPU time goes.
 * 4. DynamoDB requests per operation.
 * 5. Throughput of the local HTTP server vs its 404 floor.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DIALECT_CHANNELS } from '../lib/channel-access';
import { PROJECT_ROOT } from '../lib/constructs/dialect-function';
import { freePort, startDynamoLocal } from '../local/dynamo-local';
import type { DialectId } from '../shared/routes';
import {
  type Bundle,
  baselineClients,
  bundleBaseline,
  bundleDialect,
  existingDialects,
  PROBES,
  probeBytes,
} from './bundle';
import { coldStart, writeProbe } from './cold-start';
import { measureInProcess } from './in-process';
import { countDynamoRequests, localTable, measureLatency } from './latency';
import { combineRounds, type LoadResult, loadGenerate, loadNotFound, startServerChild } from './load';
import { bytesByOwner, growthOverBaseline } from './metafile';
import { conflictProbe, rawBaseline } from './raw-baseline';
import { type BenchReport, type BundleRow, type ColdRow, renderDocument, renderTables } from './report';
import { interleave, median } from './stats';

/** A positive integer from the environment, else the default. */
const setting = (name: string, fallback: number): number => {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0)
    throw new Error(`${name} must be a positive integer, got "${raw}"`);
  return value;
};

const SETTINGS = {
  BENCH_COLD_RUNS: setting('BENCH_COLD_RUNS', 12),
  BENCH_SOURCEMAP_RUNS: setting('BENCH_SOURCEMAP_RUNS', 10),
  BENCH_WARMUP: setting('BENCH_WARMUP', 50),
  BENCH_ITERATIONS: setting('BENCH_ITERATIONS', 300),
  BENCH_LOAD_SECONDS: setting('BENCH_LOAD_SECONDS', 5),
  BENCH_LOAD_ROUNDS: setting('BENCH_LOAD_ROUNDS', 2),
  BENCH_CONNECTIONS: setting('BENCH_CONNECTIONS', 10),
};

const DOC = path.join(PROJECT_ROOT, 'docs', 'PERFORMANCE.md');

const step = (text: string) => console.error(`[bench] ${text}`);
const message = (error: unknown) =>
  (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';

/** SDK package of each channel, to find channel SDKs a dialect carries but never uses. */
const CHANNEL_SDK = {
  sms: '@aws-sdk/client-sns',
  email: '@aws-sdk/client-ses',
  voice: '@aws-sdk/client-pinpoint-sms-voice-v2',
  whatsapp: '@aws-sdk/client-socialmessaging',
} as const;

/** Measurements a dialect could not take (a dialect still being written may not build). */
const skipped: BenchReport['skipped'] = [];

const bundles = async (dialects: DialectId[], outDir: string) => {
  const baselines = new Map<string, Bundle>();
  const subjects = new Map<DialectId, { subject: Bundle; baseline: Bundle }>();
  for (const dialect of dialects) {
    const clients = baselineClients(dialect);
    const baselineName = `baseline-${clients.length}-clients`;
    let baseline = baselines.get(baselineName);
    if (!baseline) {
      baseline = await bundleBaseline(baselineName, clients, outDir);
      baselines.set(baselineName, baseline);
    }
    try {
      subjects.set(dialect, { subject: await bundleDialect(dialect, outDir), baseline });
    } catch (error) {
      skipped.push({ dialect, stage: 'bundle and cold start', error: message(error) });
    }
  }
  const rows: BundleRow[] = [...subjects.entries()].map(([dialect, { subject, baseline }]) => {
    const owners = bytesByOwner(subject.metafile);
    const used = new Set(DIALECT_CHANNELS[dialect].map((c) => CHANNEL_SDK[c]));
    return {
      dialect,
      baselineName: baselineClients(dialect)
        .join(', ')
        .replace(/Client/g, ''),
      bytes: subject.bytes,
      mapBytes: subject.mapBytes,
      baselineBytes: baseline.bytes,
      top: owners.slice(0, 10),
      growth: growthOverBaseline(subject.metafile, baseline.metafile),
      unusedChannelSdks: owners.filter(
        (o) => (Object.values(CHANNEL_SDK) as string[]).includes(o.owner) && !used.has(o.owner as never),
      ),
    };
  });
  return { rows, subjects };
};

const coldStarts = async (
  subjects: Map<DialectId, { subject: Bundle; baseline: Bundle }>,
  outDir: string,
): Promise<ColdRow[]> => {
  const probe = writeProbe(outDir);
  const rows: ColdRow[] = [];
  for (const [dialect, { subject, baseline }] of subjects) {
    step(
      `cold start: ${dialect} (${SETTINGS.BENCH_COLD_RUNS} + ${SETTINGS.BENCH_SOURCEMAP_RUNS} runs each side)`,
    );
    try {
      const plain = await interleave(
        SETTINGS.BENCH_COLD_RUNS,
        async () => coldStart(probe, subject.file),
        async () => coldStart(probe, baseline.file),
      );
      const maps = await interleave(
        SETTINGS.BENCH_SOURCEMAP_RUNS,
        async () => coldStart(probe, subject.file, true),
        async () => coldStart(probe, baseline.file, true),
      );
      const med = (runs: typeof plain.subject) => ({
        toImported: median(runs.map((r) => r.toImported)),
        importOnly: median(runs.map((r) => r.importOnly)),
        wall: median(runs.map((r) => r.wall)),
      });
      rows.push({
        dialect,
        runs: SETTINGS.BENCH_COLD_RUNS,
        subject: med(plain.subject),
        baseline: med(plain.baseline),
        sourceMaps: {
          runs: SETTINGS.BENCH_SOURCEMAP_RUNS,
          subject: median(maps.subject.map((r) => r.toImported)),
          baseline: median(maps.baseline.map((r) => r.toImported)),
        },
      });
    } catch (error) {
      skipped.push({ dialect, stage: 'cold start', error: message(error) });
    }
  }
  return rows;
};

/**
 * Items of the raw baseline's transactions: as many as the engine's own generate and verify
 * transactions (counted in section 4), at least DESIGN §4's 3 and 2.
 */
const rawItemsFor = (counts: BenchReport['counts'][number] | undefined) => {
  const items = (c: Record<string, number> | undefined, floor: number) => {
    const sizes = Object.keys(c ?? {}).flatMap((label) => {
      const n = /^TransactWriteItems\[(\d+)\]$/.exec(label)?.[1];
      return n ? [Number(n)] : [];
    });
    return Math.max(floor, ...sizes);
  };
  const ok = counts && !('error' in counts) ? counts : undefined;
  return { generate: items(ok?.freshGenerate, 3), verify: items(ok?.verifySuccess, 2) };
};

/** Warms DynamoDB Local's JVM with the raw calls, so the first dialect is not measured against a cold emulator. */
const warmDynamo = async (endpoint: string): Promise<void> => {
  const { ddb, tableName } = await localTable(endpoint);
  try {
    const raw = rawBaseline(ddb, tableName, 'warm');
    for (let i = 0; i < 300; i++) {
      await raw.generate(i, Date.now());
      await raw.verify(i, Date.now());
      await raw.singleUpdate(i, Date.now());
    }
  } finally {
    ddb.destroy();
  }
};

const load = async (endpoint: string): Promise<BenchReport['load']> => {
  const server = await startServerChild(endpoint);
  try {
    const seconds = SETTINGS.BENCH_LOAD_SECONDS;
    const connections = SETTINGS.BENCH_CONNECTIONS;
    // Warm-up: JIT, sockets, tenant cache, DynamoDB Local's table.
    await loadGenerate(server, { seconds: 2, connections, base: 90_000_000 });
    await loadNotFound(server, { seconds: 1, connections });
    await server.takeStats();
    const notFound: LoadResult[] = [];
    const generate: LoadResult[] = [];
    const runGenerate = async (round: number) => {
      const result = await loadGenerate(server, {
        seconds,
        connections,
        base: 60_000_000 + round * 1_000_000,
      });
      generate.push({ ...result, transactions: await server.takeStats() });
    };
    const runNotFound = async () => {
      notFound.push(await loadNotFound(server, { seconds, connections }));
      await server.takeStats();
    };
    await interleave(SETTINGS.BENCH_LOAD_ROUNDS, runGenerate, runNotFound);
    step('load: generate with 1 connection');
    const single = await loadGenerate(server, { seconds, connections: 1, base: 50_000_000 });
    const generateSingle = { ...single, transactions: await server.takeStats() };
    return {
      notFound: combineRounds(notFound),
      generate: combineRounds(generate),
      generateSingle,
      connections,
    };
  } finally {
    await server.stop();
  }
};

const main = async (): Promise<void> => {
  const started = Date.now();
  const loadStart = os.loadavg();
  const dialects = existingDialects();
  step(`dialects with a function file: ${dialects.join(', ')}`);
  const outDir = mkdtempSync(path.join(os.tmpdir(), 'otp-bench-'));
  try {
    step('bundling (esbuild, stack options)');
    const built = await bundles(dialects, outDir);
    const probes = [];
    for (const p of PROBES) probes.push({ label: p.label, bytes: await probeBytes(p.source) });

    const cold = await coldStarts(built.subjects, outDir);

    step('starting DynamoDB Local');
    const dynamo = await startDynamoLocal(await freePort());
    let latency: BenchReport['latency'] = [];
    let counts: BenchReport['counts'] = [];
    let inProcess: BenchReport['inProcess'] = [];
    let conflicts: BenchReport['conflicts'];
    let loadResult: BenchReport['load'];
    try {
      await warmDynamo(dynamo.endpoint);
      /** Runs one measurement per dialect; a failure is reported in its row, not thrown. */
      const perDialect = async <T>(label: string, run: (dialect: DialectId, base: number) => Promise<T>) => {
        const rows: Array<T | { dialect: DialectId; error: string }> = [];
        for (const [index, dialect] of dialects.entries()) {
          step(`${label}: ${dialect}`);
          // Each measurement of each dialect sends to its own range of destinations.
          const base = 100_000 * index;
          rows.push(await run(dialect, base).catch((error: unknown) => ({ dialect, error: message(error) })));
        }
        return rows;
      };
      counts = await perDialect('requests per operation', (dialect, base) =>
        countDynamoRequests(dynamo.endpoint, dialect, 10_000_000 + base),
      );
      latency = await perDialect(
        `warm latency (${SETTINGS.BENCH_WARMUP} + ${SETTINGS.BENCH_ITERATIONS} flows)`,
        (dialect, base) =>
          measureLatency(dynamo.endpoint, dialect, {
            warmup: SETTINGS.BENCH_WARMUP,
            iterations: SETTINGS.BENCH_ITERATIONS,
            base: 20_000_000 + base,
            rawItems: rawItemsFor(counts.find((c) => c.dialect === dialect)),
          }),
      );
      inProcess = await perDialect('in-process cost and CPU profile', (dialect, base) =>
        measureInProcess(dynamo.endpoint, dialect, {
          // Enough warm-up flows to fill every cache (SummitAI's 64 users).
          warmup: Math.max(SETTINGS.BENCH_WARMUP, 70),
          iterations: SETTINGS.BENCH_ITERATIONS,
          base: 30_000_000 + base,
        }),
      );
      step('transaction conflict probe');
      conflicts = await localTable(dynamo.endpoint).then(async ({ ddb, tableName }) => {
        try {
          return await conflictProbe(ddb, tableName, { parallel: 20, rounds: 5 });
        } finally {
          ddb.destroy();
        }
      });
      step(`load: ${SETTINGS.BENCH_LOAD_ROUNDS} rounds × ${SETTINGS.BENCH_LOAD_SECONDS} s per endpoint`);
      loadResult = await load(dynamo.endpoint).catch((error: unknown) => ({ error: message(error) }));
    } finally {
      await dynamo.stop();
    }

    const overrides = Object.keys(SETTINGS).filter((k) => process.env[k]);
    const report: BenchReport = {
      date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      machine: {
        cpus: os.availableParallelism(),
        cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown',
        node: process.version,
        os: `${os.type()} ${os.release()} ${os.arch()}`,
        loadStart,
        loadEnd: os.loadavg(),
      },
      command: [...overrides.map((k) => `${k}=${process.env[k]}`), 'npm run bench'].join(' '),
      settings: SETTINGS,
      bundles: built.rows,
      probes,
      cold,
      latency,
      inProcess,
      counts,
      conflicts,
      load: loadResult,
      skipped,
      seconds: (Date.now() - started) / 1000,
    };
    console.log(renderTables(report));
    writeFileSync(DOC, renderDocument(report));
    step(`wrote ${path.relative(PROJECT_ROOT, DOC)} (${report.seconds.toFixed(0)} s)`);
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
};

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
