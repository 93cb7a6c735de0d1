import { z } from 'zod';
import { costPerMillionPairs, PRICES } from './cost';
import { BUDGETS, ROUND_TRIP_BUDGETS } from './goals';
import type { LoadResult } from './load';
import { OPS, type OpCount, type RequestCountResult } from './ops';
import type { BenchReport, LatencyRow } from './report';
import type { Summary } from './stats';

/**
 * bench/results.json: every figure and ratio of a `npm run bench` run, in a stable shape a script
 * can check (schema below; `schemaVersion` changes when a field changes meaning or goes away).
 * Times are milliseconds, sizes bytes, money USD. A ratio is subject / baseline and is null when
 * the baseline was not measured; `meetsGoal` is null when the figure is missing.
 */
const ratio = z.number().nullable();
const verdict = z.boolean().nullable();
const latencyOp = z.object({
  n: z.number().int(),
  p50Ms: z.number(),
  p99Ms: z.number(),
  rawP50Ms: z.number(),
  rawP99Ms: z.number(),
  ratioP50: ratio,
  ratioP99: ratio,
  meetsGoal: verdict,
});
const opCount = z.object({
  /** Requests sent (before SDK retries). */
  requests: z.number().int(),
  /** Requests by command, `TransactWriteItems[n]` for a transaction of n items. */
  byCommand: z.record(z.string(), z.number().int()),
  /** Requests started while no other request of the operation was in flight. */
  roundTrips: z.number().int(),
  /** The round-trip goal of issue 10 point 2 where it has one, and whether it is met. */
  roundTripGoal: z.number().int().nullable(),
  meetsGoal: verdict,
  writeUnits: z.number(),
  readUnits: z.number(),
});
const item = z.object({
  op: z.enum(['generate', 'verify']),
  /** The item's key with its variable parts named (`T#<tenant>#TD#<shard> DAY#<day>`). */
  item: z.string(),
  action: z.string(),
  transactional: z.boolean(),
  bytes: z.number().int(),
  units: z.number(),
});
const pair = z.object({
  writeUnits: z.number(),
  readUnits: z.number(),
  goal: z.number(),
  meetsGoal: z.boolean(),
  items: z.array(item),
});
const money = z.number();
const load = z.object({
  rps: z.number(),
  p50Ms: z.number(),
  p99Ms: z.number(),
  total: z.number().int(),
  seconds: z.number(),
  non2xx: z.number().int(),
  errors: z.number().int(),
  statuses: z.record(z.string(), z.number().int()),
  transactions: z.number().int().nullable(),
  conflicts: z.number().int().nullable(),
});

export const resultsSchema = z.object({
  schemaVersion: z.literal(1),
  generatedAt: z.string(),
  command: z.string(),
  seconds: z.number(),
  machine: z.object({
    cpus: z.number().int(),
    cpuModel: z.string(),
    node: z.string(),
    os: z.string(),
    loadStart: z.array(z.number()),
    loadEnd: z.array(z.number()),
  }),
  settings: z.record(z.string(), z.number()),
  goals: z.object({
    bundleRatio: z.number(),
    coldInitRatio: z.number(),
    warmP50Ratio: z.number(),
    writeUnitsPerPair: z.number(),
    roundTrips: z.record(z.string(), z.number().int()),
  }),
  prices: z.object({
    region: z.string(),
    asOf: z.string(),
    dynamoWriteRequestUnit: money,
    dynamoReadRequestUnit: money,
    lambdaGbSecondArm64: money,
    lambdaGbSecondX86: money,
    lambdaRequest: money,
    apiGatewayRestRequest: money,
  }),
  functions: z.array(
    z.object({
      id: z.string(),
      entry: z.string(),
      runtime: z.string(),
      architecture: z.string(),
      memoryMb: z.number().int(),
      nodeOptions: z.string(),
      bundle: z
        .object({
          bytes: z.number().int(),
          mapBytes: z.number().int(),
          linksMap: z.boolean(),
          baselineBytes: z.number().int(),
          baselineClients: z.array(z.string()),
          ratio,
          meetsGoal: verdict,
        })
        .nullable(),
      coldStart: z
        .object({
          runs: z.number().int(),
          subjectMs: z.number(),
          baselineMs: z.number(),
          ratio,
          meetsGoal: verdict,
          importOnly: z.object({ subjectMs: z.number(), baselineMs: z.number(), ratio }),
          withoutNodeOptions: z
            .object({ runs: z.number().int(), subjectMs: z.number(), baselineMs: z.number(), ratio })
            .nullable(),
        })
        .nullable(),
    }),
  ),
  dialects: z.array(
    z.object({
      id: z.string(),
      latency: z
        .object({
          rawItems: z.object({ generate: z.number().int(), verify: z.number().int() }),
          generate: latencyOp,
          verify: latencyOp,
        })
        .nullable(),
      requests: z.record(z.enum(OPS), opCount).nullable(),
      /** Items every generate of the tenant writes (contended under concurrency). */
      sharedItems: z.array(z.string()).nullable(),
      writeUnitsPerPair: z
        .object({
          /** Generate + right code for a user the warm container has never seen. */
          newUser: pair,
          /** Generate + right code for a returning user (number verified before). */
          returningUser: pair,
        })
        .nullable(),
      costPerMillionPairs: z
        .object({
          dynamoWrite: money,
          dynamoRead: money,
          lambdaCompute: money,
          lambdaRequests: money,
          apiGateway: money,
          total: money,
          inputs: z.object({
            writeUnits: z.number(),
            readUnits: z.number(),
            generateMs: z.number(),
            verifyMs: z.number(),
            memoryMb: z.number().int(),
            architecture: z.string(),
          }),
        })
        .nullable(),
    }),
  ),
  load: z.union([
    z.object({
      connections: z.number().int(),
      notFound: load,
      generate: load,
      validate: load,
      generateSingle: load,
      codes: z.number().int(),
      verified: z.number().int(),
      generateToFloor: ratio,
      validateToFloor: ratio,
    }),
    z.object({ error: z.string() }),
  ]),
  conflicts: z.object({ attempts: z.number().int(), conflicts: z.number().int() }).nullable(),
  skipped: z.array(z.object({ id: z.string(), stage: z.string(), error: z.string() })),
});

