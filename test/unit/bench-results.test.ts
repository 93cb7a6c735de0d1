import { describe, expect, it } from '@jest/globals';
import { SourceMapMode } from 'aws-cdk-lib/aws-lambda-nodejs';
import { stackBuildOptions } from '../../bench/bundle';
import { costPerMillionPairs, type PairUsage, PRICES } from '../../bench/cost';
import { OPS, type OpCount, type RequestCountResult } from '../../bench/ops';
import type { BenchReport } from '../../bench/report';
import { renderTables } from '../../bench/report';
import { itemBytes, itemPattern } from '../../bench/request-log';
import { benchResults, resultsSchema } from '../../bench/results';
import { BUNDLING } from '../../lib/constructs/dialect-function';

const summary = (p50: number, p99 = p50 * 2) => ({ n: 300, p50, p99 });
const load = (name: string, rps: number) => ({
  name,
  rps,
  p50: 10,
  p99: 40,
  total: rps * 5,
  seconds: 5,
  non2xx: 0,
  errors: 0,
  statuses: { '200': rps * 5 },
  transactions: { attempts: rps * 5, conflicts: 0 },
});

/** An operation that wrote the given transactional items (2 units each) and one standard write. */
const op = (items: string[], roundTrips = 1): OpCount => ({
  requests: { [`TransactWriteItems[${items.length}]`]: 1 },
  roundTrips,
  writeUnits: items.length * 2,
  readUnits: 0.5,
  writes: items.map((key) => ({ key, action: 'Update', transactional: true, bytes: 90, units: 2 })),
  reads: [{ label: 'GetItem', bytes: 300, units: 0.5 }],
});

const counts: RequestCountResult = {
  dialect: 'capillary-v2',
  ops: Object.fromEntries(OPS.map((name) => [name, op(['T#<tenant>#TD#<shard> DAY#<day>', 'CH'])])) as Record<
    (typeof OPS)[number],
    OpCount
  >,
  sharedItems: ['T#<tenant>#TD#<shard> DAY#<day>'],
};

/** A report as `npm run bench` assembles it, with one dialect measured and one that failed. */
const report = (): BenchReport => ({
  date: '2026-12-05T06:00:00Z',
  machine: {
    cpus: 2,
    cpuModel: 'test',
    node: 'v24.0.0',
    os: 'Linux',
    loadStart: [1, 1, 1],
    loadEnd: [1, 1, 1],
  },
  command: 'npm run bench',
  settings: { BENCH_COLD_RUNS: 12 },
  functions: [
    {
      id: 'capillary-v2',
      entry: 'functions/capillary-v2.ts',
      runtime: 'nodejs24.x',
      architecture: 'arm64',
      memoryMb: 512,
      nodeOptions: '--enable-source-maps',
    },
    {
      id: 'receipts',
      entry: 'functions/receipts.ts',
      runtime: 'nodejs24.x',
      architecture: 'arm64',
      memoryMb: 256,
      nodeOptions: '',
    },
  ],
  bundles: [
    {
      dialect: 'capillary-v2',
      baselineClients: ['@aws-sdk/client-dynamodb'],
      bytes: 1200,
      mapBytes: 2000,
      linksMap: true,
      baselineBytes: 1000,
      top: [],
      growth: [{ owner: 'zod', bytes: 200 }],
      unusedChannelSdks: [],
    },
  ],
  probes: [],
  cold: [
    {
      dialect: 'capillary-v2',
      runs: 12,
      nodeOptions: '--enable-source-maps',
      subject: { toImported: 150, importOnly: 100, wall: 200 },
      baseline: { toImported: 100, importOnly: 50, wall: 150 },
      withoutFlags: { runs: 10, subject: 130, baseline: 95 },
    },
  ],
  latency: [
    {
      dialect: 'capillary-v2',
      rawItems: { generate: 3, verify: 2 },
      generate: summary(12),
      verify: summary(10),
      rawGenerate: summary(10),
      rawVerify: summary(0),
      rawSingleUpdate: summary(4),
    },
    { dialect: 'loginradius', error: 'did not build' },
  ],
  inProcess: [],
  counts: [counts, { dialect: 'loginradius', error: 'did not build' }],
  conflicts: { attempts: 100, conflicts: 0 },
  load: {
    notFound: load('404', 1000),
    generate: load('generate', 100),
    validate: load('validate', 120),
    codes: 500,
    verified: 500,
    generateSingle: load('generate', 30),
    connections: 10,
  },
  skipped: [],
  seconds: 200,
});

