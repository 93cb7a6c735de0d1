/**
 * Jest runs the TypeScript sources as native ES modules (`@middy/core` 5+ is ESM-only), so the
 * test script sets NODE_OPTIONS=--experimental-vm-modules. @swc/jest strips types only; `tsc`
 * type-checks separately in `npm run check`.
 */
const swc = [
  '@swc/jest',
  {
    jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
    module: { type: 'es6' },
  },
];

export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleFileExtensions: ['ts', 'js', 'mjs', 'cjs', 'json'],
  transform: { '^.+\\.ts$': swc },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  setupFilesAfterEnv: ['<rootDir>/test/support/setup-after-env.ts'],
  testTimeout: 60_000,
  maxWorkers: 2,
};