export type BenchResults = z.infer<typeof resultsSchema>;

/** subject / baseline, null when either is not a positive finite number. */
const q = (subject: number, baseline: number): number | null =>
  Number.isFinite(subject) && Number.isFinite(baseline) && baseline > 0 ? subject / baseline : null;
const meets = (value: number | null, goal: number): boolean | null => (value === null ? null : value <= goal);
const ok = <T extends object>(row: T | { error: string } | undefined): T | undefined =>
  row && !('error' in row) ? (row as T) : undefined;

const latencyOf = (s: Summary, raw: Summary) => {
  const ratioP50 = q(s.p50, raw.p50);
  return {
    n: s.n,
    p50Ms: s.p50,
    p99Ms: s.p99,
    rawP50Ms: raw.p50,
    rawP99Ms: raw.p99,
    ratioP50,
    ratioP99: q(s.p99, raw.p99),
    meetsGoal: meets(ratioP50, BUDGETS.latencyP50),
  };
};

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

const opOf = (name: string, c: OpCount) => {
  const goal = (ROUND_TRIP_BUDGETS as Record<string, number>)[name] ?? null;
  return {
    requests: sum(Object.values(c.requests)),
    byCommand: c.requests,
    roundTrips: c.roundTrips,
    roundTripGoal: goal,
    meetsGoal: goal === null ? null : c.roundTrips <= goal,
    writeUnits: c.writeUnits,
    readUnits: c.readUnits,
  };
};

const pairOf = (generate: OpCount, verify: OpCount) => {
  const items = [
    ...generate.writes.map((w) => ({ op: 'generate' as const, w })),
    ...verify.writes.map((w) => ({ op: 'verify' as const, w })),
  ].map(({ op, w }) => ({
    op,
    item: w.key,
    action: w.action,
    transactional: w.transactional,
    bytes: w.bytes,
    units: w.units,
  }));
  const writeUnits = sum(items.map((i) => i.units));
  return {
    writeUnits,
    readUnits: generate.readUnits + verify.readUnits,
    goal: BUDGETS.writeUnitsPerPair,
    meetsGoal: writeUnits <= BUDGETS.writeUnitsPerPair,
    items,
  };
};

const loadOf = (l: LoadResult) => ({
  rps: l.rps,
  p50Ms: l.p50,
  p99Ms: l.p99,
  total: l.total,
  seconds: l.seconds,
  non2xx: l.non2xx,
  errors: l.errors,
  statuses: l.statuses,
  transactions: l.transactions?.attempts ?? null,
  conflicts: l.transactions?.conflicts ?? null,
});

