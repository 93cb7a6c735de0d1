/**
 * `npm run mutate` only (jest.mutate.config.js): the node environment, plus a mark on disk when a
 * test or hook fails while a mutant is active, so that mutate-record.ts fails the run's later tests
 * at once (the mutant is already killed; jest's own bail cannot be set through Stryker).
 */
const { writeFileSync } = require('node:fs');
const { TestEnvironment } = require('jest-environment-node');

class MutateEnvironment extends TestEnvironment {
  async handleTestEvent(event) {
    const mutant = process.env.__STRYKER_ACTIVE_MUTANT__;
    const map = process.env.MUTATE_TEST_MAP;
    if (map && mutant !== undefined && (event.name === 'test_fn_failure' || event.name === 'hook_failure')) {
      writeFileSync(`${map}.killed-${mutant}`, '');
    }
  }
}

module.exports = MutateEnvironment;
