import { existsSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { type BuildOptions, build, type Metafile } from 'esbuild';
import { DIALECT_CHANNELS } from '../lib/channel-access';
import { BUNDLING, PROJECT_ROOT } from '../lib/constructs/dialect-function';
import { DIALECTS, type DialectId } from '../shared/routes';

/** AWS SDK clients a baseline bundle constructs, by package. */
const SDK_CLIENTS = {
  DynamoDBClient: '@aws-sdk/client-dynamodb',
  SNSClient: '@aws-sdk/client-sns',
  SESClient: '@aws-sdk/client-ses',
  PinpointSMSVoiceV2Client: '@aws-sdk/client-pinpoint-sms-voice-v2',
  SocialMessagingClient: '@aws-sdk/client-socialmessaging',
} as const;
export type SdkClient = keyof typeof SDK_CLIENTS;

/**
 * The clients of a dialect's baseline: DynamoDB, SNS and SES always, plus SMS-Voice v2 and Social
 * Messaging where the dialect may call or WhatsApp (the stack's DIALECT_CHANNELS).
 */
export const baselineClients = (dialect: DialectId): SdkClient[] => {
  const channels = DIALECT_CHANNELS[dialect];
  return [
    'DynamoDBClient',
    'SNSClient',
    'SESClient',
    ...(channels.includes('voice') ? (['PinpointSMSVoiceV2Client'] as const) : []),
    ...(channels.includes('whatsapp') ? (['SocialMessagingClient'] as const) : []),
  ];
};

/** A module that constructs the given clients at load and does nothing else. */
export const baselineSource = (clients: readonly SdkClient[]): string =>
  [
    ...clients.map((c) => `import { ${c} } from '${SDK_CLIENTS[c]}';`),
    `export const clients = [${clients.map((c) => `new ${c}({})`).join(', ')}];`,
    'export const handler = async () => ({ statusCode: 200, body: String(clients.length) });',
  ].join('\n');

/**
 * esbuild options equal to what the CDK stack asks NodejsFunction for (lib/constructs/
 * dialect-function.ts BUNDLING): platform node, the same target, format, minify, main fields and
 * createRequire banner, nothing external (the AWS SDK is bundled), and an external source map
 * without sources content.
 */
export const stackBuildOptions = (): BuildOptions => ({
  bundle: true,
  platform: 'node',
  target: BUNDLING.target ?? 'node22',
  format: String(BUNDLING.format) === 'esm' ? 'esm' : 'cjs',
  minify: BUNDLING.minify ?? false,
  mainFields: BUNDLING.mainFields ?? ['module', 'main'],
  external: BUNDLING.externalModules ?? [],
  ...(BUNDLING.banner ? { banner: { js: BUNDLING.banner } } : {}),
  sourcemap: BUNDLING.sourceMap ? 'external' : false,
  sourcesContent: BUNDLING.sourcesContent ?? true,
  metafile: true,
  logLevel: 'silent',
  absWorkingDir: PROJECT_ROOT,
});

export interface Bundle {
  /** Path of the `.mjs` file. */
  file: string;
  bytes: number;
  /** Bytes of the external source map (what `--enable-source-maps` reads at load). */
  mapBytes: number;
  metafile: Metafile;
}

const finish = (file: string, metafile: Metafile | undefined): Bundle => {
  if (!metafile) throw new Error(`esbuild returned no metafile for ${file}`);
  const map = `${file}.map`;
  return { file, bytes: statSync(file).size, mapBytes: existsSync(map) ? statSync(map).size : 0, metafile };
};

/** Bundles a dialect's Lambda entry as the stack does, into `outDir/<dialect>.mjs`. */
export const bundleDialect = async (dialect: DialectId, outDir: string): Promise<Bundle> => {
  const file = path.join(outDir, `${dialect}.mjs`);
  const result = await build({
    ...stackBuildOptions(),
    entryPoints: [path.join(PROJECT_ROOT, DIALECTS[dialect].entry)],
    outfile: file,
  });
  return finish(file, result.metafile);
};

/** Bundles a baseline that only constructs `clients`, into `outDir/<name>.mjs`. */
export const bundleBaseline = async (
  name: string,
  clients: readonly SdkClient[],
  outDir: string,
): Promise<Bundle> => {
  const file = path.join(outDir, `${name}.mjs`);
  const result = await build({
    ...stackBuildOptions(),
    stdin: { contents: baselineSource(clients), resolveDir: PROJECT_ROOT, loader: 'js', sourcefile: name },
    outfile: file,
  });
  return finish(file, result.metafile);
};

/** The dialects whose Lambda entry file exists (others are still being written). */
export const existingDialects = (): DialectId[] =>
  (Object.keys(DIALECTS) as DialectId[]).filter((d) =>
    existsSync(path.join(PROJECT_ROOT, DIALECTS[d].entry)),
  );

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
