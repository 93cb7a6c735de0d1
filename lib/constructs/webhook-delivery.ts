import { Duration, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export interface WebhookDeliveryProps {
  /** The service's lifecycle bus; webhook rules live on it. */
  readonly bus: events.IEventBus;
}

/**
 * What every tenant webhook shares, created once per stack whether or not a tenant has one yet
 * (README, "Webhooks"):
 * - the dead-letter queue EventBridge moves an event to after its retries (SQS-managed
 *   encryption, TLS only, 14 days), with an alarm on its first message;
 * - the role EventBridge assumes to call API destinations, limited to `events:InvokeApiDestination`
 *   on this stack's webhook destinations;
 * - the name prefix of webhooks the admin CLI creates, so the role and the queue policy can name
 *   them before they exist, and two stacks in one account keep apart.
 */
export class WebhookDelivery extends Construct {
  readonly deadLetterQueue: sqs.Queue;
  readonly role: iam.Role;
  readonly namePrefix: string;
  readonly deadLetterAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: WebhookDeliveryProps) {
    super(scope, id);
    const stack = Stack.of(this);
    // EventBridge names allow 64 characters; the tenant id follows the prefix.
    this.namePrefix = `${stack.stackName.replace(/[^.\-_A-Za-z0-9]/g, '').slice(0, 24)}-wh-`;

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetters', {
      enforceSSL: true,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is the dead-letter queue of the webhook rules; it has none of its own.',
    });
    // CLI-made rules do not exist at deploy time: allow this stack's webhook rules by name.
    this.deadLetterQueue.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('events.amazonaws.com')],
        actions: ['sqs:SendMessage'],
        resources: [this.deadLetterQueue.queueArn],
        conditions: {
          ArnLike: {
            'aws:SourceArn': stack.formatArn({
              service: 'events',
              resource: 'rule',
              resourceName: `${props.bus.eventBusName}/${this.namePrefix}*`,
            }),
          },
        },
      }),
    );

    this.role = new iam.Role(this, 'InvokeRole', {
      assumedBy: new iam.ServicePrincipal('events.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
      description: 'EventBridge calls tenant webhooks (API destinations) with this role',
    });
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['events:InvokeApiDestination'],
        resources: [
          stack.formatArn({
            service: 'events',
            resource: 'api-destination',
            resourceName: `${this.namePrefix}*`,
          }),
        ],
      }),
    );
    Validations.of(this.role.node.findChild('DefaultPolicy')).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:events:<AWS::Region>:<AWS::AccountId>:api-destination/${this.namePrefix}*]`,
      reason:
        'Tenant webhooks are API destinations the admin CLI creates at run time under this prefix (their ARNs end in a generated id); the role may invoke only those.',
    });

    this.deadLetterAlarm = new cloudwatch.Alarm(this, 'DeadLettersAlarm', {
      alarmDescription:
        'A tenant webhook event exhausted its retries (endpoint down, or its credentials refused): see README, Webhooks',
      metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(5),
        statistic: 'Maximum',
      }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  }
}
