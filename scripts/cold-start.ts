/**
 * `npx tsx scripts/cold-start.ts [dialect …]`: bundle bytes and cold start of each function as the
 * stack deploys it, against a bundle that only constructs the same SDK clients — the bundle and
 * cold-start part of `npm run bench` alone, to measure an import-cost change in a minute.
 *
 * Bundles with the stack's own esbuild options (lib/constructs/dialect-function.ts) and the
 * stack's default source-map setting; `SOURCE_MAPS=true` measures the `-c sourceMaps=true` deploy
 * (a linked map and `--enable-source-maps` on both sides). `COLD_RUNS` sets the runs per side.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { type BuildOptions, build } from 'esbuild';
import { baselineClients, baselineSource, existingDialects, stackBuildOptions } from '../bench/bundle';
import { coldStart, writeProbe } from '../bench/cold-start';
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

const kib = (bytes: number) => (bytes / 1024).toFixed(0);
try {
  const probe = writeProbe(outDir);
  console.log(
    `source maps: ${sourceMaps ? 'on (linked map, --enable-source-maps)' : 'off'}; ${runs} runs per side, medians`,
  );
  console.log('function        | bundle KiB | baseline KiB | bytes × | import ms | baseline ms | cold ×');
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
    const s = median(times.subject.map((t) => t.toImported));
    const b = median(times.baseline.map((t) => t.toImported));
    console.log(
      [
        dialect.padEnd(15),
        kib(subject.bytes).padStart(10),
        kib(baseline.bytes).padStart(12),
        (subject.bytes / baseline.bytes).toFixed(2).padStart(7),
        s.toFixed(1).padStart(9),
        b.toFixed(1).padStart(11),
        (s / b).toFixed(2).padStart(6),
      ].join(' | '),
    );
  }
} finally {
  rmSync(outDir, { recursive: true, force: true });
}