describe('bench/results.json', () => {
  it('the results of a report match the documented schema, also after a JSON round trip', () => {
    const results = benchResults(report());
    expect(resultsSchema.safeParse(results).error).toBeUndefined();
    const written = JSON.parse(JSON.stringify(results)) as unknown;
    expect(resultsSchema.safeParse(written).error).toBeUndefined();
  });

  it('carries every ratio against its goal, null where the baseline is missing', () => {
    const results = resultsSchema.parse(benchResults(report()));
    const fn = results.functions.find((f) => f.id === 'capillary-v2');
    expect(fn?.bundle).toMatchObject({ ratio: 1.2, meetsGoal: true, linksMap: true });
    expect(fn?.coldStart).toMatchObject({ ratio: 1.5, meetsGoal: false });
    expect(fn?.coldStart?.withoutNodeOptions?.subjectMs).toBe(130);
    expect(results.functions.find((f) => f.id === 'receipts')).toMatchObject({
      bundle: null,
      coldStart: null,
    });
    const dialect = results.dialects.find((d) => d.id === 'capillary-v2');
    expect(dialect?.latency?.generate).toMatchObject({ ratioP50: 1.2, meetsGoal: true });
    // A zero baseline cannot pass a goal.
    expect(dialect?.latency?.verify).toMatchObject({ ratioP50: null, meetsGoal: null });
    expect(dialect?.requests?.freshGenerate).toMatchObject({
      requests: 1,
      roundTrips: 1,
      roundTripGoal: 1,
      meetsGoal: true,
    });
    expect(dialect?.requests?.coldGenerate.roundTripGoal).toBeNull();
    expect(results.dialects.find((d) => d.id === 'loginradius')).toMatchObject({
      latency: null,
      requests: null,
    });
    expect(results.load).toMatchObject({ generateToFloor: 0.1, validateToFloor: 0.12, verified: 500 });
  });

  it('adds the pair write units up item by item and prices them', () => {
    const results = resultsSchema.parse(benchResults(report()));
    const dialect = results.dialects.find((d) => d.id === 'capillary-v2');
    const pair = dialect?.writeUnitsPerPair?.newUser;
    expect(pair?.items.map((i) => [i.op, i.units])).toEqual([
      ['generate', 2],
      ['generate', 2],
      ['verify', 2],
      ['verify', 2],
    ]);
    expect(pair).toMatchObject({ writeUnits: 8, readUnits: 1, goal: 12, meetsGoal: true });
    const cost = dialect?.costPerMillionPairs;
    expect(cost?.inputs).toEqual({
      writeUnits: 8,
      readUnits: 1,
      generateMs: 12,
      verifyMs: 10,
      memoryMb: 512,
      architecture: 'arm64',
    });
    // 8 WRU and 1 RRU, 22 ms at 0.5 GB, 2 Lambda and 2 API Gateway requests, per million pairs.
    expect(cost?.total).toBeCloseTo(8 * 0.625 + 0.125 + 0.5 * 0.022 * 13.3334 + 0.4 + 7, 6);
    expect(cost?.total).toBeCloseTo(costPerMillionPairs(cost?.inputs as PairUsage).total, 9);
    expect(results.prices.region).toBe(PRICES.region);
  });

  it('renders a table for every section from the same report', () => {
    const tables = renderTables(report());
    for (const heading of ['### 1.', '### 2.', '### 3.', '### 4.', '### 4b.', '### 5.', '### 6.'])
      expect(tables).toContain(heading);
    expect(tables).toContain('loginradius | not measured: did not build');
  });
});

describe('bench helpers for honest bundles and units', () => {
  it("maps the stack's source map as NodejsFunction does: a bare sourceMap is a linked map", () => {
    expect(
      stackBuildOptions('nodejs24.x', { ...BUNDLING, sourceMap: true, sourceMapMode: undefined }).sourcemap,
    ).toBe('linked');
    expect(
      stackBuildOptions('nodejs24.x', { ...BUNDLING, sourceMap: true, sourceMapMode: SourceMapMode.EXTERNAL })
        .sourcemap,
    ).toBe('external');
    expect(stackBuildOptions('nodejs24.x', { ...BUNDLING, sourceMap: false }).sourcemap).toBe(false);
    expect(stackBuildOptions('nodejs24.x', { ...BUNDLING, target: undefined }).target).toBe('node24');
  });

  it('refuses a bundling option it does not reproduce rather than bundle something else', () => {
    expect(() => stackBuildOptions('nodejs24.x', { ...BUNDLING, charset: 'utf8' as never })).toThrow(
      /charset/,
    );
  });

  it('sizes items as DynamoDB bills them and names the variable parts of keys', () => {
    expect(itemBytes({ pk: { S: 'abc' }, n: { N: '12345' }, ok: { BOOL: true } })).toBe(
      2 + 3 + 1 + 4 + 2 + 1,
    );
    expect(itemBytes({ l: { L: [{ S: 'ab' }] } })).toBe(1 + 3 + 1 + 2);
    expect(itemPattern('T#<tenant>#R#mp4l1pSqJTOp_B0SuyuIPMjqLu2_XfnY WINDOW')).toBe(
      'T#<tenant>#R#<hash> WINDOW',
    );
    expect(itemPattern('T#<tenant>#TD#12 DAY#<day>')).toBe('T#<tenant>#TD#<shard> DAY#<day>');
  });
});
