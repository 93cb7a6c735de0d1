import {
  CreateApiDestinationCommand,
  CreateConnectionCommand,
  DeleteApiDestinationCommand,
  DeleteConnectionCommand,
  DeleteRuleCommand,
  DescribeApiDestinationCommand,
  DescribeConnectionCommand,
  EventBridgeClient,
  ListApiDestinationsCommand,
  ListRulesCommand,
  PutRuleCommand,
  PutTargetsCommand,
  RemoveTargetsCommand,
  ResourceNotFoundException,
  UpdateApiDestinationCommand,
  UpdateConnectionCommand,
} from '@aws-sdk/client-eventbridge';
import { beforeEach, describe, expect, it } from '@jest/globals';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { deleteWebhook, listWebhooks, putWebhook, type WebhookStack } from '../../../bin/admin/webhooks';
import { webhookEventPattern, webhookUrlProblem } from '../../../shared/webhooks';

const STACK: WebhookStack = {
  eventBusName: 'OtpService-EventsBus',
  roleArn: 'arn:aws:iam::123456789012:role/OtpService-WebhooksInvokeRole',
  deadLetterQueueArn: 'arn:aws:sqs:eu-west-1:123456789012:OtpService-WebhooksDeadLetters',
  namePrefix: 'OtpService-wh-',
};
const CONNECTION_ARN = 'arn:aws:events:eu-west-1:123456789012:connection/OtpService-wh-acme/c1';
const DESTINATION_ARN = 'arn:aws:events:eu-west-1:123456789012:api-destination/OtpService-wh-acme/d1';
const notFound = () => new ResourceNotFoundException({ message: 'not found', $metadata: {} });

const eb = mockClient(EventBridgeClient);
const client = new EventBridgeClient({ region: 'eu-west-1' });

beforeEach(() => {
  eb.reset();
  eb.on(DescribeConnectionCommand).rejects(notFound());
  eb.on(DescribeApiDestinationCommand).rejects(notFound());
  eb.on(CreateConnectionCommand).resolves({ ConnectionArn: CONNECTION_ARN });
  eb.on(UpdateConnectionCommand).resolves({ ConnectionArn: CONNECTION_ARN });
  eb.on(CreateApiDestinationCommand).resolves({ ApiDestinationArn: DESTINATION_ARN });
  eb.on(UpdateApiDestinationCommand).resolves({ ApiDestinationArn: DESTINATION_ARN });
  eb.on(PutRuleCommand).resolves({
    RuleArn: 'arn:aws:events:eu-west-1:123456789012:rule/x/OtpService-wh-acme',
  });
  eb.on(PutTargetsCommand).resolves({ FailedEntryCount: 0 });
});

const apiKey = { kind: 'api-key' as const, header: 'x-otp-webhook-key', key: 'k'.repeat(43) };

describe('shared/webhooks', () => {
  describe('webhookUrlProblem', () => {
    it.each([
      'https://hooks.acme.example/otp',
      'https://hooks.acme.example:8443/otp?x=1',
      'https://93.184.215.14/hook',
      'https://[2606:4700::1111]/hook',
    ])('accepts the public HTTPS endpoint %s', (url) => {
      expect(webhookUrlProblem(url)).toBeUndefined();
    });

    it.each([
      ['http://hooks.acme.example/otp', /https/],
      ['ftp://hooks.acme.example/otp', /https/],
      ['https://user:pw@hooks.acme.example/otp', /credentials/],
      ['https://localhost/otp', /public host/],
      ['https://api.localhost/otp', /public host/],
      ['https://intranet/otp', /public host/],
      ['https://svc.internal/otp', /public host/],
      ['https://127.0.0.1/otp', /private/],
      ['https://10.1.2.3/otp', /private/],
      ['https://172.20.0.1/otp', /private/],
      ['https://192.168.1.1/otp', /private/],
      ['https://169.254.169.254/latest/meta-data', /private/],
      ['https://100.64.0.1/otp', /private/],
      ['https://0.0.0.0/otp', /private/],
      ['https://[::1]/otp', /private/],
      ['https://[fd00::1]/otp', /private/],
      ['https://[fe80::1]/otp', /private/],
      ['https://[::ffff:127.0.0.1]/otp', /private/],
      // Adversarial review: a trailing dot, IPv4 inside IPv6, reserved IPv4 ranges.
      ['https://localhost./otp', /public host/],
      ['https://metadata.google.internal./otp', /public host/],
      ['https://[::127.0.0.1]/otp', /private/],
      ['https://[64:ff9b::a9fe:a9fe]/otp', /private/],
      ['https://[2002:a9fe:a9fe::]/otp', /private/],
      ['https://[::ffff:0:a9fe:a9fe]/otp', /private/],
      ['https://[ff02::1]/otp', /private/],
      ['https://198.18.0.1/otp', /private/],
      ['https://192.0.0.1/otp', /private/],
      ['https://224.0.0.1/otp', /private/],
      ['https://240.0.0.1/otp', /private/],
      ['not a url', /not a URL/],
    ])('refuses %s', (url, why) => {
      expect(webhookUrlProblem(url)).toMatch(why);
    });
  });

  describe('webhookEventPattern', () => {
    it("matches the tenant's own events by detail.tenantId, all types unless some are named", () => {
      expect(webhookEventPattern('acme')).toEqual({
        source: ['otp-service'],
        detail: { tenantId: ['acme'] },
      });
      expect(webhookEventPattern('acme', ['otp.delivered'])).toEqual({
        source: ['otp-service'],
        'detail-type': ['otp.delivered'],
        detail: { tenantId: ['acme'] },
      });
    });
  });
});

