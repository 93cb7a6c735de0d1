/**
 * Writes the per-file scores of Stryker's JSON report (reports/mutation/mutation.json) into
 * docs/MUTATION.md between the `stryker` markers, with the date and commit. A narrowed run
 * (`--mutate <file>`) replaces only the rows of the files it mutated. Run by scripts/mutate.ts
 * after Stryker; `tsx scripts/mutation-scores.ts` redoes it from the last report.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

type Status =
  | 'Killed'
  | 'Timeout'
  | 'Survived'
  | 'NoCoverage'
  | 'CompileError'
  | 'RuntimeError'
  | 'Ignored'
  | 'Pending';
interface Report {
  files: Record<string, { mutants: { status: Status }[] }>;
}

const root = path.resolve(import.meta.dirname, '..');
// The report folder of the run (MUTATE_RUN, stryker.config.mjs).
const reportDir = `reports/mutation${process.env.MUTATE_RUN ? `-${process.env.MUTATE_RUN}` : ''}`;
const report = JSON.parse(readFileSync(path.join(root, reportDir, 'mutation.json'), 'utf8')) as Report;
const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root }).toString().trim();
const day = new Date().toISOString().slice(0, 10);

const rowOf = (file: string, mutants: { status: Status }[]): string => {
  const count = (s: Status) => mutants.filter((m) => m.status === s).length;
  const detected = count('Killed') + count('Timeout');
  const valid = detected + count('Survived') + count('NoCoverage');
  const score = valid === 0 ? 'n/a' : `${((100 * detected) / valid).toFixed(1)} %`;
  return `| \`${file}\` | ${score} | ${count('Killed')} | ${count('Timeout')} | ${count('Survived')} | ${count('NoCoverage')} | ${count('CompileError')} | ${day} \`${commit}\` |`;
};

const doc = path.join(root, 'docs/MUTATION.md');
const text = readFileSync(doc, 'utf8');
const start = '<!-- stryker:start -->';
const end = '<!-- stryker:end -->';
const rows = new Map<string, string>();
for (const line of text.slice(text.indexOf(start), text.indexOf(end)).split('\n')) {
  const file = /^\| `([^`]+)` \|/.exec(line)?.[1];
  if (file) rows.set(file, line);
}
for (const [file, { mutants }] of Object.entries(report.files)) {
  const rel = path.isAbsolute(file) ? path.relative(root, file) : file;
  rows.set(rel, rowOf(rel, mutants));
}
const table = [
  'Score = (killed + timeout) / (killed + timeout + survived + no coverage); compile errors (mutants',
  'the TypeScript checker refused) are not counted. Static mutants are not run (`ignoreStatic`).',
  '',
  '| file | score | killed | timeout | survived | no coverage | compile error | measured |',
  '| --- | --- | --- | --- | --- | --- | --- | --- |',
  ...[...rows.keys()].sort().map((f) => rows.get(f)),
].join('\n');
writeFileSync(
  doc,
  `${text.slice(0, text.indexOf(start) + start.length)}\n${table}\n${text.slice(text.indexOf(end))}`,
);
console.log(table);