/** The results of a run in the shape of `resultsSchema`. */
export const benchResults = (r: BenchReport): BenchResults => {
  const dialectIds = [...new Set([...r.counts, ...r.latency].map((row) => row.dialect))];
  const results: BenchResults = {
    schemaVersion: 1,
    generatedAt: r.date,
    command: r.command,
    seconds: r.seconds,
    machine: r.machine,
    settings: r.settings,
    goals: {
      bundleRatio: BUDGETS.bundleBytes,
      coldInitRatio: BUDGETS.coldInit,
      warmP50Ratio: BUDGETS.latencyP50,
      writeUnitsPerPair: BUDGETS.writeUnitsPerPair,
      roundTrips: { ...ROUND_TRIP_BUDGETS },
    },
    prices: { ...PRICES },
    functions: r.functions.map((f) => {
      const b = r.bundles.find((row) => row.dialect === f.id);
      const c = r.cold.find((row) => row.dialect === f.id);
      const bundleRatio = b ? q(b.bytes, b.baselineBytes) : null;
      const coldRatio = c ? q(c.subject.toImported, c.baseline.toImported) : null;
      return {
        ...f,
        bundle: b
          ? {
              bytes: b.bytes,
              mapBytes: b.mapBytes,
              linksMap: b.linksMap,
              baselineBytes: b.baselineBytes,
              baselineClients: b.baselineClients,
              ratio: bundleRatio,
              meetsGoal: meets(bundleRatio, BUDGETS.bundleBytes),
            }
          : null,
        coldStart: c
          ? {
              runs: c.runs,
              subjectMs: c.subject.toImported,
              baselineMs: c.baseline.toImported,
              ratio: coldRatio,
              meetsGoal: meets(coldRatio, BUDGETS.coldInit),
              importOnly: {
                subjectMs: c.subject.importOnly,
                baselineMs: c.baseline.importOnly,
                ratio: q(c.subject.importOnly, c.baseline.importOnly),
              },
              withoutNodeOptions: c.withoutFlags
                ? {
                    runs: c.withoutFlags.runs,
                    subjectMs: c.withoutFlags.subject,
                    baselineMs: c.withoutFlags.baseline,
                    ratio: q(c.withoutFlags.subject, c.withoutFlags.baseline),
                  }
                : null,
            }
          : null,
      };
    }),
    dialects: dialectIds.map((id) => {
      const l = ok<LatencyRow>(r.latency.find((row) => row.dialect === id));
      const c = ok<RequestCountResult>(r.counts.find((row) => row.dialect === id));
      const fn = r.functions.find((f) => f.id === id);
      const newUser = c ? pairOf(c.ops.newUserGenerate, c.ops.newUserVerify) : null;
      const cost =
        newUser && l && fn
          ? (() => {
              const inputs = {
                writeUnits: newUser.writeUnits,
                readUnits: newUser.readUnits,
                generateMs: l.generate.p50,
                verifyMs: l.verify.p50,
                memoryMb: fn.memoryMb,
                architecture: fn.architecture,
              };
              return { ...costPerMillionPairs(inputs), inputs };
            })()
          : null;
      return {
        id,
        latency: l
          ? {
              rawItems: l.rawItems,
              generate: latencyOf(l.generate, l.rawGenerate),
              verify: latencyOf(l.verify, l.rawVerify),
            }
          : null,
        requests: c
          ? (Object.fromEntries(OPS.map((op) => [op, opOf(op, c.ops[op])])) as Record<
              (typeof OPS)[number],
              ReturnType<typeof opOf>
            >)
          : null,
        sharedItems: c ? c.sharedItems : null,
        writeUnitsPerPair:
          c && newUser ? { newUser, returningUser: pairOf(c.ops.freshGenerate, c.ops.verifySuccess) } : null,
        costPerMillionPairs: cost,
      };
    }),
    load:
      'error' in r.load
        ? { error: r.load.error }
        : {
            connections: r.load.connections,
            notFound: loadOf(r.load.notFound),
            generate: loadOf(r.load.generate),
            validate: loadOf(r.load.validate),
            generateSingle: loadOf(r.load.generateSingle),
            codes: r.load.codes,
            verified: r.load.verified,
            generateToFloor: q(r.load.generate.rps, r.load.notFound.rps),
            validateToFloor: q(r.load.validate.rps, r.load.notFound.rps),
          },
    conflicts: r.conflicts ?? null,
    skipped: r.skipped.map((s) => ({ id: s.dialect, stage: s.stage, error: s.error })),
  };
  return results;
};
