import { appendFileSync, existsSync } from 'node:fs';
import { afterEach, beforeAll, beforeEach, expect } from '@jest/globals';

/**
 * `npm run mutate` only (jest.mutate.config.js).
 *
 * In Stryker's first run (no mutant active) every test that ran is written to MUTATE_TEST_MAP as
 * `[file, full name, ms]`, so that mutate-sequencer.js can give each mutant's jest run only the
 * files holding the tests that covered the mutant, fastest first (Stryker's jest runner narrows by
 * test name alone, which still loads every test file of the run).
 *
 * In a mutant's run, the first failing test kills the mutant (mutate-environment.cjs leaves a
 * mark); every later test of the run then fails at once instead of running, which is the bail
 * Stryker cannot ask of jest.
 */
const map = process.env.MUTATE_TEST_MAP;
const mutant = process.env.__STRYKER_ACTIVE_MUTANT__;
if (map && mutant === undefined) {
  let started = 0;
  beforeEach(() => {
    started = performance.now();
  });
  afterEach(() => {
    const { testPath, currentTestName } = expect.getState();
    appendFileSync(
      map,
      `${JSON.stringify([testPath, currentTestName, Math.round(performance.now() - started)])}\n`,
    );
  });
} else if (map) {
  const killed = `${map}.killed-${mutant}`;
  const bail = () => {
    if (existsSync(killed)) throw new Error(`mutant ${mutant} is already killed`);
  };
  beforeAll(bail);
  beforeEach(bail);
}
