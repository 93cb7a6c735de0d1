import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { Match } from 'aws-cdk-lib/assertions';
import { DIALECT_CHANNELS } from '../../lib/channel-access';
import { RATE_RULE_NAME } from '../../lib/constructs/api-firewall';
import { DEFAULT_GATEWAY_TEMPLATE } from '../../lib/constructs/otp-api';
import { DIALECT_IDS } from '../../lib/otp-stack';
import { GATEWAY_ANSWERS } from '../../shared/gateway-answers';
import { DIALECT_PREFIXES, DIALECTS, type DialectId, ROUTES } from '../../shared/routes';
import { LAMBDA_TIMEOUT_MS } from '../../shared/timeouts';
import { onlyId, resourcesOf, synthStack, TEST_SES_FROM } from './synth';

// One synth for the whole file: assertions only read the template.
const { template } = synthStack();

const tableId = onlyId(template.findResources('AWS::DynamoDB::Table'), 'table');
const secretIds = Object.keys(template.findResources('AWS::SecretsManager::Secret'));
const sealingKeyId = onlyId(
  template.findResources('AWS::SecretsManager::Secret', {
    Properties: { Description: Match.stringLikeRegexp('seals tenant secrets') },
  }),
  'tenant sealing key',
);
/** A secret, told apart from the others by its description. */
const secretId = (description: RegExp): string =>
  onlyId(
    Object.fromEntries(
      Object.entries(resourcesOf(template, 'AWS::SecretsManager::Secret')).filter(([, r]) =>
        description.test(String(r.Properties?.Description)),
      ),
    ),
    `secret ${description}`,
  );
const pepperId = secretId(/pepper/i);
const signingKeyId = secretId(/signs the access tokens/i);
const apiId = onlyId(template.findResources('AWS::ApiGateway::RestApi'), 'REST API');
const stageId = onlyId(template.findResources('AWS::ApiGateway::Stage'), 'stage');

/** Logical id of each dialect's function, found by its description (the dialect's title). */
const functionIds = Object.fromEntries(
  DIALECT_IDS.map((d) => [
    d,
    onlyId(
      template.findResources('AWS::Lambda::Function', { Properties: { Description: DIALECTS[d].title } }),
      `${d} function`,
    ),
  ]),
) as Record<DialectId, string>;

const functions = resourcesOf(template, 'AWS::Lambda::Function');
/** The fallback step function's role (lib/constructs/fallback-workflows.ts). */
const fallbackRoleId = onlyId(
  template.findResources('AWS::IAM::Role', {
    Properties: { Description: 'OTP service fallback step function' },
  }),
  'fallback role',
);

interface FunctionProperties {
  Role: { 'Fn::GetAtt': [string, string] };
  Environment: { Variables: Record<string, unknown> };
  LoggingConfig: { LogGroup: { Ref: string } };
  [key: string]: unknown;
}

/** A dialect's function properties (throws if the function is missing, failing the test). */
const fnProps = (dialect: DialectId): FunctionProperties => {
  const properties = functions[functionIds[dialect]]?.Properties;
  if (!properties) throw new Error(`no function for ${dialect}`);
  return properties as FunctionProperties;
};
const roleOf = (dialect: DialectId): string => fnProps(dialect).Role['Fn::GetAtt'][0];
const logGroupOf = (dialect: DialectId): string => fnProps(dialect).LoggingConfig.LogGroup.Ref;

type Statement = { Effect: string; Action: string | string[]; Resource: unknown };

/** Every IAM statement attached to a dialect's execution role. */
const statementsOf = (dialect: DialectId): Statement[] => {
  const role = roleOf(dialect);
  const policies = Object.values(resourcesOf(template, 'AWS::IAM::Policy')).filter((p) =>
    JSON.stringify(p.Properties?.Roles).includes(`"${role}"`),
  );
  return policies.flatMap(
    (p) => (p.Properties as { PolicyDocument: { Statement: Statement[] } }).PolicyDocument.Statement,
  );
};
/**
 * The role's grants as (action, resource) pairs, so assertions hold however CDK merges statements
 * (`@aws-cdk/aws-iam:minimizePolicies`).
 */
