import { Duration, Fn, Stack, Validations } from 'aws-cdk-lib';
import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { DIMENSIONS, type MetricName } from '../../shared/events/metrics';

export interface OtpOperationsProps {
  /** The functions whose metrics the dashboard shows; each gets the metrics namespace. */
  readonly functions: Readonly<Record<string, lambda.Function>>;
  readonly api: apigateway.RestApi;
  readonly table: dynamodb.ITable;
  readonly webAcl: wafv2.CfnWebACL;
  /** Alarms made elsewhere (function errors, API 5xx) that get the same alarm action. */
  readonly alarms: readonly cloudwatch.Alarm[];
  readonly wafBlockAlarmThreshold: number;
  readonly smsFailureAlarmThreshold: number;
  /** Existing SNS topic for alarm notifications. */
  readonly alarmTopicArn?: string | undefined;
  /** An address to subscribe to a new alarm topic of this stack. */
  readonly alarmEmail?: string | undefined;
}

const FIVE_MINUTES = Duration.minutes(5);

/** `OtpService/<stack name>`: each stack (stage) its own namespace, so stages never mix. */
export const metricsNamespace = (stack: Stack): string => `OtpService/${stack.stackName}`;

/**
 * Operating the service: the metrics namespace of the functions, a CloudWatch dashboard (the OTP
 * lifecycle metrics of shared/events/metrics.ts; Lambda errors and duration; API Gateway 4xx/5xx;
 * DynamoDB throttles; WAF blocks) and the alarms on WAF blocks, DynamoDB throttles and failed SMS,
 * all with one optional action: an existing SNS topic, or a new one with an e-mail subscription.
 */
export class OtpOperations extends Construct {
  readonly dashboard: cloudwatch.Dashboard;
  readonly namespace: string;
  readonly alarms: {
    wafBlocks: cloudwatch.Alarm;
    tableThrottles: cloudwatch.Alarm;
    smsFailures: cloudwatch.Alarm;
  };
  readonly alarmTopic: sns.ITopic | undefined;

