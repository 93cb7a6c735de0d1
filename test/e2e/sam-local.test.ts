import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { PROJECT_ROOT } from '../../lib/constructs/dialect-function';
import { OtpServiceStack } from '../../lib/otp-stack';
import { samLocalEnvironment } from '../../lib/sam-local';
import { LOCAL_CONSTANTS } from '../../local/config';
import { DIALECTS, type DialectId, routesFor } from '../../shared/routes';
import { TenantDirectory } from '../../shared/tenant-directory';
import { CDK_JSON_CONTEXT, resourcesOf, synthStack, templateRoutes } from '../infra/synth';
import { freshTable, localDynamo, testTenant } from '../support/harness';

type Env = Record<string, string>;
const ENV_FILE = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'sam', 'env.json'), 'utf8')) as Record<
  string,
  Env
>;

/** The dialect functions of a template: logical id → dialect and declared variables. */
const dialectFunctions = (template: Template) =>
  Object.fromEntries(
    Object.entries(resourcesOf(template, 'AWS::Lambda::Function')).flatMap(([id, fn]) => {
      const props = fn.Properties as {
        Description?: string;
        Environment?: { Variables?: Record<string, unknown> };
      };
      const dialect = (Object.keys(DIALECTS) as DialectId[]).find(
        (d) => DIALECTS[d].title === props.Description,
      );
      return dialect ? [[id, { dialect, variables: props.Environment?.Variables ?? {} }]] : [];
    }),
  );

const LOCAL_ONLY = [
  'OTP_PEPPER',
  'TENANT_SEALING_KEY',
  'TOKEN_SIGNING_KEY',
  'DYNAMODB_ENDPOINT',
  'SES_ENDPOINT',
];

