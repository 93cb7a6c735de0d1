/**
 * `npm run bench`: what every request costs against its physical limit, each figure next to a
 * baseline measured in the same run (interleaved, because the machine is shared and noisy).
 * Prints the tables and writes docs/PERFORMANCE.md and bench/results.json (bench/results.ts
 * describes its shape). Not part of `npm test`.
 *
 * 1. Bundle bytes and cold start of every function the stack deploys, bundled and started as the
 *    stack deploys it, vs a bundle that only constructs the SDK clients the function bundles.
 * 2. Warm p50/p99 of generate and verify vs the raw DynamoDB floor (3 items / 2 items).
 * 3. The in-process part alone (DynamoDB answering at once) and where its CPU time goes.
 * 4. DynamoDB requests, round trips and request units per operation, caches cold and warm.
 * 5. Throughput of the local HTTP server for generate and validate vs its 404 floor.
 * 6. Cost per million generate + verify pairs, from the measured units and durations.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DIALECT_CHANNELS } from '../lib/channel-access';
import { PROJECT_ROOT } from '../lib/constructs/dialect-function';
import { freePort, startDynamoLocal } from '../local/dynamo-local';
import type { DialectId } from '../shared/routes';
import {
  type Bundle,
  bundleBaseline,
  bundleFunction,
  clientOf,
  existingDialects,
  PROBES,
  probeBytes,
  sdkClientPackages,
} from './bundle';
import { type ColdStart, coldStart, writeProbe } from './cold-start';
import { measureInProcess } from './in-process';
import { localTable, measureLatency } from './latency';
import {
  clearOutbox,
  codesFromOutbox,
  combineRounds,
  type LoadResult,
  loadGenerate,
  loadNotFound,
  loadValidate,
  startServerChild,
} from './load';
import { bytesByOwner, growthOverBaseline } from './metafile';
import { conflictProbe, rawBaseline } from './raw-baseline';
import { type BenchReport, type BundleRow, type ColdRow, renderDocument, renderTables } from './report';
import { countDynamoRequests } from './requests';
import { benchResults } from './results';
import { type DeployedFunction, deployedFunctions } from './stack';
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
const RESULTS = path.join(PROJECT_ROOT, 'bench', 'results.json');

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

/** Measurements a function could not take (a dialect still being written may not build). */
const skipped: BenchReport['skipped'] = [];

interface Built {
  fn: DeployedFunction;
  subject: Bundle;
  baseline: Bundle;
}

/**
 * Each deployed function bundled as the stack bundles it, and its baseline: a bundle with the
 * same options that constructs exactly the SDK clients the function's bundle contains (read from
 * its metafile) and does nothing else.
 */
const bundles = async (functions: DeployedFunction[], outDir: string) => {
  const baselines = new Map<string, Bundle>();
  const built: Built[] = [];
  for (const fn of functions) {
    try {
      const subject = await bundleFunction(fn, outDir);
      const clients = await Promise.all(sdkClientPackages(subject.metafile).map(clientOf));
      const baselineName = `baseline-${clients.map((c) => c.name.replace(/Client$/, '')).join('-')}`;
      let baseline = baselines.get(baselineName);
      if (!baseline) {
        baseline = await bundleBaseline(baselineName, clients, outDir, fn.runtime);
        baselines.set(baselineName, baseline);
      }
      built.push({ fn, subject, baseline });
    } catch (error) {
      skipped.push({ dialect: fn.id, stage: 'bundle and cold start', error: message(error) });
    }
  }
  const rows: BundleRow[] = built.map(({ fn, subject, baseline }) => {
    const owners = bytesByOwner(subject.metafile);
    const used = new Set<string>(
      fn.id === 'receipts' || fn.id === 'fallback' ? [] : DIALECT_CHANNELS[fn.id].map((c) => CHANNEL_SDK[c]),
    );
    return {
      dialect: fn.id,
      baselineClients: sdkClientPackages(baseline.metafile),
      bytes: subject.bytes,
      mapBytes: subject.mapBytes,
      linksMap: subject.linksMap,
      baselineBytes: baseline.bytes,
      top: owners.slice(0, 10),
      growth: growthOverBaseline(subject.metafile, baseline.metafile),
      unusedChannelSdks:
        fn.id === 'receipts' || fn.id === 'fallback'
          ? []
          : owners.filter(
              (o) => (Object.values(CHANNEL_SDK) as string[]).includes(o.owner) && !used.has(o.owner),
            ),
    };
  });
  return { rows, built };
};

/**
 * Cold start of each function as deployed (its environment, NODE_OPTIONS included) against its
 * exact-clients baseline under the same environment, interleaved; then both without NODE_OPTIONS,
 * to show what the runtime flags cost.
 */
