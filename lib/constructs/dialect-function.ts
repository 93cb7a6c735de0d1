import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Acknowledgment, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { DIALECTS, type DialectId } from '../../shared/routes';
import { LAMBDA_TIMEOUT_MS } from '../../shared/timeouts';
import { channelGrant, DIALECT_CHANNELS } from '../channel-access';
import { samLocalEnvironment } from '../sam-local';
import type { OtpSettings } from '../settings';

/** The repository root, where `package-lock.json`, `tsconfig.json` and `functions/` live. */
export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * esbuild settings for every function: one ESM file for Node.js 24 on arm64 with the AWS SDK
 * bundled (the runtime's built-in SDK version drifts; a bundled one is what the tests ran against).
 *
 * Source maps are opt-in (`-c sourceMaps=true`, README "Stack traces"): with them each function
 * ships a linked map and runs with `--enable-source-maps`, which makes Node read and parse the map
 * at start-up and costs 7–17 ms of every cold start (docs/PERFORMANCE.md). Without them the
 * bundle is the same file minus its last `sourceMappingURL` line, so a position in a production
 * stack trace (`index.mjs:1:23456`) is found with the map of a `-c sourceMaps=true` synth of the
 * same commit (esbuild output is deterministic).
 */
export const bundlingOptions = (sourceMaps: boolean): nodejs.BundlingOptions => ({
  format: nodejs.OutputFormat.ESM,
  // Syntax every supported Node.js runs: 22 (the oldest `engines` allows, for the local runtime
  // and the benchmark) and 24 (Lambda, CI).
  target: 'node22',
  minify: true,
  sourceMap: sourceMaps,
  ...(sourceMaps ? { sourcesContent: false } : {}),
  externalModules: [],
  mainFields: ['module', 'main'],
  // CommonJS dependencies bundled into ESM still call require(); give them one.
  banner:
    "import { createRequire as __otpCreateRequire } from 'node:module'; const require = __otpCreateRequire(import.meta.url);",
});

/** The bundling of a default deploy (no source maps). */
export const BUNDLING: nodejs.BundlingOptions = bundlingOptions(false);

/** `NODE_OPTIONS` of every function: source-map support only when the deploy ships maps. */
export const runtimeEnvironment = (sourceMaps: boolean): Record<string, string> =>
  sourceMaps ? { NODE_OPTIONS: '--enable-source-maps' } : {};

export interface DialectFunctionProps {
  readonly dialect: DialectId;
  readonly table: dynamodb.ITable;
  readonly pepper: secretsmanager.ISecret;
  /**
   * The key that signs the service's own access tokens: only for the dialect that issues them
   * (the Capillary auth engine). Functions without it neither see its ARN nor may read it; their
   * code never asks for it (`AppDeps.signingKey` is read lazily, by capillary-auth's handlers only).
   */
  readonly signingKey?: secretsmanager.ISecret;
  /** Seals tenant secrets in the table; every function reads tenants, so every function reads it. */
  readonly tenantSealingKey: secretsmanager.ISecret;
  readonly settings: OtpSettings;
  /** Prebuilt code instead of bundling the entry with esbuild (infrastructure tests). */
  readonly code?: lambda.Code;
}

/**
 * The DynamoDB actions the request paths call: GetItem, PutItem, UpdateItem and DeleteItem;
 * TransactWriteItems, whose Put, Update, Delete and ConditionCheck items IAM authorises as these
 * single-item actions (TransactWriteItems has no action of its own); and BatchGetItem, with which
 * a counter near its limit reads all its shards (shared/store/shards.ts). Nothing in a request
 * path scans the table (the one Scan is the admin CLI's `credential migrate`), so Scan is not
 * granted; Query only where a dialect lists records (DIALECT_TABLE_ACTIONS).
 * test/infra/otp-stack.test.ts derives the list from the commands under shared/.
 */
export const TABLE_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:BatchGetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:ConditionCheckItem',
];

