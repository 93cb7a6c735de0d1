/**
 * `npm run mutate [-- stryker options]`: starts one DynamoDB Local, runs Stryker with its
 * endpoint in JEST_DYNAMODB_ENDPOINT (every mutant's jest run uses it; test/support/global-setup.ts),
 * stops it afterwards, and writes the per-file scores into docs/MUTATION.md (mutation-scores.ts). MUTATE_CONCURRENCY sets Stryker's workers (default 2, one per core).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { freePort, startDynamoLocal } from '../local/dynamo-local';

// Which file holds which test, written by the first run (test/support/mutate-record.ts) and read
// for every mutant's run (test/support/mutate-sequencer.js).
const reportDir = path.resolve(
  `reports/mutation${process.env.MUTATE_RUN ? `-${process.env.MUTATE_RUN}` : ''}`,
);
mkdirSync(reportDir, { recursive: true });
const testMap = path.join(reportDir, 'tests.jsonl');
// …and the marks of mutants killed in an earlier run (test/support/mutate-environment.cjs).
for (const f of readdirSync(reportDir)) if (f.startsWith('tests.jsonl')) rmSync(path.join(reportDir, f));
const dynamo = await startDynamoLocal(await freePort());
console.log(`DynamoDB Local for every mutant: ${dynamo.endpoint}`);
const code = await new Promise<number>((resolve) => {
  const child = spawn('npx', ['stryker', 'run', ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, JEST_DYNAMODB_ENDPOINT: dynamo.endpoint, MUTATE_TEST_MAP: testMap },
  });
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  process.once('SIGINT', forward);
  process.once('SIGTERM', forward);
  child.once('exit', (status) => resolve(status ?? 1));
});
await dynamo.stop();
// The scores go into docs/MUTATION.md (only the files this run mutated).
if (code === 0) await import('./mutation-scores');
process.exit(code);
