import { describe, expect, it } from '@jest/globals';
import { Match } from 'aws-cdk-lib/assertions';
import { onlyId, resourcesOf, synthStack } from './synth';

const SECRET = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:acme-hook-AbCdEf';
const ACME = { tenant: 'acme', url: 'https://hooks.acme.example/otp', auth: 'api-key', secretArn: SECRET };
const BETA = {
  tenant: 'beta',
  url: 'https://beta.example/hooks',
  auth: 'basic',
  username: 'otp',
  secretArn: SECRET,
  eventTypes: ['otp.delivered', 'otp.delivery_failed'],
};

const { template } = synthStack({ webhooks: [ACME, BETA] });
const busId = onlyId(template.findResources('AWS::Events::EventBus'), 'event bus');
const queueId = onlyId(resourcesOfPrefix('AWS::SQS::Queue', 'WebhooksDeadLetters'), 'webhook DLQ');
const roleId = onlyId(resourcesOfPrefix('AWS::IAM::Role', 'WebhooksInvokeRole'), 'webhook role');

/** The statements of a policy document (none when there is no document). */
const statementsIn = (document: unknown): Array<Record<string, unknown>> =>
  (document as { Statement?: Array<Record<string, unknown>> } | undefined)?.Statement ?? [];

function resourcesOfPrefix(type: string, prefix: string) {
  return Object.fromEntries(
    Object.entries(resourcesOf(template, type)).filter(([id]) => id.startsWith(prefix)),
  );
}

