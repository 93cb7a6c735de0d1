/**
 * `npx tsx scripts/cold-start.ts [dialect …]`: bundle bytes and cold start of each function as the
 * stack deploys it, against a bundle that only constructs the same SDK clients — the bundle and
 * cold-start part of `npm run bench` alone, to measure an import-cost change in a minute.
 *
 * Bundles with the stack's own esbuild options (lib/constructs/dialect-function.ts) and the
 * stack's default source-map setting; `SOURCE_MAPS=true` measures the `-c sourceMaps=true` deploy
 * (a linked map and `--enable-source-maps` on both sides). `COLD_RUNS` sets the runs per side.
 *
 * Besides the wall time of each child (spawn → exit, as bench/cold-start.ts measures it) it reports
 * the CPU time the child spent up to the same point (`process.cpuUsage()`, user + system): on a
 * shared machine with a high load the wall time mostly measures waiting for a core, while the CPU
 * time stays close to what the process itself needs.
 */
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { type BuildOptions, build } from 'esbuild';
import { baselineClients, baselineSource, existingDialects, stackBuildOptions } from '../bench/bundle';
import { coldStart } from '../bench/cold-start';
import { interleave, median } from '../bench/stats';
import { bundlingOptions, PROJECT_ROOT } from '../lib/constructs/dialect-function';
import { DIALECTS, type DialectId } from '../shared/routes';

const sourceMaps = process.env.SOURCE_MAPS === 'true';
const runs = Number(process.env.COLD_RUNS ?? 12);
const only = process.argv.slice(2) as DialectId[];
const dialects = existingDialects().filter((d) => only.length === 0 || only.includes(d));

const outDir = mkdtempSync(path.join(os.tmpdir(), 'otp-cold-start-'));

// What NodejsFunction emits for `sourceMap: true`: the file ends in a sourceMappingURL comment,
// which is what `--enable-source-maps` follows at load.
const overrides: Partial<BuildOptions> = bundlingOptions(sourceMaps).sourceMap
  ? { sourcemap: 'linked' }
  : { sourcemap: false };

/** Bundles `input` with the stack's options into `outDir/<name>.mjs`; returns its path and size. */
const bundle = async (name: string, input: Pick<BuildOptions, 'entryPoints' | 'stdin'>) => {
  const file = path.join(outDir, `${name}.mjs`);
  await build({ ...stackBuildOptions(), ...overrides, ...input, metafile: false, outfile: file });
  return { file, bytes: statSync(file).size };
};

/** bench/cold-start.ts's child, reporting CPU time (ms since process start) next to wall time. */
const PROBE = `const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const before = cpu();
const wall = performance.now();
await import(process.argv[2]);
process.stdout.write(JSON.stringify({ before, after: cpu(), wall: performance.now() - wall }));
`;

const kib = (bytes: number) => (bytes / 1024).toFixed(0);
try {
  const probe = path.join(outDir, 'cold-start-cpu-probe.mjs');
  writeFileSync(probe, PROBE);
  console.log(
    `source maps: ${sourceMaps ? 'on (linked map, --enable-source-maps)' : 'off'}; ${runs} runs per side, medians`,
  );
  console.log(
    'function        | bundle KiB | baseline KiB | bytes × | CPU ms to imported | baseline | cold × (CPU) | spawn→exit ms | baseline | ratio',
  );
  for (const dialect of dialects) {
    const clients = baselineClients(dialect);
    const subject = await bundle(dialect, {
      entryPoints: [path.join(PROJECT_ROOT, DIALECTS[dialect].entry)],
    });
    const baseline = await bundle(`baseline-${clients.length}`, {
      stdin: {
        contents: baselineSource(clients),
        resolveDir: PROJECT_ROOT,
        loader: 'js',
        sourcefile: 'baseline',
      },
    });
    const times = await interleave(
      runs,
      async () => coldStart(probe, subject.file, sourceMaps),
      async () => coldStart(probe, baseline.file, sourceMaps),
    );
    // toImported is the probe's `after`: CPU ms from process start to the import done.
    const s = median(times.subject.map((t) => t.toImported));
    const b = median(times.baseline.map((t) => t.toImported));
    const ws = median(times.subject.map((t) => t.wall));
    const wb = median(times.baseline.map((t) => t.wall));
    console.log(
      [
        dialect.padEnd(15),
        kib(subject.bytes).padStart(10),
        kib(baseline.bytes).padStart(12),
        (subject.bytes / baseline.bytes).toFixed(2).padStart(7),
        s.toFixed(1).padStart(18),
        b.toFixed(1).padStart(8),
        (s / b).toFixed(2).padStart(12),
        ws.toFixed(0).padStart(13),
        wb.toFixed(0).padStart(8),
        (ws / wb).toFixed(2).padStart(13),
      ].join(' | '),
    );
  }
} finally {
  rmSync(outDir, { recursive: true, force: true });
}
