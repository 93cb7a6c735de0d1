import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * The child that measures one cold start. `performance.now()` counts from the process's time
 * origin (its start), so the value after the import is "process start → module loaded"; the
 * difference around the import is the module's own load and evaluation.
 */
const PROBE = `const before = performance.now();
await import(process.argv[2]);
const after = performance.now();
process.stdout.write(JSON.stringify({ before, after }));
`;

/** Writes the probe script into `dir` and returns its path. */
export const writeProbe = (dir: string): string => {
  const file = path.join(dir, 'cold-start-probe.mjs');
  writeFileSync(file, PROBE);
  return file;
};

export interface ColdStart {
  /** Process start → import done, measured inside the child (ms). */
  toImported: number;
  /** The import alone: load, parse and evaluate the bundle (ms). */
  importOnly: number;
  /** spawn → exit as the parent sees it (ms), including Node's own boot and teardown. */
  wall: number;
}

/**
 * The environment of a Lambda container before the first invoke, without credentials: importing
 * a bundle must neither need them nor touch the network (deps are built on the first invoke).
 */
const childEnv = (sourceMaps: boolean): NodeJS.ProcessEnv => ({
  PATH: process.env.PATH,
  AWS_REGION: 'us-east-1',
  TABLE_NAME: 'otp-bench',
  OTP_PEPPER: 'bench-pepper-0123456789abcdef',
  // The stack sets this on every function (lib/constructs/dialect-function.ts).
  ...(sourceMaps ? { NODE_OPTIONS: '--enable-source-maps' } : {}),
});

/** Starts a fresh `node` that imports `bundle` and reports its timings. Throws when the import fails. */
export const coldStart = (probe: string, bundle: string, sourceMaps = false): ColdStart => {
  const started = process.hrtime.bigint();
  const child = spawnSync(process.execPath, [probe, pathToFileURL(bundle).href], {
    env: childEnv(sourceMaps),
    encoding: 'utf8',
    timeout: 60_000,
  });
  const wall = Number(process.hrtime.bigint() - started) / 1e6;
  if (child.status !== 0) {
    throw new Error(
      `importing ${path.basename(bundle)} failed (exit ${child.status}): ${child.stderr.slice(0, 2000)}`,
    );
  }
  const { before, after } = JSON.parse(child.stdout) as { before: number; after: number };
  return { toImported: after, importOnly: after - before, wall };
};