const coldStarts = async (built: Built[], outDir: string): Promise<ColdRow[]> => {
  const probe = writeProbe(outDir);
  const rows: ColdRow[] = [];
  for (const { fn, subject, baseline } of built) {
    const nodeOptions = fn.environment.NODE_OPTIONS ?? '';
    step(
      `cold start: ${fn.id} (${SETTINGS.BENCH_COLD_RUNS} runs each side as deployed${nodeOptions ? `, ${SETTINGS.BENCH_SOURCEMAP_RUNS} without NODE_OPTIONS` : ''})`,
    );
    try {
      const deployed = await interleave(
        SETTINGS.BENCH_COLD_RUNS,
        async () => coldStart(probe, subject.file, fn.environment),
        async () => coldStart(probe, baseline.file, fn.environment),
      );
      const plain = nodeOptions
        ? await interleave(
            SETTINGS.BENCH_SOURCEMAP_RUNS,
            async () => coldStart(probe, subject.file, fn.environment, false),
            async () => coldStart(probe, baseline.file, fn.environment, false),
          )
        : undefined;
      const med = (runs: ColdStart[]) => ({
        toImported: median(runs.map((r) => r.toImported)),
        importOnly: median(runs.map((r) => r.importOnly)),
        wall: median(runs.map((r) => r.wall)),
      });
      rows.push({
        dialect: fn.id,
        runs: SETTINGS.BENCH_COLD_RUNS,
        nodeOptions,
        subject: med(deployed.subject),
        baseline: med(deployed.baseline),
        ...(plain
          ? {
              withoutFlags: {
                runs: SETTINGS.BENCH_SOURCEMAP_RUNS,
                subject: median(plain.subject.map((r) => r.toImported)),
                baseline: median(plain.baseline.map((r) => r.toImported)),
              },
            }
          : {}),
      });
    } catch (error) {
      skipped.push({ dialect: fn.id, stage: 'cold start', error: message(error) });
    }
  }
  return rows;
};

/** The raw floor of DESIGN §4: 3 items per generate, 2 per verify, never padded to the engine's count. */
const RAW_ITEMS = { generate: 3, verify: 2 } as const;

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
    // Warm-up: JIT, sockets, tenant cache, DynamoDB Local's table, and the validate path.
    await loadGenerate(server, { seconds: 2, connections, base: 90_000_000 });
    await loadValidate(server, { connections, codes: await codesFromOutbox(server) });
    await loadNotFound(server, { seconds: 1, connections });
    await clearOutbox(server);
    await server.takeStats();
    const notFound: LoadResult[] = [];
    const generate: LoadResult[] = [];
    const validate: LoadResult[] = [];
    let verified = 0;
    let codes = 0;
    /** A generate window, then the right code of every number it sent (from the outbox), each timed on its own. */
    const runPair = async (round: number) => {
      const generated = await loadGenerate(server, {
        seconds,
        connections,
        base: 60_000_000 + round * 1_000_000,
      });
      generate.push({ ...generated, transactions: await server.takeStats() });
      const sent = await codesFromOutbox(server);
      codes += sent.size;
      const checked = await loadValidate(server, { connections, codes: sent });
      const { verified: ok, ...checkedResult } = checked;
      verified += ok;
      validate.push({ ...checkedResult, transactions: await server.takeStats() });
      await clearOutbox(server);
    };
    const runNotFound = async () => {
      notFound.push(await loadNotFound(server, { seconds, connections }));
      await server.takeStats();
    };
    await interleave(SETTINGS.BENCH_LOAD_ROUNDS, runPair, runNotFound);
    step('load: generate with 1 connection');
    const single = await loadGenerate(server, { seconds, connections: 1, base: 50_000_000 });
    const generateSingle = { ...single, transactions: await server.takeStats() };
    return {
      notFound: combineRounds(notFound),
      generate: combineRounds(generate),
      validate: combineRounds(validate),
      codes,
      verified,
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
  step('synthesising the stack (functions, runtime, memory, environment)');
  const functions = deployedFunctions();
  const dialects = existingDialects().filter((d) => functions.some((f) => f.id === d));
  step(`functions the stack deploys: ${functions.map((f) => f.id).join(', ')}`);
  const outDir = mkdtempSync(path.join(os.tmpdir(), 'otp-bench-'));
  try {
    step("bundling (esbuild with the stack's BUNDLING)");
    const built = await bundles(functions, outDir);
    const probes = [];
    for (const p of PROBES) probes.push({ label: p.label, bytes: await probeBytes(p.source) });

    const cold = await coldStarts(built.built, outDir);

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
      counts = await perDialect('requests and units per operation', (dialect, base) =>
        countDynamoRequests(dynamo.endpoint, dialect, 10_000_000 + base),
      );
      latency = await perDialect(
        `warm latency (${SETTINGS.BENCH_WARMUP} + ${SETTINGS.BENCH_ITERATIONS} flows)`,
        (dialect, base) =>
          measureLatency(dynamo.endpoint, dialect, {
            warmup: SETTINGS.BENCH_WARMUP,
            iterations: SETTINGS.BENCH_ITERATIONS,
            base: 20_000_000 + base,
            rawItems: RAW_ITEMS,
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
      functions: functions.map((f) => ({
        id: f.id,
        entry: f.entry,
        runtime: f.runtime,
        architecture: f.architecture,
        memoryMb: f.memoryMb,
        nodeOptions: f.environment.NODE_OPTIONS ?? '',
      })),
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
    writeFileSync(RESULTS, `${JSON.stringify(benchResults(report), null, 2)}\n`);
    // In the repository's JSON style, so `biome ci` passes on the committed file.
    spawnSync(path.join(PROJECT_ROOT, 'node_modules', '.bin', 'biome'), ['format', '--write', RESULTS], {
      stdio: 'ignore',
    });
    step(
      `wrote ${path.relative(PROJECT_ROOT, DOC)} and ${path.relative(PROJECT_ROOT, RESULTS)} (${report.seconds.toFixed(0)} s)`,
    );
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
};

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