  constructor(scope: Construct, id: string, props: OtpOperationsProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.namespace = metricsNamespace(stack);
    const functions = Object.entries(props.functions);
    for (const [, fn] of functions) fn.addEnvironment('POWERTOOLS_METRICS_NAMESPACE', this.namespace);

    /** One of the OTP metrics, summed, under exactly these dimensions (plus `service`). */
    const otp = (name: MetricName, dimensions: Record<string, string> = {}, period = FIVE_MINUTES) =>
      new cloudwatch.Metric({
        namespace: this.namespace,
        metricName: name,
        dimensionsMap: { service: 'otp-service', ...dimensions },
        statistic: cloudwatch.Stats.SUM,
        period,
        label: [name, ...Object.values(dimensions)].join(' '),
      });
    /** Every series of one OTP metric split by `dimensions` (a SEARCH: countries appear as they are sent to). */
    const search = (name: MetricName, dimensions: string[], label: string) =>
      new cloudwatch.MathExpression({
        expression: `SEARCH('{${this.namespace},service,${dimensions.join(',')}} MetricName="${name}"', 'Sum', 300)`,
        label,
        period: FIVE_MINUTES,
      });

    // The web ACL's Ref is `name|id|scope`; its metrics are keyed by the (generated) name.
    const webAclName = Fn.select(0, Fn.split('|', props.webAcl.ref));
    const wafBlocked = new cloudwatch.Metric({
      namespace: 'AWS/WAFV2',
      metricName: 'BlockedRequests',
      dimensionsMap: { WebACL: webAclName, Region: stack.region, Rule: 'ALL' },
      statistic: cloudwatch.Stats.SUM,
      period: FIVE_MINUTES,
      label: 'WAF blocked',
    });
    const tableMetric = (metricName: string) =>
      new cloudwatch.Metric({
        namespace: 'AWS/DynamoDB',
        metricName,
        dimensionsMap: { TableName: props.table.tableName },
        statistic: cloudwatch.Stats.SUM,
        period: FIVE_MINUTES,
      });
    const throttles = new cloudwatch.MathExpression({
      expression: 'FILL(r, 0) + FILL(w, 0)',
      usingMetrics: { r: tableMetric('ReadThrottleEvents'), w: tableMetric('WriteThrottleEvents') },
      label: 'DynamoDB throttle events',
      period: FIVE_MINUTES,
    });
    const sms = { [DIMENSIONS.channel]: 'SMS' };
    const quarterHour = Duration.minutes(15);
    const smsFailed = new cloudwatch.MathExpression({
      expression: 'FILL(s, 0) + FILL(d, 0)',
      usingMetrics: {
        s: otp('SendFailed', sms, quarterHour),
        d: otp('DeliveryFailed', sms, quarterHour),
      },
      label: 'SMS failed (at send or by receipt)',
      period: quarterHour,
    });

    const alarm = (alarmId: string, description: string, metric: cloudwatch.IMetric, threshold: number) =>
      new cloudwatch.Alarm(this, alarmId, {
        alarmDescription: description,
        metric,
        threshold,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    this.alarms = {
      wafBlocks: alarm(
        'WafBlocksAlarm',
        `WAF blocked ${props.wafBlockAlarmThreshold}+ requests in 5 minutes (anonymous auth routes over their per-IP limit, oversized bodies, common rule set): an attack or a misbehaving client`,
        wafBlocked,
        props.wafBlockAlarmThreshold,
      ),
      tableThrottles: alarm(
        'TableThrottlesAlarm',
        'DynamoDB throttled reads or writes of the OTP table: requests answer 503 with Retry-After while it lasts',
        throttles,
        1,
      ),
      smsFailures: alarm(
        'SmsFailuresAlarm',
        `${props.smsFailureAlarmThreshold}+ SMS failed in 15 minutes (refused at send or reported failed by a receipt): spend limit reached, sandbox, origination identity or carrier filtering`,
        smsFailed,
        props.smsFailureAlarmThreshold,
      ),
    };

    this.alarmTopic = this.alarmTopicOf(props);
    if (this.alarmTopic) {
      const action = new cloudwatchActions.SnsAction(this.alarmTopic);
      for (const a of [...props.alarms, ...Object.values(this.alarms)]) a.addAlarmAction(action);
    }

    const stage = props.api.deploymentStage;
    const wide = 12;
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.hours(6),
      widgets: [
        [
          new cloudwatch.TextWidget({
            markdown: `## OTP service (${stack.stackName})\nLifecycle counts come from the lifecycle events (namespace \`${this.namespace}\`). Per-tenant counts: CloudWatch Logs Insights on the functions' EMF lines (\`tenant\` field).`,
            width: 24,
            height: 2,
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Codes: issued, sent, delivered, verified',
            width: wide,
            left: [
              otp('Issued'),
              otp('Verified'),
              otp('VerifyFailed'),
              otp('Expired'),
              otp('MaxAttemptsReached'),
            ],
          }),
          new cloudwatch.GraphWidget({
            title: 'Sent, delivered and failed by channel',
            width: wide,
            left: [
              search('Sent', [DIMENSIONS.channel], 'Sent'),
              search('Delivered', [DIMENSIONS.channel], 'Delivered'),
              search('SendFailed', [DIMENSIONS.channel], 'SendFailed'),
              search('DeliveryFailed', [DIMENSIONS.channel], 'DeliveryFailed'),
            ],
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Sent by channel and country',
            width: wide,
            left: [search('Sent', [DIMENSIONS.channel, DIMENSIONS.country], 'Sent')],
          }),
          new cloudwatch.GraphWidget({
            title: 'Refused by reason and rule',
            width: wide,
            left: [search('Refused', [DIMENSIONS.reason, DIMENSIONS.rule], 'Refused')],
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Lambda errors',
            width: wide,
            left: functions.map(([name, fn]) =>
              fn.metricErrors({ period: FIVE_MINUTES, statistic: cloudwatch.Stats.SUM, label: name }),
            ),
          }),
          new cloudwatch.GraphWidget({
            title: 'Lambda duration p99 (ms)',
            width: wide,
            left: functions.map(([name, fn]) =>
              fn.metricDuration({ period: FIVE_MINUTES, statistic: cloudwatch.Stats.p(99), label: name }),
            ),
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'API Gateway 4xx / 5xx',
            width: wide,
            left: [
              stage.metricClientError({
                period: FIVE_MINUTES,
                statistic: cloudwatch.Stats.SUM,
                label: '4xx',
              }),
              stage.metricServerError({
                period: FIVE_MINUTES,
                statistic: cloudwatch.Stats.SUM,
                label: '5xx',
              }),
            ],
            right: [
              stage.metricCount({ period: FIVE_MINUTES, statistic: cloudwatch.Stats.SUM, label: 'requests' }),
            ],
          }),
          new cloudwatch.GraphWidget({
            title: 'DynamoDB throttles and WAF blocks',
            width: wide,
            left: [throttles],
            right: [wafBlocked],
          }),
        ],
        [
          new cloudwatch.AlarmStatusWidget({
            title: 'Alarms',
            width: 24,
            alarms: [...Object.values(this.alarms), ...props.alarms],
          }),
        ],
      ],
    });
  }

  /**
   * The alarm action's topic: the operator's (`alarmTopicArn`), else a new one when `alarmEmail` is
   * given, else none. `alarmEmail` is subscribed to whichever topic it is (SNS asks it to confirm).
   */
  private alarmTopicOf(props: OtpOperationsProps): sns.ITopic | undefined {
    let topic: sns.ITopic | undefined;
    if (props.alarmTopicArn) topic = sns.Topic.fromTopicArn(this, 'AlarmTopic', props.alarmTopicArn);
    else if (props.alarmEmail) {
      const own = new sns.Topic(this, 'Alarms', { displayName: 'OTP service alarms', enforceSSL: true });
      Validations.of(own).acknowledge({
        id: 'AwsSolutions-SNS2',
        reason:
          'Alarm notifications carry alarm names, descriptions and metric values only (no code, no recipient); CloudWatch cannot publish to a topic under the AWS-managed SNS key, and the topic enforces TLS.',
      });
      topic = own;
    }
    if (topic && props.alarmEmail)
      topic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
    return topic;
  }
}