describe('bin/admin/webhooks', () => {
  describe('putWebhook', () => {
    it('creates the connection, API destination, rule and target with retries, role and dead-letter queue', async () => {
      const made = await putWebhook(client, STACK, {
        tenantId: 'acme',
        url: 'https://hooks.acme.example/otp',
        auth: apiKey,
      });
      expect(eb).toHaveReceivedCommandWith(CreateConnectionCommand, {
        Name: 'OtpService-wh-acme',
        AuthorizationType: 'API_KEY',
        AuthParameters: {
          ApiKeyAuthParameters: { ApiKeyName: 'x-otp-webhook-key', ApiKeyValue: apiKey.key },
        },
      });
      expect(eb).toHaveReceivedCommandWith(CreateApiDestinationCommand, {
        Name: 'OtpService-wh-acme',
        ConnectionArn: CONNECTION_ARN,
        InvocationEndpoint: 'https://hooks.acme.example/otp',
        HttpMethod: 'POST',
      });
      expect(eb).toHaveReceivedCommandWith(PutRuleCommand, {
        Name: 'OtpService-wh-acme',
        EventBusName: STACK.eventBusName,
        EventPattern: JSON.stringify({ source: ['otp-service'], detail: { tenantId: ['acme'] } }),
        State: 'ENABLED',
      });
      expect(eb).toHaveReceivedCommandWith(PutTargetsCommand, {
        Rule: 'OtpService-wh-acme',
        EventBusName: STACK.eventBusName,
        Targets: [
          {
            Id: 'webhook',
            Arn: DESTINATION_ARN,
            RoleArn: STACK.roleArn,
            InputTransformer: {
              InputPathsMap: { type: '$.detail-type', detail: '$.detail' },
              InputTemplate: '{"type": <type>, "detail": <detail>}',
            },
            RetryPolicy: { MaximumRetryAttempts: 24, MaximumEventAgeInSeconds: 3600 },
            DeadLetterConfig: { Arn: STACK.deadLetterQueueArn },
          },
        ],
      });
      expect(eb).not.toHaveReceivedCommand(UpdateConnectionCommand);
      // What the CLI prints has no secret in it (the command prints a generated one itself, once).
      expect(JSON.stringify(made)).not.toContain(apiKey.key);
    });

    it('updates an existing webhook in place with basic auth, keeping its names', async () => {
      eb.on(DescribeConnectionCommand).resolves({ Name: 'OtpService-wh-acme' });
      eb.on(DescribeApiDestinationCommand).resolves({ Name: 'OtpService-wh-acme' });
      await putWebhook(client, STACK, {
        tenantId: 'acme',
        url: 'https://hooks.acme.example/v2',
        auth: { kind: 'basic', username: 'otp', password: 'p'.repeat(20) },
        eventTypes: ['otp.delivered', 'otp.delivery_failed'],
      });
      expect(eb).toHaveReceivedCommandWith(UpdateConnectionCommand, {
        Name: 'OtpService-wh-acme',
        AuthorizationType: 'BASIC',
        AuthParameters: { BasicAuthParameters: { Username: 'otp', Password: 'p'.repeat(20) } },
      });
      expect(eb).toHaveReceivedCommandWith(UpdateApiDestinationCommand, {
        InvocationEndpoint: 'https://hooks.acme.example/v2',
      });
      expect(eb).not.toHaveReceivedCommand(CreateConnectionCommand);
      expect(eb).not.toHaveReceivedCommand(CreateApiDestinationCommand);
      expect(eb).toHaveReceivedCommandWith(PutRuleCommand, {
        EventPattern: JSON.stringify({
          source: ['otp-service'],
          'detail-type': ['otp.delivered', 'otp.delivery_failed'],
          detail: { tenantId: ['acme'] },
        }),
      });
    });

    it('refuses a private URL before calling EventBridge', async () => {
      await expect(
        putWebhook(client, STACK, { tenantId: 'acme', url: 'https://169.254.169.254/', auth: apiKey }),
      ).rejects.toThrow(/private/);
      expect(eb.calls()).toHaveLength(0);
    });

    it('refuses a name over 64 characters before calling EventBridge', async () => {
      await expect(
        putWebhook(client, STACK, { tenantId: 'a'.repeat(51), url: 'https://h.example/', auth: apiKey }),
      ).rejects.toThrow(/64 characters/);
      expect(eb.calls()).toHaveLength(0);
    });

    it('fails loudly when EventBridge refuses the target', async () => {
      eb.on(PutTargetsCommand).resolves({
        FailedEntryCount: 1,
        FailedEntries: [{ TargetId: 'webhook', ErrorMessage: 'role not assumable' }],
      });
      await expect(
        putWebhook(client, STACK, { tenantId: 'acme', url: 'https://h.example/', auth: apiKey }),
      ).rejects.toThrow(/target was refused: role not assumable/);
    });
  });

  describe('listWebhooks', () => {
    it("lists this stack's webhooks by prefix across pages, with each rule's state", async () => {
      eb.on(ListApiDestinationsCommand)
        .resolvesOnce({
          ApiDestinations: [
            {
              Name: 'OtpService-wh-acme',
              InvocationEndpoint: 'https://a.example/',
              ApiDestinationState: 'ACTIVE',
            },
          ],
          NextToken: 't',
        })
        .resolvesOnce({
          ApiDestinations: [
            {
              Name: 'OtpService-wh-beta',
              InvocationEndpoint: 'https://b.example/',
              ApiDestinationState: 'ACTIVE',
            },
          ],
        });
      eb.on(ListRulesCommand).resolves({ Rules: [{ Name: 'OtpService-wh-acme', State: 'ENABLED' }] });
      expect(await listWebhooks(client, STACK)).toEqual([
        { tenant: 'acme', url: 'https://a.example/', state: 'ACTIVE', rule: 'ENABLED' },
        { tenant: 'beta', url: 'https://b.example/', state: 'ACTIVE', rule: 'missing' },
      ]);
      expect(eb).toHaveReceivedCommandWith(ListApiDestinationsCommand, { NamePrefix: 'OtpService-wh-' });
      expect(eb).toHaveReceivedCommandWith(ListRulesCommand, {
        EventBusName: STACK.eventBusName,
        NamePrefix: 'OtpService-wh-',
      });
    });
  });

  describe('deleteWebhook', () => {
    it('removes the target and rule before the destination and connection', async () => {
      eb.on(RemoveTargetsCommand).resolves({});
      eb.on(DeleteRuleCommand).resolves({});
      eb.on(DeleteApiDestinationCommand).resolves({});
      eb.on(DeleteConnectionCommand).resolves({});
      expect(await deleteWebhook(client, STACK, 'acme')).toEqual({
        deleted: ['targets', 'rule', 'api-destination', 'connection'],
      });
      expect(eb.calls().map((c) => c.args[0].constructor.name)).toEqual([
        'RemoveTargetsCommand',
        'DeleteRuleCommand',
        'DeleteApiDestinationCommand',
        'DeleteConnectionCommand',
      ]);
    });

    it('cleans up a half-made webhook: missing pieces are skipped, not errors', async () => {
      eb.on(RemoveTargetsCommand).rejects(notFound());
      eb.on(DeleteRuleCommand).rejects(notFound());
      eb.on(DeleteApiDestinationCommand).resolves({});
      eb.on(DeleteConnectionCommand).resolves({});
      expect(await deleteWebhook(client, STACK, 'acme')).toEqual({
        deleted: ['api-destination', 'connection'],
      });
    });
  });
});
