import { describe, expect, it } from '@jest/globals';
import { Match } from 'aws-cdk-lib/assertions';
import { SES_RECEIPT_DETAIL_TYPES, WHATSAPP_RECEIPT_DETAIL_TYPES } from '../../lib/constructs/otp-events';
import { DIALECT_IDS } from '../../lib/otp-stack';
import { onlyId, resourcesOf, synthStack } from './synth';

const { template } = synthStack();
const busId = onlyId(template.findResources('AWS::Events::EventBus'), 'event bus');
const tableId = onlyId(template.findResources('AWS::DynamoDB::Table'), 'table');
const busArn = { 'Fn::GetAtt': [busId, 'Arn'] };

type Statement = { Action: string | string[]; Resource: unknown; Effect: string; Condition?: unknown };
/** Every statement of the policies attached to the role whose logical id starts with `rolePrefix`. */
const statementsOf = (rolePrefix: string): Statement[] =>
  Object.values(resourcesOf(template, 'AWS::IAM::Policy'))
    .filter((p) =>
      ((p.Properties?.Roles ?? []) as Array<{ Ref: string }>).some((r) => r.Ref.startsWith(rolePrefix)),
    )
    .flatMap(
      (p) => (p.Properties?.PolicyDocument as { Statement: Statement[] } | undefined)?.Statement ?? [],
    );
const actions = (s: Statement) => [s.Action].flat();
const putEvents = (statements: Statement[]) =>
  statements.filter((s) => actions(s).includes('events:PutEvents'));

/** The service principals the receipt topic lets publish (CDK may merge them into one statement). */
const topicPublishers = (): string[] =>
  Object.values(resourcesOf(template, 'AWS::SNS::TopicPolicy')).flatMap((p) =>
    (
      (p.Properties?.PolicyDocument as { Statement?: Array<Record<string, unknown>> } | undefined)
        ?.Statement ?? []
    )
      .filter((st) => st.Effect === 'Allow' && st.Action === 'sns:Publish')
      .flatMap((st) => [(st.Principal as { Service?: string | string[] } | undefined)?.Service ?? []].flat()),
  );

describe('OtpServiceStack events', () => {
  describe('bus', () => {
    it('creates one bus of its own and outputs its name', () => {
      template.hasOutput('EventBusName', { Value: { Ref: busId } });
    });

    it.each(DIALECT_IDS)(
      'lets the %s function put events to that bus only, and tells it the bus',
      (dialect) => {
        const prefix = `Fn${dialect.replace(/-/g, '')}Role`;
        const grants = putEvents(statementsOf(prefix));
        expect(grants).toEqual([expect.objectContaining({ Effect: 'Allow', Resource: busArn })]);
        expect(actions(grants[0] as Statement)).toEqual(['events:PutEvents']);
        template.hasResourceProperties('AWS::Lambda::Function', {
          Role: { 'Fn::GetAtt': [Match.stringLikeRegexp(`^${prefix}`), 'Arn'] },
          Environment: {
            Variables: Match.objectLike({
              OTP_EVENT_BUS_NAME: { Ref: busId },
              SES_CONFIGURATION_SET: Match.anyValue(),
              SMS_VOICE_CONFIGURATION_SET: Match.anyValue(),
            }),
          },
        });
      },
    );
  });

  describe('receipts', () => {
    it('has an SES configuration set reporting delivery, bounce, complaint and reject to EventBridge', () => {
      template.resourceCountIs('AWS::SES::ConfigurationSet', 1);
      template.hasResourceProperties('AWS::SES::ConfigurationSetEventDestination', {
        EventDestination: {
          Enabled: true,
          MatchingEventTypes: Match.arrayEquals(['delivery', 'bounce', 'complaint', 'reject']),
          EventBridgeDestination: { EventBusArn: Match.anyValue() },
        },
      });
    });

    it('routes the SES receipt events of the default bus to the receipt function, with a dead-letter queue', () => {
      template.hasResourceProperties('AWS::Events::Rule', {
        EventPattern: { source: ['aws.ses'], 'detail-type': SES_RECEIPT_DETAIL_TYPES },
        Targets: [
          Match.objectLike({ DeadLetterConfig: { Arn: Match.anyValue() }, RetryPolicy: Match.anyValue() }),
        ],
      });
      expect(
        Object.values(resourcesOf(template, 'AWS::Events::Rule')).every(
          (r) => r.Properties?.EventBusName === undefined,
        ),
      ).toBe(true);
    });

    it('has an SMS-Voice configuration set whose SNS destination the receipt function subscribes to', () => {
      template.hasResourceProperties('AWS::SMSVOICE::ConfigurationSet', {
        EventDestinations: [
          Match.objectLike({
            Enabled: true,
            MatchingEventTypes: ['TEXT_ALL', 'VOICE_ALL'],
            SnsDestination: { TopicArn: Match.anyValue() },
          }),
        ],
      });
      template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'lambda' });
      expect(topicPublishers()).toContain('sms-voice.amazonaws.com');
    });

    it('lets the receipt function read only the WhatsApp message-id items (GetItem on WAMSG# keys)', () => {
      const reads = statementsOf('EventsReceiptRole').filter((s) => actions(s).includes('dynamodb:GetItem'));
      expect(reads).toEqual([
        expect.objectContaining({
          Resource: { 'Fn::GetAtt': [tableId, 'Arn'] },
          Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['WAMSG#*'] } },
        }),
      ]);
    });

    it('routes WhatsApp settling statuses of the default bus to the receipt function, with a dead-letter queue', () => {
      template.hasResourceProperties('AWS::Events::Rule', {
        EventPattern: { source: ['aws.social-messaging'], 'detail-type': WHATSAPP_RECEIPT_DETAIL_TYPES },
        Targets: [Match.objectLike({ DeadLetterConfig: { Arn: Match.anyValue() } })],
      });
      expect(WHATSAPP_RECEIPT_DETAIL_TYPES).not.toContain('WhatsApp Message Sent');
    });

    it('lets Social Messaging publish WhatsApp statuses to the receipt topic, and outputs it', () => {
      expect(topicPublishers()).toContain('social-messaging.amazonaws.com');
      template.hasOutput('ReceiptTopicArn', {});
    });

    it('gives the receipt function UpdateItem on the table and PutEvents on the bus, nothing more', () => {
      const statements = statementsOf('EventsReceiptRole').filter(
        (s) => !actions(s).some((a) => a.startsWith('xray:')),
      );
      expect(statements.map((s) => [actions(s), s.Resource])).toEqual(
        expect.arrayContaining([
          [['dynamodb:UpdateItem'], { 'Fn::GetAtt': [tableId, 'Arn'] }],
          [['events:PutEvents'], busArn],
        ]),
      );
      const all = statements.flatMap(actions).sort();
      expect(all).toEqual([
        'dynamodb:GetItem',
        'dynamodb:UpdateItem',
        'events:PutEvents',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
      ]);
    });
  });
});
