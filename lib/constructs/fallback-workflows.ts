import * as path from 'node:path';
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { LAMBDA_TIMEOUT_MS } from '../../shared/timeouts';
import { channelGrant } from '../channel-access';
import type { OtpSettings } from '../settings';
import { bundlingOptions, PROJECT_ROOT, runtimeEnvironment } from './dialect-function';

export interface FallbackWorkflowsProps {
  readonly table: dynamodb.ITable;
  readonly pepper: secretsmanager.ISecret;
  readonly tenantSealingKey: secretsmanager.ISecret;
  readonly settings: OtpSettings;
  /** Prebuilt code instead of bundling functions/fallback.ts (infrastructure tests). */
  readonly code?: lambda.Code | undefined;
}

/**
 * What a fallback step reads and writes: the tenant and the challenge (GetItem), the charges and
 * the step's claim (TransactWriteItems of Updates), the rollback of an undelivered step (Update),
 * and the shards of a counter near its limit (BatchGetItem, store/shards.ts). It never puts or
 * deletes an item.
 */
const TABLE_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:BatchGetItem',
  'dynamodb:UpdateItem',
  'dynamodb:ConditionCheckItem',
];

/**
 * Fallback workflows in AWS (README "Fallback workflows"):
 * - a schedule group that holds the one-time schedules of every pending step (each deleted after
 *   it runs);
 * - the fallback function, their target: it runs one step (shared/engine/fallback.ts) and
 *   schedules the next;
 * - the role EventBridge Scheduler assumes: trusted by `scheduler.amazonaws.com` of this account
 *   only, allowed to invoke the fallback function and nothing else.
 * Functions that issue codes get `grantSchedule`: CreateSchedule in this group and PassRole of
 * that role to Scheduler only.
 */
export class FallbackWorkflows extends Construct {
  readonly group: scheduler.ScheduleGroup;
  readonly fn: lambda.Function;
  readonly role: iam.Role;
  readonly schedulerRole: iam.Role;
  readonly alarms: cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: FallbackWorkflowsProps) {
    super(scope, id);
    const { settings } = props;
    const stack = Stack.of(this);
    const removalPolicy = settings.destroyOnRemoval ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;

    // Pending schedules are short-lived (minutes); the group goes with the stack.
    this.group = new scheduler.ScheduleGroup(this, 'Group', { removalPolicy: RemovalPolicy.DESTROY });

    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy,
    });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'OTP service fallback step function',
    });
    this.schedulerRole = new iam.Role(this, 'SchedulerRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
      description: 'EventBridge Scheduler: invokes the OTP fallback step function, nothing else',
    });

    this.fn = new nodejs.NodejsFunction(this, 'Function', {
      description: 'OTP fallback workflow step (target of EventBridge Scheduler one-time schedules)',
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 256,
      timeout: Duration.millis(LAMBDA_TIMEOUT_MS),
      tracing: lambda.Tracing.ACTIVE,
      role: this.role,
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      environment: {
        TABLE_NAME: props.table.tableName,
        PEPPER_SECRET_ARN: props.pepper.secretArn,
        SEALING_KEY_SECRET_ARN: props.tenantSealingKey.secretArn,
        SES_FROM_ADDRESS: settings.sesFromAddress,
        FALLBACK_SCHEDULE_GROUP: this.group.scheduleGroupName,
        FALLBACK_SCHEDULER_ROLE_ARN: this.schedulerRole.roleArn,
        POWERTOOLS_SERVICE_NAME: 'otp-service',
        POWERTOOLS_LOG_LEVEL: settings.logLevel,
        ...runtimeEnvironment(settings.sourceMaps),
      },
      ...(props.code
        ? { code: props.code, handler: 'index.handler' }
        : {
            entry: path.join(PROJECT_ROOT, 'functions/fallback.ts'),
            handler: 'handler',
            projectRoot: PROJECT_ROOT,
            depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
            bundling: bundlingOptions(settings.sourceMaps),
          }),
    });

    // Scheduler invokes this function, by its unqualified ARN, and no other.
    this.schedulerRole.addToPolicy(
      new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [this.fn.functionArn] }),
    );

    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [logGroup.logGroupArn],
      }),
    );
    this.role.addToPolicy(
      new iam.PolicyStatement({ actions: TABLE_ACTIONS, resources: [props.table.tableArn] }),
    );
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['secretsmanager:GetSecretValue'],
        resources: [props.pepper.secretArn, props.tenantSealingKey.secretArn],
      }),
    );
    // The channels a step may use (shared/tenants.ts FALLBACK_CHANNELS).
    const acknowledgements = [
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'Resource "*" is required by actions without resource-level permissions: X-Ray PutTraceSegments/PutTelemetryRecords (active tracing) and SNS Publish to a phone number (SMS OTP delivery).',
      },
    ];
    for (const channel of ['sms', 'email', 'voice'] as const) {
      const grant = channelGrant(stack, channel, settings.sesIdentityArn);
      for (const statement of grant.statements) this.role.addToPolicy(statement);
      acknowledgements.push(...grant.acknowledgements);
    }
    Validations.of(this.role.node.findChild('DefaultPolicy')).acknowledge(...acknowledgements);
    // The function schedules the step after its own; it knows its ARN from its invocation context.
    this.grantScheduleTo('Self', this.role);

    this.alarms = [
      new cloudwatch.Alarm(this, 'ErrorsAlarm', {
        alarmDescription: 'fallback: a step threw or timed out (Scheduler retries it; the step runs once)',
        metric: this.fn.metricErrors({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    ];
  }

  /** CreateSchedule in this group, and PassRole of the scheduler role to Scheduler only. */
  private grantScheduleTo(id: string, role: iam.IRole): void {
    const policy = new iam.Policy(this, `Schedule${id}`, {
      roles: [role],
      statements: [
        new iam.PolicyStatement({
          actions: ['scheduler:CreateSchedule'],
          resources: [
            Stack.of(this).formatArn({
              service: 'scheduler',
              resource: 'schedule',
              resourceName: `${this.group.scheduleGroupName}/*`,
            }),
          ],
        }),
        new iam.PolicyStatement({
          actions: ['iam:PassRole'],
          resources: [this.schedulerRole.roleArn],
          conditions: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
        }),
      ],
    });
    // The group's name is generated at synth time, so cdk-nag names the one wildcard exactly.
    const groupName = String(Stack.of(this).resolve(this.group.scheduleGroupName));
    Validations.of(policy).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:schedule/${groupName}/*]`,
      reason:
        "Schedule names are made per code and step at run time (otp-fallback-<id>-<step>); CreateSchedule is limited to this stack's schedule group.",
    });
  }

  /** Lets a function that issues codes start workflows: the three variables and the grant. */
  grantSchedule(fn: lambda.Function, role: iam.IRole): void {
    fn.addEnvironment('FALLBACK_SCHEDULE_GROUP', this.group.scheduleGroupName);
    fn.addEnvironment('FALLBACK_FUNCTION_ARN', this.fn.functionArn);
    fn.addEnvironment('FALLBACK_SCHEDULER_ROLE_ARN', this.schedulerRole.roleArn);
    this.grantScheduleTo(fn.node.scope?.node.id ?? fn.node.id, role);
  }
}
