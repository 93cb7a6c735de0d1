import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from '@jest/globals';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { BUNDLING } from '../../lib/constructs/dialect-function';
import { OtpServiceStack } from '../../lib/otp-stack';
import { DIALECTS } from '../../shared/routes';
import { inlineCodeExcept, onlyId, SYNTH_CONTEXT } from './synth';

// The real esbuild path for one function (the others are inline): what `cdk synth` does five
// times. Synthesised twice: as deployed by default, and with the `-c sourceMaps=true` opt-in.
const outdirs: string[] = [];
afterAll(() => {
  for (const dir of outdirs) rmSync(dir, { recursive: true, force: true });
});

const synthBundled = (context: Record<string, unknown>) => {
  const outdir = mkdtempSync(path.join(tmpdir(), 'otp-cdk-bundling-'));
  outdirs.push(outdir);
  const app = new App({
    outdir,
    context: { ...SYNTH_CONTEXT, ...context },
    stackTraces: false,
    builtinCloudFormationValidation: false,
  });
  const stack = new OtpServiceStack(app, 'OtpServiceStack', {
    codeOverrides: inlineCodeExcept('capillary-v2'),
  });
  const assembly = app.synth();
  const manifest = JSON.parse(
    readFileSync(path.join(assembly.directory, 'OtpServiceStack.assets.json'), 'utf8'),
  ) as {
    files: Record<string, { source: { path: string; packaging?: string } }>;
  };
  const zips = Object.values(manifest.files).filter((f) => f.source.packaging === 'zip');
  if (zips.length !== 1) throw new Error(`expected one bundled function asset, found ${zips.length}`);
  /** The one file asset of the synth: the bundled capillary-v2 function. */
  const assetDir = path.join(assembly.directory, (zips[0] as { source: { path: string } }).source.path);
  return { template: Template.fromStack(stack), assetDir };
};

const { template, assetDir } = synthBundled({});
const withMaps = synthBundled({ sourceMaps: 'true' });

/** `NODE_OPTIONS` of every function of a template (dialects and receipts), by logical id. */
const nodeOptions = (t: Template): Record<string, unknown> =>
  Object.fromEntries(
    Object.entries(t.findResources('AWS::Lambda::Function')).map(([id, fn]) => [
      id,
      (fn as { Properties: { Environment?: { Variables?: Record<string, unknown> } } }).Properties.Environment
        ?.Variables?.NODE_OPTIONS,
    ]),
  );

