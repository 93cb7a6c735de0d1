import { CfnOutput, Duration, SecretValue } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import { Construct } from 'constructs';
import * as z from 'zod';
import { tenantSchema } from '../../shared/tenants';
import {
  isEventType,
  WEBHOOK_DEFAULT_HEADER,
  WEBHOOK_INPUT_PATHS,
  WEBHOOK_MAX_EVENT_AGE_SECONDS,
  WEBHOOK_RATE_PER_SECOND,
  WEBHOOK_RETRY_ATTEMPTS,
  webhookEventPattern,
  webhookUrlProblem,
} from '../../shared/webhooks';
import { WebhookDelivery } from './webhook-delivery';

/**
 * One tenant webhook as CDK context (`cdk.json` "webhooks", or `-c webhooks='[…]'`). The secret is
 * never in the context or the template: `secretArn` names a Secrets Manager secret whose string is
 * the API key (or the basic-auth password), and CloudFormation resolves it at deploy time.
 */
export const webhookSpecSchema = z.strictObject({
  tenant: tenantSchema.shape.tenantId,
  url: z.string().superRefine((url, ctx) => {
    const problem = webhookUrlProblem(url);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  }),
  auth: z.enum(['api-key', 'basic']),
  /** api-key: the header that carries the key (default x-otp-webhook-key). */
  header: z
    .string()
    .regex(/^[A-Za-z0-9-]{1,64}$/)
    .optional(),
  /** basic: the user name. */
  username: z.string().min(1).max(512).optional(),
  secretArn: z.string().regex(/^arn:aws[a-z-]*:secretsmanager:/, { message: 'a Secrets Manager secret ARN' }),
  /** Only these event types (default: every type). */
  eventTypes: z
    .array(z.string().refine(isEventType, { message: 'an event type like otp.delivered' }))
    .optional(),
  rateLimitPerSecond: z.number().int().min(1).max(300).optional(),
});
export type WebhookSpec = z.infer<typeof webhookSpecSchema>;

/** Reads the `webhooks` context (a JSON array or its string form); a bad entry fails the synth by path. */
export const readWebhookSpecs = (scope: Construct): WebhookSpec[] => {
  const raw: unknown = scope.node.tryGetContext('webhooks');
  if (raw === undefined || raw === null || raw === '') return [];
  let value: unknown = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw);
    } catch {
      throw new Error('Context "webhooks" must be a JSON array');
    }
  }
  const specs = z
    .array(webhookSpecSchema)
    .superRefine((list, ctx) => {
      if (new Set(list.map((s) => s.tenant)).size !== list.length)
        ctx.addIssue({ code: 'custom', message: 'one webhook per tenant' });
      list.forEach((s, i) => {
        if (s.auth === 'basic' && !s.username)
          ctx.addIssue({ code: 'custom', path: [i, 'username'], message: 'basic auth needs a username' });
      });
    })
    .safeParse(value);
  if (!specs.success)
    throw new Error(
      `Context "webhooks" is invalid: ${specs.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  return specs.data;
};

export interface TenantWebhookProps {
  readonly spec: WebhookSpec;
  readonly bus: events.IEventBus;
  readonly delivery: WebhookDelivery;
}

/**
 * A tenant's webhook provisioned in code: connection (API key header or basic auth, the secret
 * resolved from Secrets Manager by CloudFormation and kept by EventBridge), API destination, and
 * a rule on the service's bus for this tenant's events with the shared retry policy, role and
 * dead-letter queue. The admin CLI builds the same four things at run time (bin/admin/webhooks.ts).
 */
export class TenantWebhook extends Construct {
  readonly rule: events.Rule;
  readonly destination: events.ApiDestination;

  constructor(scope: Construct, id: string, props: TenantWebhookProps) {
    super(scope, id);
    const { spec, delivery } = props;
    const secret = SecretValue.secretsManager(spec.secretArn);
    const connection = new events.Connection(this, 'Connection', {
      description: `OTP webhook of tenant ${spec.tenant}`,
      authorization:
        spec.auth === 'api-key'
          ? events.Authorization.apiKey(spec.header ?? WEBHOOK_DEFAULT_HEADER, secret)
          : events.Authorization.basic(spec.username ?? '', secret),
    });
    this.destination = new events.ApiDestination(this, 'Destination', {
      description: `OTP webhook of tenant ${spec.tenant}`,
      connection,
      endpoint: spec.url,
      httpMethod: events.HttpMethod.POST,
      rateLimitPerSecond: spec.rateLimitPerSecond ?? WEBHOOK_RATE_PER_SECOND,
    });
    this.rule = new events.Rule(this, 'Rule', {
      description: `OTP lifecycle events of tenant ${spec.tenant} to its webhook`,
      eventBus: props.bus,
      eventPattern: webhookEventPattern(spec.tenant, spec.eventTypes) as events.EventPattern,
      targets: [
        new targets.ApiDestination(this.destination, {
          // The target adds events:InvokeApiDestination on this destination to the shared role.
          eventRole: delivery.role,
          deadLetterQueue: delivery.deadLetterQueue,
          retryAttempts: WEBHOOK_RETRY_ATTEMPTS,
          maxEventAge: Duration.seconds(WEBHOOK_MAX_EVENT_AGE_SECONDS),
          event: events.RuleTargetInput.fromObject({
            type: events.EventField.fromPath(WEBHOOK_INPUT_PATHS.type),
            detail: events.EventField.fromPath(WEBHOOK_INPUT_PATHS.detail),
          }),
        }),
      ],
    });
  }
}

/**
 * The webhook delivery pieces of a stack: the shared queue, role and alarm, one TenantWebhook per
 * `webhooks` context entry, and the outputs the admin CLI needs to add webhooks at run time.
 */
export const addTenantWebhooks = (scope: Construct, bus: events.IEventBus): WebhookDelivery => {
  const delivery = new WebhookDelivery(scope, 'Webhooks', { bus });
  for (const spec of readWebhookSpecs(scope))
    new TenantWebhook(scope, `Webhook-${spec.tenant}`, { spec, bus, delivery });
  new CfnOutput(scope, 'WebhookRoleArn', {
    description: 'WEBHOOK_ROLE_ARN for `admin webhook put`: the role EventBridge calls webhooks with',
    value: delivery.role.roleArn,
  });
  new CfnOutput(scope, 'WebhookDeadLetterQueueArn', {
    description: 'WEBHOOK_DEAD_LETTER_QUEUE_ARN for `admin webhook put`: events whose retries ran out',
    value: delivery.deadLetterQueue.queueArn,
  });
  new CfnOutput(scope, 'WebhookNamePrefix', {
    description: 'WEBHOOK_NAME_PREFIX for `admin webhook …`: names of CLI-made webhooks start with it',
    value: delivery.namePrefix,
  });
  return delivery;
};