const grantsOf = (dialect: DialectId): { action: string; resource: string }[] =>
  statementsOf(dialect).flatMap((s) => {
    expect(s.Effect).toBe('Allow');
    const actions = Array.isArray(s.Action) ? s.Action : [s.Action];
    const resources = Array.isArray(s.Resource) ? s.Resource : [s.Resource];
    return actions.flatMap((action) => resources.map((r) => ({ action, resource: JSON.stringify(r) })));
  });
const actionsOf = (dialect: DialectId): string[] => [...new Set(grantsOf(dialect).map((g) => g.action))];
const resourcesFor = (dialect: DialectId, action: string): string[] =>
  grantsOf(dialect)
    .filter((g) => g.action === action)
    .map((g) => g.resource);

describe('OtpServiceStack', () => {
  describe('table', () => {
    it('is on-demand with point-in-time recovery, encryption and TTL on ttl', () => {
      template.hasResourceProperties('AWS::DynamoDB::Table', {
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ],
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
        TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
        TableName: Match.absent(),
      });
    });

    it('is retained and deletion-protected by default', () => {
      template.hasResource('AWS::DynamoDB::Table', {
        DeletionPolicy: 'Retain',
        UpdateReplacePolicy: 'Retain',
        Properties: Match.objectLike({ DeletionProtectionEnabled: true }),
      });
    });
  });

  describe('secrets', () => {
    it('generates the pepper, the signing key and the tenant sealing key as 64 characters without punctuation', () => {
      expect(secretIds).toHaveLength(3);
      template.allResourcesProperties('AWS::SecretsManager::Secret', {
        GenerateSecretString: { PasswordLength: 64, ExcludePunctuation: true, IncludeSpace: false },
        Name: Match.absent(),
      });
    });
  });

  describe('tenant sealing key', () => {
    it('is a secret of its own, not the pepper, retained by default', () => {
      template.hasResource('AWS::SecretsManager::Secret', {
        DeletionPolicy: 'Retain',
        Properties: Match.objectLike({ Description: Match.stringLikeRegexp('seals tenant secrets') }),
      });
      for (const dialect of DIALECT_IDS) {
        const variables = fnProps(dialect).Environment.Variables;
        expect(variables.SEALING_KEY_SECRET_ARN).toEqual({ Ref: sealingKeyId });
        expect(variables.PEPPER_SECRET_ARN).not.toEqual({ Ref: sealingKeyId });
      }
    });

    it.each(DIALECT_IDS)('lets %s read it (every function reads tenants)', (dialect) => {
      expect(resourcesFor(dialect, 'secretsmanager:GetSecretValue')).toContain(
        JSON.stringify({ Ref: sealingKeyId }),
      );
    });

    it('grants it to the dialect functions and the fallback step function only', () => {
      const readers = Object.values(resourcesOf(template, 'AWS::IAM::Policy')).filter((p) =>
        JSON.stringify(p.Properties?.PolicyDocument).includes(`{"Ref":"${sealingKeyId}"}`),
      );
      const roles = readers.flatMap((p) =>
        (p.Properties as { Roles: { Ref: string }[] }).Roles.map((r) => r.Ref),
      );
      // The fallback function reads tenants (their channel settings) to send a step.
      expect(roles.sort()).toEqual([...DIALECT_IDS.map(roleOf), fallbackRoleId].sort());
    });

    it('outputs its ARN for the admin CLI (SEALING_KEY_SECRET_ARN)', () => {
      template.hasOutput('SealingKeySecretArn', { Value: { Ref: sealingKeyId } });
    });
  });

  describe('functions', () => {
    it('creates exactly one function per dialect, the receipt and fallback functions and no helper functions', () => {
      template.resourceCountIs('AWS::Lambda::Function', DIALECT_IDS.length + 2);
      expect(new Set(Object.values(functionIds)).size).toBe(DIALECT_IDS.length);
    });

    it.each(DIALECT_IDS)(
      "runs %s on Node.js 24, arm64, 512 MB, the budget's timeout, with active tracing",
      (dialect) => {
        expect(fnProps(dialect)).toMatchObject({
          Runtime: 'nodejs24.x',
          Architectures: ['arm64'],
          MemorySize: 512,
          Timeout: LAMBDA_TIMEOUT_MS / 1000,
          TracingConfig: { Mode: 'Active' },
        });
        expect(fnProps(dialect).FunctionName).toBeUndefined();
      },
    );

    it.each(DIALECT_IDS)('gives %s the configuration the shared config schema reads', (dialect) => {
      const variables = fnProps(dialect).Environment.Variables;
      expect(variables).toMatchObject({
        TABLE_NAME: { Ref: tableId },
        SES_FROM_ADDRESS: TEST_SES_FROM,
        POWERTOOLS_SERVICE_NAME: 'otp-service',
        POWERTOOLS_LOG_LEVEL: 'INFO',
      });
      expect(variables.PEPPER_SECRET_ARN).toEqual({ Ref: pepperId });
      // Only the dialect that signs access tokens is told where the signing key is.
      if (dialect === 'capillary-auth')
        expect(variables.SIGNING_KEY_SECRET_ARN).toEqual({ Ref: signingKeyId });
      else expect(variables).not.toHaveProperty('SIGNING_KEY_SECRET_ARN');
      expect(variables.SEALING_KEY_SECRET_ARN).toEqual({ Ref: sealingKeyId });
      // Local-only settings must never reach AWS: the plain pepper and key come from Secrets Manager.
      expect(Object.keys(variables)).not.toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^(OTP_PEPPER|TOKEN_SIGNING_KEY|TENANT_SEALING_KEY|DYNAMODB_ENDPOINT)$/),
        ]),
      );
    });

    it.each(DIALECT_IDS)('logs %s to its own log group kept for one month', (dialect) => {
      expect(resourcesOf(template, 'AWS::Logs::LogGroup')[logGroupOf(dialect)]?.Properties).toMatchObject({
        RetentionInDays: 30,
      });
    });
  });

  describe('permissions', () => {
    it.each(DIALECT_IDS)('lets %s use only the table actions the code calls, on the table', (dialect) => {
      const dynamo = grantsOf(dialect).filter((g) => g.action.startsWith('dynamodb:'));
      expect(dynamo.map((g) => g.action).sort()).toEqual(
        [
          'dynamodb:BatchGetItem',
          'dynamodb:ConditionCheckItem',
          'dynamodb:DeleteItem',
          'dynamodb:GetItem',
          'dynamodb:PutItem',
          'dynamodb:UpdateItem',
          ...(dialect === 'twilio-verify' ? ['dynamodb:Query'] : []),
        ].sort(),
      );
      for (const grant of dynamo)
        expect(grant.resource).toBe(JSON.stringify({ 'Fn::GetAtt': [tableId, 'Arn'] }));
    });

    it.each(DIALECT_IDS)(
      'grants %s every DynamoDB command the shared code sends in a request path',
      (dialect) => {
        // Every `new <X>Command(` of @aws-sdk/client-dynamodb under shared/, as the action IAM checks.
        // Left out, with the reason: TransactWriteItems (authorised as its items' single-item
        // actions), the table set-up of npm start and the tests (CreateTable, UpdateTimeToLive), the
        // admin CLI's credential migration (Scan), and Twilio's Service list (Query), which only
        // twilio-verify's handlers call.
        const notInRequestPaths = new Set([
          'TransactWriteItems',
          'CreateTable',
          'UpdateTimeToLive',
          'Scan',
          'Query',
        ]);
        const sources = readdirSync('shared', { recursive: true, encoding: 'utf8' })
          .filter((f) => f.endsWith('.ts'))
          .map((f) => readFileSync(path.join('shared', f), 'utf8'))
          .filter((text) => text.includes("from '@aws-sdk/client-dynamodb'"));
        const sent = new Set(
          sources.flatMap((text) => [...text.matchAll(/new (\w+)Command\(/g)].map((m) => m[1] ?? '')),
        );
        expect(sent).toContain('BatchGetItem');
        const needed = [...sent].filter((c) => !notInRequestPaths.has(c)).map((c) => `dynamodb:${c}`);
        expect(needed.filter((action) => !actionsOf(dialect).includes(action))).toEqual([]);
        if (dialect === 'twilio-verify') expect(actionsOf(dialect)).toContain('dynamodb:Query');
      },
    );

    it('grants no role dynamodb:Scan, and dynamodb:Query only to twilio-verify (its Service list)', () => {
      const statements = Object.values(resourcesOf(template, 'AWS::IAM::Policy')).flatMap(
        (p) => (p.Properties as { PolicyDocument: { Statement: Statement[] } }).PolicyDocument.Statement,
      );
      const actions = statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
      expect(actions.length).toBeGreaterThan(0);
      expect(actions.filter((a) => /^dynamodb:(Scan|\*)$/.test(a))).toEqual([]);
      expect(actions.filter((a) => a === 'dynamodb:Query')).toHaveLength(1);
      expect(actionsOf('twilio-verify')).toContain('dynamodb:Query');
    });

    it.each(DIALECT_IDS)(
      'lets %s read the pepper and the sealing key, and the signing key only if it signs tokens',
      (dialect) => {
        const secrets = grantsOf(dialect).filter((g) => g.action.startsWith('secretsmanager:'));
        expect(new Set(secrets.map((g) => g.action))).toEqual(new Set(['secretsmanager:GetSecretValue']));
        const expected =
          dialect === 'capillary-auth' ? [pepperId, sealingKeyId, signingKeyId] : [pepperId, sealingKeyId];
        expect(secrets.map((g) => g.resource).sort()).toEqual(
          expected.map((id) => JSON.stringify({ Ref: id })).sort(),
        );
      },
    );

    it('lets only the capillary-auth role read the token signing key', () => {
      const readers = Object.values(resourcesOf(template, 'AWS::IAM::Policy'))
        .filter((p) => JSON.stringify(p.Properties?.PolicyDocument).includes(`{"Ref":"${signingKeyId}"}`))
        .flatMap((p) => (p.Properties as { Roles: { Ref: string }[] }).Roles.map((r) => r.Ref));
      expect(readers).toEqual([roleOf('capillary-auth')]);
      expect(secretIds.sort()).toEqual([pepperId, signingKeyId, sealingKeyId].sort());
    });

    it.each(DIALECT_IDS)('lets %s write only to its own log group', (dialect) => {
      const logs = grantsOf(dialect).filter((g) => g.action.startsWith('logs:'));
      expect(logs.map((g) => g.action).sort()).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents']);
      const logGroup = logGroupOf(dialect);
      for (const grant of logs)
        expect(grant.resource).toBe(JSON.stringify({ 'Fn::GetAtt': [logGroup, 'Arn'] }));
    });

    it.each(DIALECT_IDS)(
      'grants %s "*" only for actions that have no resource-level permissions',
      (dialect) => {
        const wildcard = grantsOf(dialect).filter((g) => g.resource === '"*"');
        expect(wildcard.map((g) => g.action).sort()).toEqual([
          'sns:Publish',
          'xray:PutTelemetryRecords',
          'xray:PutTraceSegments',
        ]);
      },
    );

    it.each(DIALECT_IDS)('grants %s no AWS managed policy', (dialect) => {
      expect(
        resourcesOf(template, 'AWS::IAM::Role')[roleOf(dialect)]?.Properties?.ManagedPolicyArns,
      ).toBeUndefined();
    });

    it('gives e-mail only to the dialects that send e-mail, on SES identities of this account', () => {
      const emailing = DIALECT_IDS.filter((d) => actionsOf(d).includes('ses:SendEmail'));
      expect(emailing.sort()).toEqual(['capillary-auth', 'capillary-v2', 'summitai', 'twilio-verify']);
      const [ses] = resourcesFor('summitai', 'ses:SendEmail').filter((r) => r.includes(':identity/'));
      expect(ses).toContain(':identity/*');
      expect(ses).toContain('AWS::AccountId');
    });

    it.each(['capillary-auth', 'capillary-v2', 'summitai', 'twilio-verify'] as const)(
      'lets %s send through any SES configuration set of this account (SES checks its ARN too)',
      (dialect) => {
        const resources = resourcesFor(dialect, 'ses:SendEmail');
        expect(resources).toHaveLength(2);
        const configurationSets = resources.filter((r) => r.includes(':configuration-set/'));
        expect(configurationSets).toHaveLength(1);
        expect(configurationSets[0]).toContain(':ses:');
        expect(configurationSets[0]).toContain('AWS::Region');
        expect(configurationSets[0]).toContain('AWS::AccountId');
        expect(configurationSets[0]).toContain(':configuration-set/*');
      },
    );

    it('gives voice and WhatsApp permissions to capillary-v2 and twilio-verify only', () => {
      for (const dialect of DIALECT_IDS) {
        const actions = actionsOf(dialect);
        // Twilio Verify's channels are sms, call, email and whatsapp.
        const expected = dialect === 'capillary-v2' || dialect === 'twilio-verify';
        expect(actions.includes('sms-voice:SendVoiceMessage')).toBe(expected);
        expect(actions.includes('social-messaging:SendWhatsAppMessage')).toBe(expected);
        expect(DIALECT_CHANNELS[dialect].includes('voice')).toBe(expected);
      }
    });

    it('scopes WhatsApp and voice to this account and region', () => {
      expect(resourcesFor('capillary-v2', 'social-messaging:SendWhatsAppMessage')).toEqual([
        expect.stringMatching(/social-messaging:.*AWS::Region.*AWS::AccountId.*phone-number-id\/\*/),
      ]);
      expect(resourcesFor('capillary-v2', 'sms-voice:SendVoiceMessage')).toEqual([
        expect.stringMatching(/sms-voice:.*AWS::Region.*AWS::AccountId.*:\*"/),
      ]);
    });
  });

  describe('api', () => {
    /** `METHOD /path` of every method in the template, with the function its integration calls. */
    const methods = (() => {
      const resources = resourcesOf(template, 'AWS::ApiGateway::Resource');
      const pathOf = (id: unknown): string => {
        if (typeof id === 'object' && id && 'Fn::GetAtt' in id) return ''; // the API's root resource
        const ref = (id as { Ref: string }).Ref;
        const resource = resources[ref]?.Properties as { ParentId: unknown; PathPart: string };
        return `${pathOf(resource.ParentId)}/${resource.PathPart}`;
      };
      return Object.values(resourcesOf(template, 'AWS::ApiGateway::Method')).map((m) => {
        const p = m.Properties as { HttpMethod: string; ResourceId: unknown; Integration: unknown };
        const target = Object.entries(functionIds).find(([, id]) =>
          JSON.stringify(p.Integration).includes(`"${id}","Arn"`),
        )?.[0];
        return { key: `${p.HttpMethod} ${pathOf(p.ResourceId)}`, target, properties: m.Properties };
      });
    })();

    it('serves exactly the routes of the route table, plus ANY on each route and a {proxy+} per dialect prefix', () => {
      const routePaths = [...new Set(ROUTES.map((r) => r.path))];
      expect(methods.map((m) => m.key).sort()).toEqual(
        [
          ...ROUTES.map((r) => `${r.method} ${r.path}`),
          ...routePaths.map((p) => `ANY ${p}`),
          ...['/adm', '/auth', '/fe', '/identity', '/v2/otp', '/v2/Services'].map(
            (prefix) => `ANY ${prefix}/{proxy+}`,
          ),
        ].sort(),
      );
    });

    it.each([...DIALECT_PREFIXES].map(([prefix, dialect]) => [prefix, dialect]))(
      'sends unknown paths under %s to the %s function, which answers 404 in its shape',
      (prefix, dialect) => {
        expect(methods.find((m) => m.key === `ANY ${prefix}/{proxy+}`)?.target).toBe(dialect);
      },
    );

    it.each(ROUTES.map((r) => [r.path, r.dialect] as const))(
      'sends every other method of %s to the %s function (405 and CORS preflight in its shape)',
      (path, dialect) => {
        expect(methods.find((m) => m.key === `ANY ${path}`)).toMatchObject({
          target: dialect,
          properties: { AuthorizationType: 'NONE', Integration: { Type: 'AWS_PROXY' } },
        });
      },
    );

    it('answers a path outside every dialect prefix 404 {"message":"Not Found"}, not 403 Missing Authentication Token', () => {
      template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
        ResponseType: 'MISSING_AUTHENTICATION_TOKEN',
        StatusCode: String(GATEWAY_ANSWERS.unknownRoute.status),
        ResponseTemplates: { 'application/json': JSON.stringify(GATEWAY_ANSWERS.unknownRoute.body) },
      });
    });

    it.each(['DEFAULT_4XX', 'DEFAULT_5XX'])(
      'keeps API Gateway’s %s body and adds the no-store and nosniff headers',
      (type) => {
        template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
          ResponseType: type,
          StatusCode: Match.absent(),
          ResponseTemplates: { 'application/json': DEFAULT_GATEWAY_TEMPLATE },
          ResponseParameters: {
            'gatewayresponse.header.cache-control': "'no-store'",
            'gatewayresponse.header.x-content-type-options': "'nosniff'",
          },
        });
      },
    );

    it.each(ROUTES.map((r) => [`${r.method} ${r.path}`, r.dialect] as const))(
      'proxies %s to the %s function',
      (key, dialect) => {
        const method = methods.find((m) => m.key === key);
        expect(method?.target).toBe(dialect);
        expect(method?.properties).toMatchObject({
          AuthorizationType: 'NONE',
          Integration: { Type: 'AWS_PROXY', IntegrationHttpMethod: 'POST' },
          RequestValidatorId: { Ref: expect.any(String) },
        });
      },
    );

    it('requires the path parameters of templated routes', () => {
      const verify = methods.find(
        (m) => m.key === 'PUT /identity/v2/manage/account/smsotp/{smsotptype}/verify',
      );
      expect(verify?.properties).toMatchObject({
        RequestParameters: { 'method.request.path.smsotptype': true },
      });
    });

    it('throttles the stage and writes JSON access logs to a one-month log group', () => {
      template.hasResourceProperties('AWS::ApiGateway::Stage', {
        StageName: 'prod',
        MethodSettings: Match.arrayWith([
          Match.objectLike({
            HttpMethod: '*',
            ResourcePath: '/*',
            ThrottlingRateLimit: 50,
            ThrottlingBurstLimit: 100,
            DataTraceEnabled: false,
          }),
        ]),
        AccessLogSetting: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('"requestId"') },
      });
      const stage = resourcesOf(template, 'AWS::ApiGateway::Stage')[stageId]?.Properties as {
        AccessLogSetting: { DestinationArn: unknown; Format: string };
      };
      const destination = JSON.stringify(stage.AccessLogSetting.DestinationArn);
      const logGroups = Object.entries(resourcesOf(template, 'AWS::Logs::LogGroup')).filter(([id]) =>
        destination.includes(`"${id}"`),
      );
      expect(logGroups).toHaveLength(1);
      expect(logGroups[0]?.[1].Properties).toMatchObject({ RetentionInDays: 30 });
      expect(() => JSON.parse(stage.AccessLogSetting.Format)).not.toThrow();
    });

    it('does not trace the stage by default (X-Ray would keep the URL with LoginRadius apisecret)', () => {
      // API Gateway's X-Ray segment records the request URL with its query string, where
      // LoginRadius clients send apikey and apisecret. Lambda's active tracing stays: its segments
      // hold the function, request id and timings, never the event (see the firewall test too).
      template.hasResourceProperties('AWS::ApiGateway::Stage', { TracingEnabled: false });
    });

    it('writes no query string, header, body or authorizer data to the access log', () => {
      const stage = resourcesOf(template, 'AWS::ApiGateway::Stage')[stageId]?.Properties as {
        AccessLogSetting: { Format: string };
      };
      const format = JSON.parse(stage.AccessLogSetting.Format) as Record<string, string>;
      // An allowlist: a new field is a decision, not an accident. resourcePath is the route
      // template (`/identity/v2/manage/account/smsotp/{smsotptype}`), never the URL with its query.
      expect(Object.values(format).sort()).toEqual(
        [
          '$context.requestId',
          '$context.requestTime',
          '$context.identity.sourceIp',
          '$context.identity.userAgent',
          '$context.httpMethod',
          '$context.resourcePath',
          '$context.status',
          '$context.responseLength',
          '$context.responseLatency',
          '$context.integrationLatency',
          '$context.integrationStatus',
          '$context.wafResponseCode',
          '$context.error.message',
        ].sort(),
      );
      expect(stage.AccessLogSetting.Format).not.toMatch(
        /querystring|header|\$input|\$method|authorizer|\$context\.path/i,
      );
    });

    it('outputs the API URL', () => {
      template.hasOutput('ApiUrl', {
        Value: {
          'Fn::Join': ['', Match.arrayWith(['https://', { Ref: apiId }, { Ref: stageId }])],
        },
      });
    });
  });

  describe('firewall', () => {
    it('counts (never blocks) an IP above 1000 requests per 5 minutes and applies the AWS common rule set', () => {
      template.hasResourceProperties('AWS::WAFv2::WebACL', {
        Scope: 'REGIONAL',
        DefaultAction: { Allow: {} },
        Rules: Match.arrayWith([
          Match.objectLike({
            Name: RATE_RULE_NAME,
            Action: { Count: {} },
            Statement: {
              RateBasedStatement: { Limit: 1000, AggregateKeyType: 'IP', EvaluationWindowSec: 300 },
            },
          }),
          Match.objectLike({
            OverrideAction: { None: {} },
            Statement: {
              ManagedRuleGroupStatement: { VendorName: 'AWS', Name: 'AWSManagedRulesCommonRuleSet' },
            },
          }),
        ]),
      });
    });

    it('keeps no sampled requests on the web ACL or any rule (they hold every header, credentials too)', () => {
      const acls = Object.values(resourcesOf(template, 'AWS::WAFv2::WebACL'));
      expect(acls).toHaveLength(1);
      const acl = acls[0]?.Properties as {
        VisibilityConfig: { SampledRequestsEnabled: boolean; CloudWatchMetricsEnabled: boolean };
        Rules: { Name: string; VisibilityConfig: { SampledRequestsEnabled: boolean } }[];
      };
      expect(acl.VisibilityConfig).toMatchObject({
        SampledRequestsEnabled: false,
        CloudWatchMetricsEnabled: true,
      });
      expect(acl.Rules.length).toBeGreaterThan(0);
      for (const rule of acl.Rules)
        expect({ rule: rule.Name, sampled: rule.VisibilityConfig.SampledRequestsEnabled }).toEqual({
          rule: rule.Name,
          sampled: false,
        });
    });

    it('is associated with the API stage', () => {
      const webAclId = onlyId(template.findResources('AWS::WAFv2::WebACL'), 'web ACL');
      const association = Object.values(resourcesOf(template, 'AWS::WAFv2::WebACLAssociation'));
      expect(association).toHaveLength(1);
      expect(association[0]?.Properties?.WebACLArn).toEqual({ 'Fn::GetAtt': [webAclId, 'Arn'] });
      const arn = JSON.stringify(association[0]?.Properties?.ResourceArn);
      expect(arn).toContain(`{"Ref":"${apiId}"},"/stages/",{"Ref":"${stageId}"}`);
      expect(association[0]?.DependsOn).toContain(stageId);
    });
  });

  describe('alarms', () => {
    const alarms = Object.values(resourcesOf(template, 'AWS::CloudWatch::Alarm')).map(
      (a) => a.Properties ?? {},
    );

    it('alarms on API 5xx responses', () => {
      expect(alarms).toContainEqual(
        expect.objectContaining({
          Namespace: 'AWS/ApiGateway',
          MetricName: '5XXError',
          Threshold: 1,
          TreatMissingData: 'notBreaching',
        }),
      );
    });

    it.each(DIALECT_IDS)('alarms on errors and throttles of %s', (dialect) => {
      for (const metric of ['Errors', 'Throttles']) {
        expect(alarms).toContainEqual(
          expect.objectContaining({
            Namespace: 'AWS/Lambda',
            MetricName: metric,
            Dimensions: [{ Name: 'FunctionName', Value: { Ref: functionIds[dialect] } }],
          }),
        );
      }
    });

    it('sends no notifications unless an alarm topic is configured', () => {
      for (const alarm of alarms) expect(alarm.AlarmActions).toBeUndefined();
    });
  });
});