/** Table actions of one dialect only: Twilio Verify lists a tenant's Services (one Query on its partition). */
export const DIALECT_TABLE_ACTIONS: Partial<Record<DialectId, string[]>> = {
  'twilio-verify': ['dynamodb:Query'],
};

/**
 * One dialect's Lambda function with its own role, log group and alarms. The role starts empty
 * (no AWS managed policy) and gets exactly the table, secret, log and channel permissions this
 * dialect needs.
 */
export class DialectFunction extends Construct {
  readonly fn: lambda.Function;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;
  readonly alarms: cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: DialectFunctionProps) {
    super(scope, id);
    const { dialect, settings } = props;
    const stack = Stack.of(this);

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: settings.destroyOnRemoval ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
    });

    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `OTP service ${dialect} function`,
    });

    const entry = path.join(PROJECT_ROOT, DIALECTS[dialect].entry);
    this.fn = new nodejs.NodejsFunction(this, 'Function', {
      description: DIALECTS[dialect].title,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 512,
      // Below API Gateway's 29 s integration limit so the function, not the gateway, answers; the
      // handler answers 503 on its own before this (shared/timeouts.ts has the whole budget).
      timeout: Duration.millis(LAMBDA_TIMEOUT_MS),
      tracing: lambda.Tracing.ACTIVE,
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      environment: {
        TABLE_NAME: props.table.tableName,
        PEPPER_SECRET_ARN: props.pepper.secretArn,
        ...(props.signingKey ? { SIGNING_KEY_SECRET_ARN: props.signingKey.secretArn } : {}),
        SEALING_KEY_SECRET_ARN: props.tenantSealingKey.secretArn,
        SES_FROM_ADDRESS: settings.sesFromAddress,
        POWERTOOLS_SERVICE_NAME: 'otp-service',
        POWERTOOLS_LOG_LEVEL: settings.logLevel,
        ...runtimeEnvironment(settings.sourceMaps),
        ...(settings.samLocal ? samLocalEnvironment(dialect) : {}),
      },
      ...(props.code
        ? { code: props.code, handler: 'index.handler' }
        : {
            entry,
            handler: 'handler',
            projectRoot: PROJECT_ROOT,
            depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
            bundling: bundlingOptions(settings.sourceMaps),
          }),
    });

    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.logGroup.logGroupArn],
      }),
    );
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: [...TABLE_ACTIONS, ...(DIALECT_TABLE_ACTIONS[dialect] ?? [])],
        resources: [props.table.tableArn],
      }),
    );
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['secretsmanager:GetSecretValue'],
        resources: [
          props.pepper.secretArn,
          props.tenantSealingKey.secretArn,
          ...(props.signingKey ? [props.signingKey.secretArn] : []),
        ],
      }),
    );
    const acknowledgements: Acknowledgment[] = [
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'Resource "*" is required by actions without resource-level permissions: X-Ray PutTraceSegments/PutTelemetryRecords (active tracing) and SNS Publish to a phone number (SMS OTP delivery).',
      },
    ];
    for (const channel of DIALECT_CHANNELS[dialect]) {
      const grant = channelGrant(stack, channel, settings.sesIdentityArn);
      for (const statement of grant.statements) this.role.addToPolicy(statement);
      acknowledgements.push(...grant.acknowledgements);
    }
    // Findings are acknowledged on this role's policy only, never stack-wide.
    const policy = this.role.node.findChild('DefaultPolicy');
    Validations.of(policy).acknowledge(...acknowledgements);

    this.alarms = [
      new cloudwatch.Alarm(this, 'ErrorsAlarm', {
        alarmDescription: `${dialect}: the function threw or timed out (unhandled errors; dialect errors are HTTP answers, not these)`,
        metric: this.fn.metricErrors({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      new cloudwatch.Alarm(this, 'ThrottlesAlarm', {
        alarmDescription: `${dialect}: invocations throttled by Lambda concurrency limits`,
        metric: this.fn.metricThrottles({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    ];
  }
}
