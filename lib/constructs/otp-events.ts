import * as path from 'node:path';
import { CfnOutput, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as ses from 'aws-cdk-lib/aws-ses';
import * as smsvoice from 'aws-cdk-lib/aws-smsvoice';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { WHATSAPP_MESSAGE_PREFIX } from '../../shared/store/whatsapp-messages';
import { LAMBDA_TIMEOUT_MS } from '../../shared/timeouts';
import { bundlingOptions, PROJECT_ROOT, runtimeEnvironment } from './dialect-function';

/** The SES events that are receipts (SES's EventBridge detail-types for them). */
export const SES_RECEIPT_DETAIL_TYPES = [
  'Email Delivered',
  'Email Bounced',
  'Email Complaint Received',
  'Email Rejected',
];

/** SMS-Voice v2 resources SendTextMessage is authorised on besides the configuration set. */
const IDENTITY_TYPES = ['phone-number', 'pool', 'sender-id', 'opt-out-list'] as const;

/** The Social Messaging events that settle a WhatsApp message (`sent` does not). */
export const WHATSAPP_RECEIPT_DETAIL_TYPES = [
  'WhatsApp Message Delivered',
  'WhatsApp Message Read',
  'WhatsApp Message Failed',
  'WhatsApp Message Undeliverable',
];

export interface OtpEventsProps {
  readonly table: dynamodb.ITable;
  readonly destroyOnRemoval: boolean;
  /** Ship a source map and run with `--enable-source-maps` (`-c sourceMaps=true`). */
  readonly sourceMaps: boolean;
  /** Prebuilt code for the receipt function instead of bundling (infrastructure tests). */
  readonly receiptsCode?: lambda.Code | undefined;
}

/**
 * Lifecycle events and the receipt path (README, "Events and receipts"):
 * - the service's own EventBridge bus, which the dialect functions `PutEvents` to (and nothing else);
 * - an SES configuration set whose EventBridge destination reports delivery, bounce, complaint and
 *   reject (SES publishes to the account's default bus only), and a rule there for the receipt
 *   function;
 * - an SMS-Voice v2 configuration set (voice calls, and SMS sent through End User Messaging) whose
 *   SNS event destination carries each message's context to the receipt function;
 * - the receipt function: records the last status per channel on the challenge (UpdateItem only)
 *   and publishes `otp.delivered` / `otp.delivery_failed` to the bus.
 */
export class OtpEvents extends Construct {
  readonly bus: events.EventBus;
  readonly sesConfigurationSet: ses.ConfigurationSet;
  readonly smsVoiceConfigurationSet: smsvoice.CfnConfigurationSet;
  readonly receiptFunction: lambda.Function;

  constructor(scope: Construct, id: string, props: OtpEventsProps) {
    super(scope, id);
    const removalPolicy = props.destroyOnRemoval ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;

    this.bus = new events.EventBus(this, 'Bus', { description: 'OTP lifecycle events (source otp-service)' });

    this.sesConfigurationSet = new ses.ConfigurationSet(this, 'SesReceipts', {});
    this.sesConfigurationSet.addEventDestination('ToEventBridge', {
      destination: ses.EventDestination.eventBus(
        events.EventBus.fromEventBusName(this, 'DefaultBus', 'default'),
      ),
      events: [
        ses.EmailSendingEvent.DELIVERY,
        ses.EmailSendingEvent.BOUNCE,
        ses.EmailSendingEvent.COMPLAINT,
        ses.EmailSendingEvent.REJECT,
      ],
    });

    // Encrypted with the AWS-managed SNS key would lock End User Messaging out of publishing; a key
    // of our own lets the service principal use it and nothing else.
    const receiptTopic = new sns.Topic(this, 'SmsVoiceReceipts', { enforceSSL: true });
    receiptTopic.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('sms-voice.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [receiptTopic.topicArn],
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
    );
    // A WABA's event destination may be this topic too (WhatsApp statuses, output ReceiptTopicArn).
    receiptTopic.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('social-messaging.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [receiptTopic.topicArn],
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
    );
    new CfnOutput(Stack.of(this), 'ReceiptTopicArn', {
      description:
        'SNS topic of delivery receipts: set it as the event destination of a WhatsApp Business Account for WhatsApp statuses (optional; the default-bus rule already gets them)',
      value: receiptTopic.topicArn,
    });
    Validations.of(receiptTopic).acknowledge({
      id: 'AwsSolutions-SNS2',
      reason:
        'Delivery receipts carry no code and no message text; the topic only relays End User Messaging SMS/voice status events (masked before they leave the receipt function) and enforces TLS.',
    });

    this.smsVoiceConfigurationSet = new smsvoice.CfnConfigurationSet(this, 'SmsVoiceConfigurationSet', {
      eventDestinations: [
        {
          eventDestinationName: 'receipts',
          enabled: true,
          // Final outcomes of texts and calls; the receipt function skips non-final ones anyway.
          matchingEventTypes: ['TEXT_ALL', 'VOICE_ALL'],
          snsDestination: { topicArn: receiptTopic.topicArn },
        },
      ],
    });

    const logGroup = new logs.LogGroup(this, 'ReceiptLogs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy,
    });
    const role = new iam.Role(this, 'ReceiptRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'OTP service receipt function',
    });
    this.receiptFunction = new nodejs.NodejsFunction(this, 'ReceiptFunction', {
      description: 'Delivery receipts (SES, End User Messaging) to challenge status and lifecycle events',
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 256,
      timeout: Duration.millis(LAMBDA_TIMEOUT_MS),
      tracing: lambda.Tracing.ACTIVE,
      role,
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      environment: {
        TABLE_NAME: props.table.tableName,
        OTP_EVENT_BUS_NAME: this.bus.eventBusName,
        POWERTOOLS_SERVICE_NAME: 'otp-service',
        ...runtimeEnvironment(props.sourceMaps),
      },
      ...(props.receiptsCode
        ? { code: props.receiptsCode, handler: 'index.handler' }
        : {
            entry: path.join(PROJECT_ROOT, 'functions/receipts.ts'),
            handler: 'handler',
            projectRoot: PROJECT_ROOT,
            depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
            bundling: bundlingOptions(props.sourceMaps),
          }),
    });
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [logGroup.logGroupArn],
      }),
    );
    // Receipts only ever update the challenge they name (a conditional UpdateItem).
    role.addToPolicy(
      new iam.PolicyStatement({ actions: ['dynamodb:UpdateItem'], resources: [props.table.tableArn] }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({ actions: ['events:PutEvents'], resources: [this.bus.eventBusArn] }),
    );
    // WhatsApp statuses name a message id: the function reads the id → code items and no others.
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:GetItem'],
        resources: [props.table.tableArn],
        conditions: {
          'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${WHATSAPP_MESSAGE_PREFIX}*`] },
        },
      }),
    );

    const deadLetters = new sqs.Queue(this, 'ReceiptDeadLetters', {
      enforceSSL: true,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(deadLetters).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is the dead-letter queue of the receipt rule and subscription; it has none of its own.',
    });
    new events.Rule(this, 'SesReceiptRule', {
      description: 'SES delivery, bounce, complaint and reject events to the receipt function',
      eventPattern: { source: ['aws.ses'], detailType: SES_RECEIPT_DETAIL_TYPES },
      targets: [
        new targets.LambdaFunction(this.receiptFunction, { deadLetterQueue: deadLetters, retryAttempts: 8 }),
      ],
    });
    new events.Rule(this, 'WhatsAppReceiptRule', {
      description: 'WhatsApp delivered, read, failed and undeliverable statuses to the receipt function',
      eventPattern: { source: ['aws.social-messaging'], detailType: WHATSAPP_RECEIPT_DETAIL_TYPES },
      targets: [
        new targets.LambdaFunction(this.receiptFunction, { deadLetterQueue: deadLetters, retryAttempts: 8 }),
      ],
    });
    receiptTopic.addSubscription(
      new subscriptions.LambdaSubscription(this.receiptFunction, { deadLetterQueue: deadLetters }),
    );

    Validations.of(role.node.findChild('DefaultPolicy')).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'X-Ray PutTraceSegments/PutTelemetryRecords (active tracing) have no resource-level permissions.',
    });
  }

  /**
   * Lets a dialect function send SMS through End User Messaging (`smsProvider`): SendTextMessage
   * on this stack's configuration set (the only one it may name, so every text it sends reports
   * its receipt) and on the account's origination identities, which tenants choose at run time.
   */
  grantTextMessages(fn: lambda.Function, role: iam.IRole): void {
    fn.addEnvironment('SMS_PROVIDER', 'end-user-messaging');
    const stack = Stack.of(this);
    const identities = IDENTITY_TYPES.map((resource) =>
      stack.formatArn({ service: 'sms-voice', resource, resourceName: '*' }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['sms-voice:SendTextMessage'],
        resources: [this.smsVoiceConfigurationSet.attrArn, ...identities],
      }),
    );
    // On the role's policy, where the finding is raised (never stack-wide).
    const policy = role.node.tryFindChild('DefaultPolicy') ?? role;
    Validations.of(policy).acknowledge(
      ...IDENTITY_TYPES.map((type) => ({
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:sms-voice:<AWS::Region>:<AWS::AccountId>:${type}/*]`,
        reason: `SendTextMessage is authorised on the origination identity each tenant configures at run time; this covers the ${type} resources of this account and region, for this one action (the configuration set is the stack's own).`,
      })),
    );
  }

  /** Lets a dialect function publish lifecycle events and send with the receipt configuration sets. */
  grantPublish(fn: lambda.Function, role: iam.IRole): void {
    fn.addEnvironment('OTP_EVENT_BUS_NAME', this.bus.eventBusName);
    fn.addEnvironment('SES_CONFIGURATION_SET', this.sesConfigurationSet.configurationSetName);
    fn.addEnvironment('SMS_VOICE_CONFIGURATION_SET', this.smsVoiceConfigurationSet.ref);
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['events:PutEvents'], resources: [this.bus.eventBusArn] }),
    );
  }
}
