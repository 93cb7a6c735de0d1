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
 * The environment of the Lambda container before the first invoke, without credentials: the
 * function's own variables as the stack deploys them (NODE_OPTIONS included, so a flag such as
 * `--enable-source-maps` costs what it costs in AWS), references replaced by placeholders, plus the
 * region. Importing a bundle must neither need credentials nor touch the network (deps are built
 * on the first invoke). `withFlags: false` leaves NODE_OPTIONS out, to show what the flags cost.
 */
const childEnv = (environment: Record<string, string>, withFlags: boolean): NodeJS.ProcessEnv => {
  const { NODE_OPTIONS, ...rest } = environment;
  return {
    PATH: process.env.PATH,
    AWS_REGION: 'us-east-1',
    ...rest,
    ...(withFlags && NODE_OPTIONS ? { NODE_OPTIONS } : {}),
  };
};

/** Starts a fresh `node` that imports `bundle` and reports its timings. Throws when the import fails. */
export const coldStart = (
  probe: string,
  bundle: string,
  environment: Record<string, string>,
  withFlags = true,
): ColdStart => {
  const started = process.hrtime.bigint();
  const child = spawnSync(process.execPath, [probe, pathToFileURL(bundle).href], {
    env: childEnv(environment, withFlags),
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