describe('OtpServiceStack webhooks', () => {
  describe('shared delivery', () => {
    it('has an encrypted, TLS-only dead-letter queue with an alarm on its first message', () => {
      expect(resourcesOf(template, 'AWS::SQS::Queue')[queueId]?.Properties).toMatchObject({
        SqsManagedSseEnabled: true,
        MessageRetentionPeriod: 14 * 24 * 3600,
      });
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queueId, 'QueueName'] } }],
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      });
    });

    it("lets EventBridge send to the queue only from this stack's webhook rules", () => {
      const policy = Object.values(resourcesOf(template, 'AWS::SQS::QueuePolicy')).find((p) =>
        JSON.stringify(p.Properties?.Queues).includes(queueId),
      );
      const statements = statementsIn(policy?.Properties?.PolicyDocument);
      const allows = statements.filter((s) => s.Effect === 'Allow');
      expect(allows.length).toBe(3); // the prefix (CLI-made rules) and one per context webhook
      for (const s of allows) {
        expect(s).toMatchObject({
          Principal: { Service: 'events.amazonaws.com' },
          Action: 'sqs:SendMessage',
        });
        expect(JSON.stringify(s.Condition)).toMatch(/ArnLike|ArnEquals/);
      }
      expect(JSON.stringify(allows[0]?.Condition)).toContain(':rule/');
      expect(JSON.stringify(allows[0]?.Condition)).toContain(`{"Ref":"${busId}"},"/OtpServiceStack-wh-*"`);
      expect(statements).toContainEqual(
        expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      );
    });

    it('gives the invoke role events:InvokeApiDestination on webhook destinations only', () => {
      template.hasResourceProperties('AWS::IAM::Role', {
        AssumeRolePolicyDocument: {
          Statement: [
            Match.objectLike({
              Principal: { Service: 'events.amazonaws.com' },
              Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
            }),
          ],
        },
      });
      const policies = Object.values(resourcesOf(template, 'AWS::IAM::Policy')).filter((p) =>
        JSON.stringify(p.Properties?.Roles).includes(roleId),
      );
      const statements = policies.flatMap((p) => statementsIn(p.Properties?.PolicyDocument));
      expect(statements.map((s) => s.Action)).toEqual(['events:InvokeApiDestination']);
      const resources = JSON.stringify(statements[0]?.Resource);
      expect(resources).toContain(':api-destination/OtpServiceStack-wh-*');
      expect(resources).not.toMatch(/api-destination\/\*"|"\*"/);
    });

    it('outputs what `admin webhook put` needs', () => {
      template.hasOutput('WebhookRoleArn', { Value: { 'Fn::GetAtt': [roleId, 'Arn'] } });
      template.hasOutput('WebhookDeadLetterQueueArn', { Value: { 'Fn::GetAtt': [queueId, 'Arn'] } });
      template.hasOutput('WebhookNamePrefix', { Value: 'OtpServiceStack-wh-' });
    });
  });

  describe('tenant webhooks from the context', () => {
    it('makes an API-key connection whose key CloudFormation resolves from Secrets Manager', () => {
      template.hasResourceProperties('AWS::Events::Connection', {
        AuthorizationType: 'API_KEY',
        AuthParameters: {
          ApiKeyAuthParameters: {
            ApiKeyName: 'x-otp-webhook-key',
            ApiKeyValue: `{{resolve:secretsmanager:${SECRET}:SecretString:::}}`,
          },
        },
      });
      template.hasResourceProperties('AWS::Events::Connection', {
        AuthorizationType: 'BASIC',
        AuthParameters: {
          BasicAuthParameters: { Username: 'otp', Password: Match.stringLikeRegexp('^{{resolve:') },
        },
      });
    });

    it('points an API destination at each URL with POST', () => {
      for (const url of [ACME.url, BETA.url])
        template.hasResourceProperties('AWS::Events::ApiDestination', {
          InvocationEndpoint: url,
          HttpMethod: 'POST',
          ConnectionArn: { 'Fn::GetAtt': [Match.anyValue(), 'Arn'] },
        });
    });

    it.each([
      ['acme', ACME, undefined],
      ['beta', BETA, BETA.eventTypes],
    ])(
      "routes %s's events on the service bus to its destination with retries and the DLQ",
      (tenant, _spec, types) => {
        template.hasResourceProperties('AWS::Events::Rule', {
          EventBusName: { Ref: busId },
          EventPattern: {
            source: ['otp-service'],
            ...(types ? { 'detail-type': types } : {}),
            detail: { tenantId: [tenant] },
          },
          Targets: [
            {
              Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp(`^Webhook${tenant}Destination`), 'Arn'] },
              Id: Match.anyValue(),
              RoleArn: { 'Fn::GetAtt': [roleId, 'Arn'] },
              DeadLetterConfig: { Arn: { 'Fn::GetAtt': [queueId, 'Arn'] } },
              RetryPolicy: { MaximumRetryAttempts: 24, MaximumEventAgeInSeconds: 3600 },
              InputTransformer: {
                InputPathsMap: { 'detail-type': '$.detail-type', detail: '$.detail' },
                InputTemplate: '{"type":<detail-type>,"detail":<detail>}',
              },
            },
          ],
        });
      },
    );

    it('puts no secret into the template', () => {
      expect(JSON.stringify(template.toJSON())).not.toMatch(/ApiKeyValue":"(?!\{\{resolve)/);
    });
  });

  describe('alarm actions', () => {
    it('sends the dead-letter alarm to the alarm topic when one is set', () => {
      const topic = 'arn:aws:sns:eu-west-1:123456789012:ops';
      const { template: t } = synthStack({ alarmTopicArn: topic });
      const alarms = Object.entries(resourcesOf(t, 'AWS::CloudWatch::Alarm')).filter(([id]) =>
        id.startsWith('WebhooksDeadLettersAlarm'),
      );
      expect(alarms.map(([, a]) => a.Properties?.AlarmActions)).toEqual([[topic]]);
    });
  });

  describe('without webhooks in the context', () => {
    it('still has the queue, role and outputs, and no connection', () => {
      const { template: bare } = synthStack();
      bare.resourceCountIs('AWS::Events::Connection', 0);
      bare.resourceCountIs('AWS::Events::ApiDestination', 0);
      bare.hasOutput('WebhookNamePrefix', {});
      bare.hasOutput('WebhookDeadLetterQueueArn', {});
    });
  });

  describe('context validation', () => {
    it.each([
      [{ ...ACME, url: 'http://hooks.acme.example/otp' }, /url: must be https/],
      [{ ...ACME, url: 'https://10.0.0.8/otp' }, /url: must be a public host/],
      [{ ...ACME, secretArn: 'my-key' }, /secretArn/],
      [{ ...BETA, username: undefined }, /basic auth needs a username/],
      [{ ...ACME, eventTypes: ['otp.nope'] }, /eventTypes/],
      [{ ...ACME, apiKey: 'inline-secret' }, /apiKey/],
    ])('fails the synth for a bad webhook entry (%#)', (spec, why) => {
      expect(() => synthStack({ webhooks: [spec] })).toThrow(why);
    });

    it('refuses two webhooks for one tenant', () => {
      expect(() => synthStack({ webhooks: [ACME, ACME] })).toThrow(/one webhook per tenant/);
    });

    it('reads the context as a JSON string, as `cdk -c webhooks=…` passes it', () => {
      const { template: t } = synthStack({ webhooks: JSON.stringify([ACME]) });
      t.resourceCountIs('AWS::Events::ApiDestination', 1);
    });
  });
});