describe('OtpServiceStack bundling', () => {
  describe('capillary-v2 (esbuild)', () => {
    it('deploys the bundle from the asset bucket with the ESM handler', () => {
      const id = onlyId(
        template.findResources('AWS::Lambda::Function', {
          Properties: { Description: DIALECTS['capillary-v2'].title },
        }),
        'capillary-v2 function',
      );
      const fn = template.findResources('AWS::Lambda::Function')[id] as {
        Properties: Record<string, unknown>;
      };
      expect(fn.Properties).toMatchObject({
        Handler: 'index.handler',
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        Code: { S3Bucket: expect.anything(), S3Key: expect.stringMatching(/\.zip$/) },
      });
    });

    it('emits one minified ES module and nothing else to install: no source map by default', () => {
      expect(readdirSync(assetDir).sort()).toEqual(['index.mjs']);
      const bundle = readFileSync(path.join(assetDir, 'index.mjs'), 'utf8');
      // The createRequire banner: CommonJS dependencies bundled into ESM still call require().
      expect(bundle.startsWith('import { createRequire as __otpCreateRequire }')).toBe(true);
      expect(bundle).not.toMatch(/sourceMappingURL/);
      expect(bundle).toMatch(/export\s*\{[^}]*\bas handler\b[^}]*\}|export\s*\{\s*handler\s*\}/);
      // Minified: few lines for a bundle of this size.
      expect(bundle.split('\n').length).toBeLessThan(200);
    });

    it('starts every function without --enable-source-maps by default (Node would parse a map at each cold start)', () => {
      const options = nodeOptions(template);
      expect(Object.keys(options).length).toBeGreaterThanOrEqual(7);
      expect(Object.values(options).filter((o) => o !== undefined)).toEqual([]);
    });

    it('ships a linked map and runs every function with --enable-source-maps under -c sourceMaps=true', () => {
      expect(readdirSync(withMaps.assetDir).sort()).toEqual(['index.mjs', 'index.mjs.map']);
      const mapped = readFileSync(path.join(withMaps.assetDir, 'index.mjs'), 'utf8');
      expect(mapped).toMatch(/\/\/# sourceMappingURL=index\.mjs\.map\s*$/);
      const options = nodeOptions(withMaps.template);
      expect(Object.keys(options).length).toBeGreaterThanOrEqual(7);
      expect(new Set(Object.values(options))).toEqual(new Set(['--enable-source-maps']));
    });

    it("bundles the same code either way, so a default deploy's stack positions decode with an opt-in map", () => {
      const plain = readFileSync(path.join(assetDir, 'index.mjs'), 'utf8');
      const mapped = readFileSync(path.join(withMaps.assetDir, 'index.mjs'), 'utf8');
      expect(mapped.replace(/\/\/# sourceMappingURL=index\.mjs\.map\s*$/, '')).toBe(plain);
    });

    it('bundles the AWS SDK instead of importing the runtime copy', () => {
      const bundle = readFileSync(path.join(assetDir, 'index.mjs'), 'utf8');
      expect(bundle).not.toMatch(/from\s*["']@aws-sdk\//);
      // Only the SDK's optional SigV4a signers stay external (required inside try/catch, unused here).
      const external = [...bundle.matchAll(/require\(["'](@aws-sdk\/[^"']+)["']\)/g)].map((m) => m[1]);
      for (const name of external)
        expect(['@aws-sdk/signature-v4-crt', '@aws-sdk/signature-v4a']).toContain(name);
      expect(bundle).toMatch(/DynamoDBClient|dynamodb/i);
      expect(statSync(path.join(assetDir, 'index.mjs')).size).toBeGreaterThan(100_000);
      expect(existsSync(path.join(assetDir, 'node_modules'))).toBe(false);
    });

    it('loads in a plain Node.js process and exports the handler', () => {
      // A separate process, as Lambda does: catches ESM/CommonJS interop failures at import time.
      const script = `import(${JSON.stringify(pathToFileURL(path.join(assetDir, 'index.mjs')).href)}).then((m) => process.stdout.write(typeof m.handler))`;
      const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
        env: {
          PATH: process.env.PATH,
          AWS_REGION: 'eu-west-1',
          TABLE_NAME: 'otp-table',
          PEPPER_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:pepper',
          SIGNING_KEY_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:signing',
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        },
        encoding: 'utf8',
        timeout: 20_000,
      });
      expect(out).toBe('function');
    });

    it('answers its first request without the signing key configured (only capillary-auth reads it)', () => {
      // A cold start with the environment the stack gives this function: no SIGNING_KEY_SECRET_ARN.
      // An unauthenticated generate is refused before any AWS call, so no credentials are needed.
      const event = {
        httpMethod: 'POST',
        path: '/v2/otp/generate',
        resource: '/v2/otp/generate',
        headers: { 'content-type': 'application/json' },
        multiValueHeaders: {},
        queryStringParameters: null,
        multiValueQueryStringParameters: null,
        pathParameters: null,
        stageVariables: null,
        isBase64Encoded: false,
        body: JSON.stringify({ entityType: 'MOBILE', entityValue: '+919876543210', action: 'REGISTRATION' }),
        requestContext: { requestId: 'cold-start', identity: { sourceIp: '127.0.0.1' } },
      };
      const context = "{ awsRequestId: 'cold-start', getRemainingTimeInMillis: () => 10000 }";
      const script = `import(${JSON.stringify(pathToFileURL(path.join(assetDir, 'index.mjs')).href)})
        .then((m) => m.handler(${JSON.stringify(event)}, ${context}))
        .then((r) => process.stderr.write('RESULT ' + JSON.stringify(r)))`;
      const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
        env: {
          PATH: process.env.PATH,
          AWS_REGION: 'eu-west-1',
          TABLE_NAME: 'otp-table',
          PEPPER_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:pepper',
          SEALING_KEY_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:sealing',
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        },
        encoding: 'utf8',
        timeout: 20_000,
      });
      const answer = /RESULT (.*)$/m.exec(result.stderr)?.[1];
      expect({ status: result.status, answer: answer && JSON.parse(answer).statusCode }).toEqual({
        status: 0,
        answer: 401,
      });
    });
  });

  describe('Node.js versions', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as {
      engines: { node: string };
      devDependencies: Record<string, string>;
    };
    const oldest = /^>=(\d+)$/.exec(pkg.engines.node)?.[1];
    const lambdaMajors = new Set(
      Object.values(template.findResources('AWS::Lambda::Function')).map(
        (fn) => /^nodejs(\d+)\.x$/.exec((fn as { Properties: { Runtime: string } }).Properties.Runtime)?.[1],
      ),
    );

    it('supports Node.js 22 and later, and types the code against the oldest it supports', () => {
      expect(oldest).toBe('22');
      expect(pkg.devDependencies['@types/node']).toMatch(new RegExp(`^\\^${oldest}\\.`));
    });

    it('bundles for the oldest supported Node.js, which the Lambda runtime is not older than', () => {
      expect(BUNDLING.target).toBe(`node${oldest}`);
      expect([...lambdaMajors].every((major) => Number(major) >= Number(oldest))).toBe(true);
    });

    it('pins .nvmrc (and so CI and developers) to the Lambda runtime major', () => {
      expect([...lambdaMajors]).toEqual([readFileSync('.nvmrc', 'utf8').trim()]);
    });
  });
});
