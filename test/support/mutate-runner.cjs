/**
 * `npm run mutate` only (jest.mutate.config.js): jest's own runner, one test file at a time, that
 * stops starting files once the active mutant is killed (mutate-environment.cjs leaves the mark).
 * A killed mutant then costs only the files up to its first failure, not the loading of every
 * later file (Stryker's jest runner cannot ask jest to bail).
 */
const { existsSync } = require('node:fs');
const TestRunner = require('jest-runner').default;

class MutateRunner extends TestRunner {
  async runTests(tests, watcher, options) {
    const mutant = process.env.__STRYKER_ACTIVE_MUTANT__;
    const map = process.env.MUTATE_TEST_MAP;
    if (!options.serial || mutant === undefined || !map) return super.runTests(tests, watcher, options);
    for (const test of tests) {
      if (existsSync(`${map}.killed-${mutant}`)) return;
      await super.runTests([test], watcher, options);
    }
  }
}

module.exports = MutateRunner;