describe('sam local', () => {
  describe('sam/env.json', () => {
    const samTemplate = synthStack({ samLocal: 'true' }).template;
    const functions = dialectFunctions(samTemplate);

    it('names exactly the dialect functions of the synthesized template, by logical id', () => {
      expect(Object.keys(ENV_FILE).sort()).toEqual(Object.keys(functions).sort());
      expect(Object.keys(functions)).toHaveLength(Object.keys(DIALECTS).length);
    });

    it('sets only variables the template declares (sam local ignores the others), with the local keys', () => {
      for (const [id, { dialect, variables }] of Object.entries(functions)) {
        const env = ENV_FILE[id] as Env;
        for (const name of Object.keys(env))
          expect({ id, name, declared: name in variables }).toEqual({ id, name, declared: true });
        expect(env).toEqual(samLocalEnvironment(dialect));
        expect(env).toMatchObject({
          TABLE_NAME: LOCAL_CONSTANTS.tableName,
          OTP_PEPPER: LOCAL_CONSTANTS.pepper,
          TENANT_SEALING_KEY: LOCAL_CONSTANTS.tenantSealingKey,
          DYNAMODB_ENDPOINT: expect.stringMatching(/^http:\/\/host\.docker\.internal:8000$/),
        });
        // Only the auth engine signs tokens, locally as in AWS.
        expect('TOKEN_SIGNING_KEY' in env).toBe(dialect === 'capillary-auth');
      }
    });

    it('is refused by CloudFormation if deployed, and the deployable template has no local key', () => {
      expect(samTemplate.toJSON().Rules?.SamLocalOnly).toBeDefined();
      const deployable = synthStack().template;
      expect(deployable.toJSON().Rules?.SamLocalOnly).toBeUndefined();
      for (const { variables } of Object.values(dialectFunctions(deployable)))
        for (const name of LOCAL_ONLY) expect(variables[name]).toBeUndefined();
    });
  });

  describe('the bundled assets from cdk.out, through the template’s routes', () => {
    const outdir = mkdtempSync(path.join(tmpdir(), 'otp-sam-local-'));
    const run = promisify(execFile);
    const published: Array<Record<string, unknown>> = [];
    let sink: Server;
    let sinkUrl: string;
    /** Per dialect: the environment its function gets, its asset, and its routes in the template. */
    const functions = new Map<
      DialectId,
      { env: Env; assetFile: string; routes: Array<{ method: string; path: string }> }
    >();
    let authorization: string;
    const PHONE = '+919955882233';

    /** A stand-in SNS endpoint: records each Publish, answers in the protocol the client used. */
    const startSink = () =>
      new Promise<void>((resolve) => {
        sink = createServer((req, res) => {
          let body = '';
          req.on('data', (c) => {
            body += c;
          });
          req.on('end', () => {
            if (String(req.headers['content-type']).includes('json')) {
              published.push(JSON.parse(body) as Record<string, unknown>);
              res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' }).end('{"MessageId":"m-1"}');
            } else {
              published.push(Object.fromEntries(new URLSearchParams(body)));
              res
                .writeHead(200, { 'content-type': 'text/xml' })
                .end(
                  '<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>m-1</MessageId></PublishResult><ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></PublishResponse>',
                );
            }
          });
        }).listen(0, '127.0.0.1', () => {
          sinkUrl = `http://127.0.0.1:${(sink.address() as AddressInfo).port}`;
          resolve();
        });
      });

    beforeAll(async () => {
      await startSink();
      const app = new App({
        outdir,
        context: { ...CDK_JSON_CONTEXT, samLocal: 'true' },
        stackTraces: false,
        builtinCloudFormationValidation: false,
      });
      // Every function bundled by the stack's own esbuild settings, as `cdk synth` does.
      const stack = new OtpServiceStack(app, 'OtpServiceStack');
      const assembly = app.synth();
      const template = Template.fromStack(stack);

      // The table, tenant and credential the functions will read, in DynamoDB Local.
      const ddb = localDynamo();
      const tableName = await freshTable(ddb);
      const tenants = new TenantDirectory(ddb, tableName, {
        tenantKey: async () => Buffer.from(LOCAL_CONSTANTS.tenantSealingKey),
        cacheSeconds: 0,
      });
      const tenant = testTenant({ policy: { allowedRegions: ['IN'] } });
      await tenants.putTenant(tenant);
      const secret = 'sam-local-secret-0123456789abcdefghij';
      await tenants.putCredential('v2-basic', 'sam-client', tenant.tenantId, secret);
      authorization = `Basic ${Buffer.from(`sam-client:${secret}`).toString('base64')}`;

      for (const [id, fn] of Object.entries(dialectFunctions(template))) {
        // The function's asset, as `sam local` would mount it: the template's S3Key names it.
        const props = resourcesOf(template, 'AWS::Lambda::Function')[id]?.Properties as {
          Code: { S3Key: string };
        };
        const assetFile = path.join(
          assembly.directory,
          `asset.${props.Code.S3Key.replace(/\.zip$/, '')}`,
          'index.mjs',
        );
        // The template's environment (intrinsics become placeholder strings), then sam/env.json,
        // then the endpoints this machine has instead of host.docker.internal.
        const declared = Object.fromEntries(
          Object.entries(fn.variables).map(([k, v]) => [
            k,
            typeof v === 'string' ? v : `arn:aws:secretsmanager:us-east-1:123456789012:secret:${k}`,
          ]),
        );
        const env = {
          ...declared,
          ...(ENV_FILE[id] as Env),
          TABLE_NAME: tableName,
          DYNAMODB_ENDPOINT: process.env.DYNAMODB_ENDPOINT as string,
          AWS_ENDPOINT_URL_SNS: sinkUrl,
          PATH: process.env.PATH as string,
          AWS_REGION: 'us-east-1',
          AWS_ACCESS_KEY_ID: 'local',
          AWS_SECRET_ACCESS_KEY: 'local',
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        };
        functions.set(fn.dialect, {
          env,
          assetFile,
          routes: templateRoutes(template).filter((r) => r.functionId === id),
        });
      }
    }, 180_000);

    afterAll(() => {
      sink?.close();
      rmSync(outdir, { recursive: true, force: true });
    });

    /** One invocation in a fresh Node.js process (a cold start), as the Lambda runtime does. */
    const invoke = async (
      dialect: DialectId,
      target: { method: string; path: string },
      body: unknown,
      options: { headers?: Env; pathParameters?: Env } = {},
    ) => {
      const fn = functions.get(dialect);
      if (!fn) throw new Error(`no ${dialect} function in the template`);
      const params = options.pathParameters ?? {};
      const event = {
        httpMethod: target.method,
        path: target.path.replace(/\{([^}]+)\}/g, (_, p: string) => params[p] ?? p),
        resource: target.path,
        headers: { 'content-type': 'application/json', ...options.headers },
        multiValueHeaders: {},
        queryStringParameters: null,
        multiValueQueryStringParameters: null,
        pathParameters: Object.keys(params).length ? params : null,
        stageVariables: null,
        isBase64Encoded: false,
        body: JSON.stringify(body),
        requestContext: { requestId: `sam-${published.length}`, identity: { sourceIp: '127.0.0.1' } },
      };
      const context = "{ awsRequestId: 'sam', getRemainingTimeInMillis: () => 10000 }";
      const script = `import(${JSON.stringify(pathToFileURL(fn.assetFile).href)})
        .then((m) => m.handler(${JSON.stringify(event)}, ${context}))
        .then((r) => process.stderr.write('RESULT ' + JSON.stringify(r) + '\\n'))`;
      const { stderr } = await run(process.execPath, ['--input-type=module', '-e', script], {
        env: fn.env,
        encoding: 'utf8',
        timeout: 30_000,
      });
      const result = /RESULT (.*)$/m.exec(stderr)?.[1];
      if (!result) throw new Error(`no result: ${stderr}`);
      const parsed = JSON.parse(result) as { statusCode: number; body: string };
      return { status: parsed.statusCode, body: JSON.parse(parsed.body) as Record<string, unknown> };
    };

    /** The template's route of an operation of the route table. */
    const route = (dialect: DialectId, operationId: string) => {
      const def = routesFor(dialect).find((r) => r.operationId === operationId);
      const found = functions
        .get(dialect)
        ?.routes.find((r) => r.method === def?.method && r.path === def?.path);
      if (!found) throw new Error(`the template has no route for ${operationId}`);
      return found;
    };

    it.each(Object.keys(DIALECTS) as DialectId[])(
      'routes exactly the route table’s %s paths to its function',
      (dialect) => {
        // `ANY` on every route and the `{proxy+}` catch-alls answer 405/404 in the dialect's shape
        // (test/infra/otp-stack.test.ts); the route table's own methods are compared here.
        const routes = (functions.get(dialect)?.routes ?? []).filter((r) => r.method !== 'ANY');
        expect(routes.map((r) => `${r.method} ${r.path}`).sort()).toEqual(
          routesFor(dialect)
            .map((r) => `${r.method} ${r.path}`)
            .sort(),
        );
      },
    );

    it.each(Object.keys(DIALECTS) as DialectId[])(
      'the %s asset answers an uncredentialed request on its first route with its own 4xx, not a 500',
      async (dialect) => {
        const first = routesFor(dialect)[0];
        if (!first) throw new Error(`${dialect} has no route`);
        const answer = await invoke(
          dialect,
          route(dialect, first.operationId),
          {},
          {
            pathParameters: { smsotptype: 'phoneverification' },
          },
        );
        expect(answer.status).toBeGreaterThanOrEqual(400);
        expect(answer.status).toBeLessThan(500);
      },
    );

    it('capillary-v2 generates (the SMS reaches the SNS endpoint) and verifies the code against DynamoDB Local', async () => {
      const headers = { authorization };
      const request = { entityType: 'MOBILE', entityValue: PHONE, action: 'REGISTRATION' };
      const sent = await invoke('capillary-v2', route('capillary-v2', 'capillaryV2Generate'), request, {
        headers,
      });
      expect(sent).toMatchObject({ status: 200, body: { warnings: [] } });
      expect(published).toHaveLength(1);
      expect(published[0]?.PhoneNumber).toBe(PHONE);
      const code = /\b(\d{6})\b/.exec(String(published[0]?.Message))?.[1];
      expect(code).toMatch(/^\d{6}$/);

      const validate = route('capillary-v2', 'capillaryV2Validate');
      const ok = await invoke('capillary-v2', validate, { ...request, code }, { headers });
      expect(ok).toMatchObject({ status: 200, body: { entity: true } });
      // Single use: the same code again is refused.
      const again = await invoke('capillary-v2', validate, { ...request, code }, { headers });
      expect(again.status).toBe(400);
    });
  });
});
