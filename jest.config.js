/**
 * Jest runs the TypeScript sources as native ES modules (`@middy/core` 5+ is ESM-only), so the
 * test script sets NODE_OPTIONS=--experimental-vm-modules. @swc/jest strips types only; `tsc`
 * type-checks separately in `npm run check`.
 *
 * Three projects, so that a run starts DynamoDB Local (and needs Java) only when it runs a suite
 * that talks to it; Jest runs a project's globalSetup only when at least one of its tests is
 * selected:
 *   unit      test/unit: pure code, no DynamoDB Local, no Java
 *   infra     test/infra: CDK synth and the esbuild bundle, no DynamoDB Local
 *   dynamodb  test/integration, test/security, test/e2e: one DynamoDB Local for the run
 * `npm run jest` runs all three; `npm run jest -- --selectProjects unit` (or `npm run test:unit`)
 * only the first.
 */
const swc = [
  '@swc/jest',
  {
    jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
    module: { type: 'es6' },
  },
];

/** What every project shares: the ESM + swc transform and the custom matchers. */
const base = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleFileExtensions: ['ts', 'js', 'mjs', 'cjs', 'json'],
  transform: { '^.+\\.ts$': swc },
  setupFilesAfterEnv: ['<rootDir>/test/support/setup-after-env.ts'],
  // Stryker's sandboxes (npm run mutate) hold a copy of the project: jest would crawl them and
  // warn of a second package.json named otp-service.
  modulePathIgnorePatterns: ['<rootDir>/.stryker-tmp'],
};

export default {
  projects: [
    { ...base, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
    { ...base, displayName: 'infra', testMatch: ['<rootDir>/test/infra/**/*.test.ts'] },
    {
      ...base,
      displayName: 'dynamodb',
      testMatch: ['<rootDir>/test/{integration,security,e2e}/**/*.test.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
    },
  ],
  testTimeout: 60_000,
  // Two workers for two cores: the tests wait on DynamoDB Local (its own JVM) and child
  // processes more than they compute, and they count requests, never milliseconds.
  maxWorkers: 2,
};
