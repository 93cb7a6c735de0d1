/**
 * `npm run mutate` only (jest.mutate.config.js). Stryker runs each mutant with a test name pattern
 * (the tests that covered it) over every file of the run; jest then loads every file, which costs
 * more than the tests. This sequencer keeps only the files that hold a test the pattern selects,
 * by the names mutate-record.ts wrote in the first run (matched as jest-circus does: unanchored,
 * case-insensitive), and runs the quickest first (a failure there fails the rest at once). With
 * no pattern, or no file it knows, it keeps them all.
 */
import { readFileSync } from 'node:fs';
import Sequencer from '@jest/test-sequencer';

export default class MutateSequencer extends Sequencer {
  #pattern;

  constructor(options) {
    super(options);
    this.#pattern = options.globalConfig.testNamePattern;
  }

  sort(tests) {
    const map = process.env.MUTATE_TEST_MAP;
    if (!this.#pattern || !map) return super.sort(tests);
    const pattern = new RegExp(this.#pattern, 'i');
    // Per file, the time its selected tests took in the first run.
    const cost = new Map();
    for (const line of readFileSync(map, 'utf8').split('\n')) {
      if (!line) continue;
      const [file, name, ms] = JSON.parse(line);
      if (pattern.test(name)) cost.set(file, (cost.get(file) ?? 0) + ms);
    }
    const kept = tests.filter((t) => cost.has(t.path));
    if (kept.length === 0) return super.sort(tests);
    return kept.sort((a, b) => cost.get(a.path) - cost.get(b.path));
  }
}
