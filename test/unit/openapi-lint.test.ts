import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { buildOpenApi, type OpenApiDocument } from '../../shared/openapi';
import { DIALECTS, type DialectId, ROUTES } from '../../shared/routes';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const REDOCLY = path.join(ROOT, 'node_modules', '@redocly', 'cli', 'bin', 'cli.js');
const NO_NETWORK = path.join(ROOT, 'test', 'openapi', 'no-network.mjs');
const CONFIG = path.join(ROOT, 'test', 'openapi', 'redocly.yaml');
const work = mkdtempSync(path.join(tmpdir(), 'otp-openapi-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Node with every connection refused (and reported), as the linter must run offline. */
const offlineNode = (args: string[]) =>
  spawnSync(process.execPath, ['--import', NO_NETWORK, ...args], {
    cwd: work,
    env: {
      PATH: process.env.PATH,
      HOME: work,
      REDOCLY_TELEMETRY: 'off',
      REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true',
      NO_COLOR: '1',
    },
    encoding: 'utf8',
    timeout: 120_000,
  });

interface LintReport {
  totals: { errors: number; warnings: number };
  problems: Array<{ ruleId: string; severity: string; message: string }>;
}

/** `redocly lint` on a document, offline; its JSON report. */
const lint = (doc: unknown, name: string): { report: LintReport; stderr: string } => {
  const file = path.join(work, name);
  writeFileSync(file, JSON.stringify(doc, null, 2));
  const out = offlineNode([REDOCLY, 'lint', file, '--config', CONFIG, '--format', 'json']);
  const start = out.stdout.indexOf('{');
  if (start < 0) throw new Error(`redocly printed no report: ${out.stderr}`);
  return { report: JSON.parse(out.stdout.slice(start)) as LintReport, stderr: out.stderr };
};

let doc: OpenApiDocument;
beforeAll(async () => {
  // What the local runtime serves: every dialect whose schemas module exists (loading a dialect
  // registers its schemas), as `GET /openapi.json` does.
  for (const dialect of Object.keys(DIALECTS) as DialectId[]) {
    const schemas = path.join(ROOT, 'shared', 'dialects', dialect, 'schemas.ts');
    if (existsSync(schemas)) await import(`../../shared/dialects/${dialect}/schemas`);
  }
  doc = buildOpenApi({ serverUrl: 'http://127.0.0.1:3000' });
});

describe('OpenAPI document', () => {
  it('lints with zero errors under Redocly’s recommended rules, without touching the network', () => {
    const { report, stderr } = lint(doc, 'openapi.json');
    const errors = report.problems
      .filter((p) => p.severity === 'error')
      .map((p) => `${p.ruleId}: ${p.message}`);
    expect(errors).toEqual([]);
    expect(report.totals.errors).toBe(0);
    expect(stderr).not.toContain('NETWORK BLOCKED');
  });

  it('fails the lint without security schemes (the check can fail)', () => {
    const bare = structuredClone(doc) as unknown as {
      paths: Record<string, Record<string, { security?: unknown }>>;
    };
    for (const item of Object.values(bare.paths)) for (const op of Object.values(item)) delete op.security;
    const { report } = lint(bare, 'bare.json');
    expect(report.problems.filter((p) => p.ruleId === 'security-defined').length).toBe(ROUTES.length);
  });

  it('blocks a connection in the offline node (the network check can fail)', () => {
    const probe = path.join(work, 'probe.mjs');
    writeFileSync(probe, "await fetch('http://127.0.0.1:8080').catch(() => {});\n");
    const out = offlineNode([probe]);
    expect(out.stderr).toContain('NETWORK BLOCKED');
  });

  it('names every schema it references in components.schemas', () => {
    const text = JSON.stringify(doc);
    const refs = new Set([...text.matchAll(/"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1]));
    expect(refs.size).toBeGreaterThan(10);
    for (const ref of refs) expect(doc.components.schemas[ref as string]).toBeDefined();
    // Bodies and responses are references, not anonymous inline objects.
    const op = doc.paths['/v2/otp/generate']?.post as {
      requestBody: { content: Record<string, { schema: unknown }> };
      responses: Record<string, { content: Record<string, { schema: unknown }> }>;
    };
    expect(op.requestBody.content['application/json']?.schema).toEqual({
      $ref: '#/components/schemas/CapillaryV2GenerateRequest',
    });
    expect(op.responses['429']?.content['application/json']?.schema).toEqual({
      $ref: '#/components/schemas/CapillaryV2Error',
    });
  });

  it('documents auth, Idempotency-Key, Retry-After, the form body and the smsotptype enum', () => {
    expect(Object.keys(doc.components.securitySchemes).sort()).toEqual(
      expect.arrayContaining([
        'appOtpUserJwt',
        'capillaryV2Basic',
        'capillaryV2Bearer',
        'loginRadiusApiKey',
        'loginRadiusApiKeyHeader',
        'loginRadiusApiSecret',
        'loginRadiusApiSecretHeader',
      ]),
    );
    expect(doc.components.securitySchemes.appOtpUserJwt).toMatchObject({
      in: 'header',
      name: 'user-jwt-token',
    });
    type Op = {
      parameters?: Array<{ name: string; in: string; schema: { enum?: string[] } }>;
      requestBody?: { content: Record<string, unknown> };
      responses: Record<string, { headers?: Record<string, unknown> }>;
    };
    const generate = doc.paths['/identity/v2/manage/account/smsotp/{smsotptype}']?.post as Op;
    expect(generate.parameters?.find((p) => p.name === 'Idempotency-Key')?.in).toBe('header');
    expect(generate.parameters?.find((p) => p.name === 'smsotptype')?.schema.enum).toEqual(
      expect.arrayContaining(['addphone', 'forgotpassword', 'passwordlesslogin', 'phoneidverification']),
    );
    expect(Object.keys(generate.requestBody?.content ?? {})).toEqual([
      'application/json',
      'application/x-www-form-urlencoded',
    ]);
    expect(generate.responses['429']?.headers?.['Retry-After']).toBeDefined();
    // Only sending operations take an idempotency key.
    const verify = doc.paths['/identity/v2/manage/account/smsotp/{smsotptype}/verify']?.put as Op;
    expect(verify.parameters?.some((p) => p.name === 'Idempotency-Key')).toBe(false);
  });

  it('carries the seeds’ request examples', () => {
    const op = doc.paths['/v2/otp/generate']?.post as
      | { requestBody: { content: Record<string, { examples: Record<string, unknown> }> } }
      | undefined;
    const content = op?.requestBody.content['application/json'];
    expect(Object.keys(content?.examples ?? {})).toEqual(['EMAIL', 'WHATSAPP', 'SMS']);
  });
});
