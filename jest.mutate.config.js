/**
 * The jest configuration Stryker runs (`npm run mutate`, stryker.config.mjs): the `unit` and
 * `dynamodb` projects of jest.config.js flattened into one, because Stryker's jest runner puts
 * its coverage-per-test environment on the top-level config and does not reach into `projects`.
 * The end-to-end suites (child processes, servers, SAM), the CDK synth and the slow fuzzing are
 * left out: they test the wiring, not the engine, store, error mappers or HTTP auth being mutated.
 * DynamoDB Local is the one `npm run mutate` started (JEST_DYNAMODB_ENDPOINT, global-setup.ts).
 */
import { fileURLToPath } from 'node:url';
import config from './jest.config.js';

const [, , dynamodb] = config.projects;

export default {
  ...dynamodb,
  displayName: undefined,
  // The suites that exercise the mutated files; Stryker runs jest in band, so every suite here
  // is paid for in the first (coverage) run. Each mutant then runs only the tests that covered it.
  // MUTATE_TEST_MATCH (comma-separated globs) narrows them for a quick run of one file.
  testMatch: process.env.MUTATE_TEST_MATCH?.split(',').map((g) => `<rootDir>/${g}`) ?? [
    '<rootDir>/test/unit/dialects/**/*.test.ts',
    '<rootDir>/test/integration/engine/**/*.test.ts',
    '<rootDir>/test/integration/dialects/**/*.test.ts',
    '<rootDir>/test/integration/events/**/*.test.ts',
    '<rootDir>/test/security/{races,guessing,recipient-limits,number-policy,auth-abuse,credential-scope,refusal-logs,hot-items,token-lifetime}.test.ts',
  ],
  testTimeout: config.testTimeout,
  // Each mutant's run loads only the files holding the tests that covered it, quickest first, and
  // stops running tests at its first failure (the names and times come from the first run;
  // test/support/mutate-record.ts, mutate-sequencer.js, mutate-environment.cjs, mutate-runner.cjs).
  setupFilesAfterEnv: [...dynamodb.setupFilesAfterEnv, '<rootDir>/test/support/mutate-record.ts'],
  testSequencer: '<rootDir>/test/support/mutate-sequencer.js',
  runner: '<rootDir>/test/support/mutate-runner.cjs',
  // An absolute path: Stryker's jest runner requires the environment itself and knows no <rootDir>.
  testEnvironment: fileURLToPath(new URL('./test/support/mutate-environment.cjs', import.meta.url)),
};
