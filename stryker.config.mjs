/**
 * Mutation testing of the engine, the store, the dialects' error mappers and the HTTP auth code
 * (issue 17; docs/MUTATION.md has the scores and the survivors). Run it with `npm run mutate`
 * (scripts/mutate.ts): it starts ONE DynamoDB Local for every mutant's jest run and hands its
 * endpoint down in JEST_DYNAMODB_ENDPOINT. Narrow it with `npm run mutate -- --mutate
 * shared/engine/verify.ts`. Not part of `npm test`.
 *
 * Each mutant runs only the tests that covered it in the first, instrumented run
 * (`coverageAnalysis: 'perTest'`); static mutants (module-level constants, which every test
 * covers) are skipped (`ignoreStatic`). The DynamoDB condition and update expressions are strings
 * Stryker can only blank whole: scripts/condition-mutations.ts mutates inside them.
 */
const concurrency = Number(process.env.MUTATE_CONCURRENCY ?? 2);
// MUTATE_RUN names a run's own report folder and sandbox, so two narrowed runs (say one store
// file each) can go side by side in one checkout (scripts/mutation-scores.ts reads the same name).
const run = process.env.MUTATE_RUN ? `-${process.env.MUTATE_RUN}` : '';
const reportDir = `reports/mutation${run}`;

export default {
  packageManager: 'npm',
  testRunner: 'jest',
  testRunnerNodeArgs: ['--experimental-vm-modules', '--no-warnings'],
  jest: { projectType: 'custom', configFile: 'jest.mutate.config.js', enableFindRelatedTests: false },
  coverageAnalysis: 'perTest',
  ignoreStatic: true,
  // The TypeScript checker drops mutants that do not compile (swc would run them anyway); it costs
  // a process and minutes of start-up, so MUTATE_CHECK=0 leaves it out on a loaded machine.
  checkers: process.env.MUTATE_CHECK === '0' ? [] : ['typescript'],
  tsconfigFile: 'tsconfig.json',
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  mutate: [
    'shared/engine/**/*.ts',
    'shared/store/**/*.ts',
    'shared/dialects/*/errors.ts',
    'shared/http/auth.ts',
    'shared/dialects/loginradius/auth.ts',
    'shared/dialects/summitai/credentials.ts',
    // Types only.
    '!shared/engine/types.ts',
    '!shared/engine/index.ts',
    '!shared/engine/scheduler.ts',
  ],
  ignorePatterns: ['cdk.out', '.local', 'dist', '.bench', 'reports', 'coverage', '.stryker-tmp*'],
  concurrency,
  // A jest run under --experimental-vm-modules leaves its module graph behind (about 60 MB a
  // run): a worker is replaced after this many mutants, before memory and GC slow it down.
  maxTestRunnerReuse: Number(process.env.MUTATE_REUSE ?? 15),
  dryRunTimeoutMinutes: 30,
  timeoutMS: 20_000,
  timeoutFactor: 2,
  reporters: ['clear-text', 'progress-append-only', 'html', 'json'],
  htmlReporter: { fileName: `${reportDir}/mutation.html` },
  jsonReporter: { fileName: `${reportDir}/mutation.json` },
  incremental: process.env.MUTATE_INCREMENTAL === '1',
  incrementalFile: `${reportDir}/stryker-incremental.json`,
  tempDirName: `.stryker-tmp${run}`,
  cleanTempDir: 'always',
  thresholds: { high: 90, low: 80, break: null },
};
