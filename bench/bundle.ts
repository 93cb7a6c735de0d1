import { existsSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import type { BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';
import { type BuildOptions, build, type Metafile } from 'esbuild';
import { BUNDLING, PROJECT_ROOT } from '../lib/constructs/dialect-function';
import { DIALECTS, type DialectId } from '../shared/routes';
import type { DeployedFunction } from './stack';

/**
 * The BundlingOptions fields this module turns into esbuild options the way NodejsFunction does
 * (aws-cdk-lib/aws-lambda-nodejs/lib/bundling.js `buildEsbuildArgs`). A field outside this list
 * makes the benchmark stop rather than bundle something the stack does not deploy.
 */
const MAPPED = new Set<keyof BundlingOptions>([
  'format',
  'target',
  'minify',
  'sourceMap',
  'sourceMapMode',
  'sourcesContent',
  'externalModules',
  'bundleAwsSDK',
  'mainFields',
  'banner',
  'footer',
  'define',
  'loader',
  'keepNames',
  'inject',
  'logLevel',
  'metafile',
]);

/** NodejsFunction's `--sourcemap` flag: bare (`linked`, with a `sourceMappingURL` comment) unless a mode is named. */
const sourcemapOf = (b: BundlingOptions): BuildOptions['sourcemap'] => {
  const enabled = b.sourceMapMode ?? b.sourceMap;
  if (!enabled) return false;
  const mode = String(b.sourceMapMode ?? 'default');
  return mode === 'default' ? 'linked' : (mode as 'external' | 'inline' | 'both');
};

/**
 * esbuild options equal to what NodejsFunction runs for the stack's BUNDLING (imported from
 * lib/constructs/dialect-function.ts, never copied): the same target (BUNDLING's, else the
 * runtime's `nodeXX`), format, minify, source-map mode (a bare `sourceMap: true` is esbuild's
 * `linked`: a `.map` file and the comment that makes `--enable-source-maps` load it), sources
 * content, externals, main fields, banner/footer, define, loader, keep-names and inject.
 */
export const stackBuildOptions = (runtime = 'nodejs24.x', b: BundlingOptions = BUNDLING): BuildOptions => {
  const unmapped = (Object.keys(b) as Array<keyof BundlingOptions>).filter(
    (k) => b[k] !== undefined && !MAPPED.has(k),
  );
  if (unmapped.length > 0)
    throw new Error(`bench/bundle.ts does not reproduce BundlingOptions ${unmapped.join(', ')} yet`);
  const defaultExternals = b.bundleAwsSDK ? [] : ['@aws-sdk/*'];
  return {
    bundle: true,
    platform: 'node',
    target: b.target ?? runtime.replace(/^nodejs(\d+).*$/, 'node$1'),
    ...(b.format ? { format: String(b.format) === 'esm' ? 'esm' : 'cjs' } : {}),
    minify: b.minify ?? false,
    sourcemap: sourcemapOf(b),
    sourcesContent: b.sourcesContent ?? true,
    external: b.externalModules ?? defaultExternals,
    ...(b.loader ? { loader: b.loader as BuildOptions['loader'] } : {}),
    ...(b.define ? { define: b.define } : {}),
    ...(b.keepNames ? { keepNames: true } : {}),
    ...(b.banner ? { banner: { js: b.banner } } : {}),
    ...(b.footer ? { footer: { js: b.footer } } : {}),
    ...(b.mainFields ? { mainFields: b.mainFields } : {}),
    ...(b.inject ? { inject: b.inject } : {}),
    metafile: true,
    logLevel: 'silent',
    absWorkingDir: PROJECT_ROOT,
  };
};

/** NodejsFunction's output file name: `index.mjs` for ESM, else `index.js`. */
const outName = () => (String(BUNDLING.format) === 'esm' ? 'index.mjs' : 'index.js');

export interface Bundle {
  /** Path of the bundle (`<outDir>/<name>/index.mjs`, as in the CDK asset). */
  file: string;
  bytes: number;
  /** Bytes of the source map (what `--enable-source-maps` reads at load when the bundle links it). */
  mapBytes: number;
  /** Whether the bundle names its map (`//# sourceMappingURL=`), as a linked map does. */
  linksMap: boolean;
  metafile: Metafile;
}

const finish = (file: string, metafile: Metafile | undefined): Bundle => {
  if (!metafile) throw new Error(`esbuild returned no metafile for ${file}`);
  const map = `${file}.map`;
  const tail = readFileSync(file, 'utf8').slice(-300);
  return {
    file,
    bytes: statSync(file).size,
    mapBytes: existsSync(map) ? statSync(map).size : 0,
    linksMap: /\/\/# sourceMappingURL=/.test(tail),
    metafile,
  };
};

/** Bundles a deployed function's entry as the stack does, into `outDir/<id>/index.mjs`. */
export const bundleFunction = async (fn: DeployedFunction, outDir: string): Promise<Bundle> => {
  const file = path.join(outDir, fn.id, outName());
  const result = await build({
    ...stackBuildOptions(fn.runtime),
    entryPoints: [path.join(PROJECT_ROOT, fn.entry)],
    outfile: file,
  });
  return finish(file, result.metafile);
};

/** The AWS SDK client packages (`@aws-sdk/client-*`) a bundle contains, from its metafile. */
export const sdkClientPackages = (metafile: Metafile): string[] => {
  const packages = new Set<string>();
  for (const input of Object.keys(metafile.inputs)) {
    const match = /node_modules\/(@aws-sdk\/client-[a-z0-9-]+)\//.exec(input);
    if (match?.[1]) packages.add(match[1]);
  }
  return [...packages].sort();
};

/** A client a baseline constructs: its package and the client class it exports. */
export interface SdkClient {
  pkg: string;
  name: string;
}

/** The service client class of an SDK package (`DynamoDBClient` of `@aws-sdk/client-dynamodb`). */
export const clientOf = async (pkg: string): Promise<SdkClient> => {
  const module = (await import(pkg)) as Record<string, unknown>;
  const names = Object.keys(module).filter((k) => /^[A-Z][A-Za-z0-9]*Client$/.test(k) && k !== '__Client');
  const name = names.find(
    (k) => typeof module[k] === 'function' && 'send' in (module[k] as { prototype: object }).prototype,
  );
  if (!name) throw new Error(`${pkg} exports no client class`);
  return { pkg, name };
};

/** A module that constructs the given clients at load and does nothing else. */
export const baselineSource = (clients: readonly SdkClient[]): string =>
  [
    ...clients.map((c) => `import { ${c.name} } from '${c.pkg}';`),
    `export const clients = [${clients.map((c) => `new ${c.name}({})`).join(', ')}];`,
    'export const handler = async () => ({ statusCode: 200, body: String(clients.length) });',
  ].join('\n');

/** Bundles a baseline that only constructs `clients`, with the stack's options, into `outDir/<name>/index.mjs`. */
export const bundleBaseline = async (
  name: string,
  clients: readonly SdkClient[],
  outDir: string,
  runtime: string,
): Promise<Bundle> => {
  const file = path.join(outDir, name, outName());
  const result = await build({
    ...stackBuildOptions(runtime),
    stdin: {
      contents: baselineSource(clients),
      resolveDir: PROJECT_ROOT,
      loader: 'js',
      sourcefile: `${name}.js`,
    },
    outfile: file,
  });
  return finish(file, result.metafile);
};

/** Bytes of a one-file module bundled with the stack's options (for "what if" comparisons). */
export const probeBytes = async (source: string): Promise<number> => {
  const result = await build({
    ...stackBuildOptions(),
    sourcemap: false,
    metafile: false,
    write: false,
    stdin: { contents: source, resolveDir: PROJECT_ROOT, loader: 'js', sourcefile: 'probe.js' },
    outfile: 'probe.mjs',
  });
  return result.outputFiles?.[0]?.contents.byteLength ?? 0;
};

/** The zod features the code uses, to compare import styles on equal work. */
const ZOD_USE = `export const s = z.object({
  a: z.string().max(3).optional(),
  b: z.enum(['X', 'Y']),
  c: z.union([z.string(), z.number().int()]),
  d: z.preprocess((v) => v, z.string()),
  e: z.email(),
  f: z.url(),
  g: z.coerce.number().int().min(0),
  h: z.array(z.object({ k: z.string() })).max(3),
  i: z.record(z.string(), z.string()),
}).refine(() => true);`;

const PHONE_USE = 'export const p = (s) => parsePhoneNumberFromString(s)?.isValid();';

/** Alternatives the report measures next to the real bundles. */
export const PROBES: Array<{ label: string; source: string }> = [
  {
    label: "zod as the code imports it (`import { z } from 'zod'`)",
    source: `import { z } from 'zod';\n${ZOD_USE}`,
  },
  {
    label: "zod as a namespace import (`import * as z from 'zod'`)",
    source: `import * as z from 'zod';\n${ZOD_USE}`,
  },
  {
    label: "zod/mini (`import * as z from 'zod/mini'`, functional API)",
    source: `import * as z from 'zod/mini';\nexport const s = z.object({ a: z.optional(z.string()), b: z.enum(['X', 'Y']), e: z.email() });`,
  },
  {
    label: 'libphonenumber-js/max as the code imports it',
    source: `import { parsePhoneNumberFromString } from 'libphonenumber-js/max';\n${PHONE_USE}`,
  },
  {
    label: 'libphonenumber-js/mobile (mobile-number metadata only)',
    source: `import { parsePhoneNumberFromString } from 'libphonenumber-js/mobile';\n${PHONE_USE}`,
  },
  {
    label: 'libphonenumber-js/min (length-only validation)',
    source: `import { parsePhoneNumberFromString } from 'libphonenumber-js/min';\n${PHONE_USE}`,
  },
];

/** The dialects whose Lambda entry file exists (others are still being written). */
export const existingDialects = (): DialectId[] =>
  (Object.keys(DIALECTS) as DialectId[]).filter((d) =>
    existsSync(path.join(PROJECT_ROOT, DIALECTS[d].entry)),
  );