describe('OtpServiceStack context', () => {
  it('sets the SNS SMS monthly spend limit only when smsMonthlySpendLimit is given', () => {
    const withLimit = synthStack({ smsMonthlySpendLimit: '50' }).template;
    const calls = Object.values(resourcesOf(withLimit, 'Custom::AWS')).map((r) =>
      JSON.stringify(r.Properties?.Create),
    );
    expect(calls).toHaveLength(1);
    expect(calls[0]).toContain('SetSMSAttributes');
    expect(calls[0]).toContain('\\"MonthlySpendLimit\\":\\"50\\"');
    withLimit.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: Match.objectLike({
        Statement: Match.arrayWith([Match.objectLike({ Action: 'sns:SetSMSAttributes', Resource: '*' })]),
      }),
    });
    expect(Object.keys(resourcesOf(template, 'Custom::AWS'))).toHaveLength(0);
    expect(() => synthStack({ smsMonthlySpendLimit: '-1' })).toThrow(/smsMonthlySpendLimit/);
  });

  it('deletes the table, secrets and log groups when destroyOnRemoval is true', () => {
    const { template } = synthStack({ destroyOnRemoval: 'true' });
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Delete',
      Properties: Match.objectLike({ DeletionProtectionEnabled: false }),
    });
    for (const type of ['AWS::SecretsManager::Secret', 'AWS::Logs::LogGroup']) {
      for (const resource of Object.values(resourcesOf(template, type))) {
        expect(resource.DeletionPolicy).toBe('Delete');
      }
    }
  });

  it('takes the WAF limit, throttling, sender, SES identity and alarm topic from context', () => {
    const identity = 'arn:aws:ses:eu-west-1:123456789012:identity/example.com';
    const topic = 'arn:aws:sns:eu-west-1:123456789012:otp-alarms';
    const { template } = synthStack({
      wafRateLimit: '2000',
      apiRateLimit: 20,
      apiBurstLimit: 40,
      sesFromAddress: 'otp@example.com',
      sesIdentityArn: identity,
      alarmTopicArn: topic,
    });
    template.hasResourceProperties('AWS::WAFv2::WebACL', {
      Rules: Match.arrayWith([
        Match.objectLike({ Statement: { RateBasedStatement: Match.objectLike({ Limit: 2000 }) } }),
      ]),
    });
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      MethodSettings: Match.arrayWith([
        Match.objectLike({ ThrottlingRateLimit: 20, ThrottlingBurstLimit: 40 }),
      ]),
    });
    // Every dialect function and the fallback function; the receipt function sends nothing.
    template.resourcePropertiesCountIs(
      'AWS::Lambda::Function',
      { Environment: { Variables: Match.objectLike({ SES_FROM_ADDRESS: 'otp@example.com' }) } },
      DIALECT_IDS.length + 1,
    );
    const sesResources = Object.values(resourcesOf(template, 'AWS::IAM::Policy')).flatMap((p) =>
      (p.Properties as { PolicyDocument: { Statement: Statement[] } }).PolicyDocument.Statement.filter((st) =>
        [st.Action].flat().includes('ses:SendEmail'),
      ).flatMap((st) => [st.Resource].flat().map((r) => JSON.stringify(r))),
    );
    // The pinned identity only; configuration sets stay account-wide (SES checks both ARNs). Four
    // e-mail dialects and the fallback function.
    expect(sesResources.filter((r) => r.includes(':identity/'))).toEqual(
      Array(5).fill(JSON.stringify(identity)),
    );
    expect(sesResources.filter((r) => r.includes(':configuration-set/*'))).toHaveLength(5);
    template.allResourcesProperties('AWS::CloudWatch::Alarm', { AlarmActions: [topic] });
  });

  it('traces the API stage only when apiTracing is true (an opt-in that records query strings)', () => {
    synthStack({ apiTracing: 'true' }).template.hasResourceProperties('AWS::ApiGateway::Stage', {
      TracingEnabled: true,
    });
    synthStack({ apiTracing: 'false' }).template.hasResourceProperties('AWS::ApiGateway::Stage', {
      TracingEnabled: false,
    });
  });

  it('leaves the account-wide API Gateway logging role alone when apiGatewayCloudWatchRole is false', () => {
    expect(Object.keys(template.findResources('AWS::ApiGateway::Account'))).toHaveLength(1);
    const { template: without } = synthStack({ apiGatewayCloudWatchRole: 'false' });
    without.resourceCountIs('AWS::ApiGateway::Account', 0);
    without.hasResourceProperties('AWS::ApiGateway::Stage', {
      AccessLogSetting: Match.objectLike({ DestinationArn: Match.anyValue() }),
    });
  });

  it.each([
    ['wafRateLimit', 'many'],
    ['wafRateLimit', '5'],
    ['destroyOnRemoval', 'yes'],
    ['sesFromAddress', 'not-an-address'],
    ['sesIdentityArn', 'identity/*'],
    ['logLevel', 'LOUD'],
    ['apiTracing', 'yes'],
    ['sourceMaps', 'yes'],
  ])('refuses context %s=%s and names the key', (key, value) => {
    expect(() => synthStack({ [key]: value })).toThrow(key);
  });
});
