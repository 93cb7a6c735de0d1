import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { DIALECTS, type DialectId, ROUTES } from '../../shared/routes';

/**
 * The docs promise curl for every endpoint of every dialect, checked answers, and a README that
 * links every page. `scripts/check-doc-curls.sh` runs those curls against a fresh `npm start`
 * (about a minute, so it is not part of `npm test`); this test keeps the pages from drifting
 * away from the route table in the meantime.
 */
const ROOT = process.cwd();
const read = (path: string): string => readFileSync(join(ROOT, path), 'utf8');

/** The ```sh blocks of a page that the checker runs (those holding a curl). */
const curlBlocks = (markdown: string): string[] =>
  [...markdown.matchAll(/^```sh\n([\s\S]*?)^```/gm)]
    .map((m) => m[1] ?? '')
    .filter((block) => /\bcurl /.test(block));

/** A route path as a pattern over the documented URLs: `{param}` matches one segment. */
const pathPattern = (path: string): RegExp =>
  new RegExp(
    `http://localhost:3000${path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/?"\' ]+')}(?=[?"' ]|$)`,
    'm',
  );

const PAGES = Object.keys(DIALECTS).map((dialect) => ({
  dialect: dialect as DialectId,
  page: `docs/dialects/${dialect}.md`,
}));

describe('docs/dialects', () => {
  describe.each(PAGES)('$page', ({ dialect, page }) => {
    const blocks = curlBlocks(read(page));

    it.each(ROUTES.filter((r) => r.dialect === dialect).map((r) => [r.method, r.path]))(
      'has a curl for %s %s',
      (method, path) => {
        const curls = blocks.join('\n');
        expect(curls).toMatch(pathPattern(path));
        if (method === 'PUT') expect(curls).toMatch(new RegExp(`-X PUT [^\\n]*${pathPattern(path).source}`));
      },
    );

    it('states the answer of every curl block (a "# →" line)', () => {
      expect(blocks.length).toBeGreaterThan(0);
      for (const block of blocks) expect(block).toMatch(/^# → /m);
    });

    it('cites nothing outside this repository (seed files, DESIGN sections)', () => {
      expect(read(page)).not.toMatch(/shared\/seeds|DESIGN|§/);
    });
  });
});

describe('README.md', () => {
  const readme = read('README.md');

  it.each(PAGES)('links $page', ({ page }) => {
    expect(readme).toContain(`](${page})`);
  });

  it('links docs/ARCHITECTURE.md', () => {
    expect(readme).toContain('](docs/ARCHITECTURE.md)');
  });
});
