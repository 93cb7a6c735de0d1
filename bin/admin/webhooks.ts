import {
  CreateApiDestinationCommand,
  CreateConnectionCommand,
  DeleteApiDestinationCommand,
  DeleteConnectionCommand,
  DeleteRuleCommand,
  DescribeApiDestinationCommand,
  DescribeConnectionCommand,
  type EventBridgeClient,
  ListApiDestinationsCommand,
  ListRulesCommand,
  type ListRulesCommandOutput,
  PutRuleCommand,
  PutTargetsCommand,
  RemoveTargetsCommand,
  ResourceNotFoundException,
  UpdateApiDestinationCommand,
  UpdateConnectionCommand,
} from '@aws-sdk/client-eventbridge';
import {
  WEBHOOK_INPUT_PATHS,
  WEBHOOK_INPUT_TEMPLATE,
  WEBHOOK_MAX_EVENT_AGE_SECONDS,
  WEBHOOK_NAME_MAX,
  WEBHOOK_RATE_PER_SECOND,
  WEBHOOK_RETRY_ATTEMPTS,
  webhookEventPattern,
  webhookName,
  webhookUrlProblem,
} from '../../shared/webhooks';
import { AdminError } from './operations';

/**
 * `webhook put | list | delete`: a tenant's webhook made at run time with the EventBridge API, the
 * same four pieces as lib/constructs/tenant-webhook.ts: a connection (EventBridge keeps its secret
 * in a Secrets Manager secret of its own; this CLI never stores it), an API destination, a rule on
 * the service's bus matching `detail.tenantId`, and its target with the stack's retry policy, role
 * and dead-letter queue. The stack outputs what this needs (README, "Webhooks").
 */
export interface WebhookStack {
  eventBusName: string;
  roleArn: string;
  deadLetterQueueArn: string;
  namePrefix: string;
}

export type WebhookAuth =
  | { kind: 'api-key'; header: string; key: string }
  | { kind: 'basic'; username: string; password: string };

export interface WebhookInput {
  tenantId: string;
  url: string;
  auth: WebhookAuth;
  eventTypes?: string[] | undefined;
  rateLimitPerSecond?: number | undefined;
}

/** The one target id of a webhook rule. */
const TARGET_ID = 'webhook';

const nameOf = (stack: WebhookStack, tenantId: string): string => {
  const name = webhookName(stack.namePrefix, tenantId);
  if (name.length > WEBHOOK_NAME_MAX)
    throw new AdminError(
      `webhook name ${name} is longer than EventBridge's ${WEBHOOK_NAME_MAX} characters: use a shorter tenant id or stack name`,
    );
  return name;
};

const authParameters = (auth: WebhookAuth) =>
  auth.kind === 'api-key'
    ? {
        AuthorizationType: 'API_KEY' as const,
        AuthParameters: { ApiKeyAuthParameters: { ApiKeyName: auth.header, ApiKeyValue: auth.key } },
      }
    : {
        AuthorizationType: 'BASIC' as const,
        AuthParameters: { BasicAuthParameters: { Username: auth.username, Password: auth.password } },
      };

/** True when `describe` finds the resource, false on ResourceNotFound. */
const exists = async (describe: () => Promise<unknown>): Promise<boolean> => {
  try {
    await describe();
    return true;
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return false;
    throw error;
  }
};

/** Creates or replaces a tenant's webhook; returns what was made (never the secret). */
export const putWebhook = async (
  client: EventBridgeClient,
  stack: WebhookStack,
  input: WebhookInput,
): Promise<{
  name: string;
  url: string;
  auth: string;
  ruleArn: string | undefined;
  eventTypes: string[];
}> => {
  const problem = webhookUrlProblem(input.url);
  if (problem) throw new AdminError(`--url ${problem}`);
  const name = nameOf(stack, input.tenantId);
  const description = `OTP webhook of tenant ${input.tenantId}`;

  // Update in place when it exists, so a rotated secret or new URL keeps the rule's ARN.
  const connectionArn = (await exists(() => client.send(new DescribeConnectionCommand({ Name: name }))))
    ? (
        await client.send(
          new UpdateConnectionCommand({
            Name: name,
            Description: description,
            ...authParameters(input.auth),
          }),
        )
      ).ConnectionArn
    : (
        await client.send(
          new CreateConnectionCommand({
            Name: name,
            Description: description,
            ...authParameters(input.auth),
          }),
        )
      ).ConnectionArn;
  const destination = {
    Name: name,
    Description: description,
    ConnectionArn: connectionArn,
    InvocationEndpoint: input.url,
    HttpMethod: 'POST' as const,
    InvocationRateLimitPerSecond: input.rateLimitPerSecond ?? WEBHOOK_RATE_PER_SECOND,
  };
  const destinationArn = (await exists(() => client.send(new DescribeApiDestinationCommand({ Name: name }))))
    ? (await client.send(new UpdateApiDestinationCommand(destination))).ApiDestinationArn
    : (await client.send(new CreateApiDestinationCommand(destination))).ApiDestinationArn;

  const rule = await client.send(
    new PutRuleCommand({
      Name: name,
      EventBusName: stack.eventBusName,
      Description: `OTP lifecycle events of tenant ${input.tenantId} to its webhook`,
      EventPattern: JSON.stringify(webhookEventPattern(input.tenantId, input.eventTypes)),
      State: 'ENABLED',
    }),
  );
  const targets = await client.send(
    new PutTargetsCommand({
      Rule: name,
      EventBusName: stack.eventBusName,
      Targets: [
        {
          Id: TARGET_ID,
          Arn: destinationArn,
          RoleArn: stack.roleArn,
          InputTransformer: {
            InputPathsMap: { ...WEBHOOK_INPUT_PATHS },
            InputTemplate: WEBHOOK_INPUT_TEMPLATE,
          },
          RetryPolicy: {
            MaximumRetryAttempts: WEBHOOK_RETRY_ATTEMPTS,
            MaximumEventAgeInSeconds: WEBHOOK_MAX_EVENT_AGE_SECONDS,
          },
          DeadLetterConfig: { Arn: stack.deadLetterQueueArn },
        },
      ],
    }),
  );
  if ((targets.FailedEntryCount ?? 0) > 0)
    throw new AdminError(
      `the rule ${name} was written but its target was refused: ${targets.FailedEntries?.map((e) => e.ErrorMessage).join('; ')}`,
    );
  return {
    name,
    url: input.url,
    auth: input.auth.kind,
    ruleArn: rule.RuleArn,
    eventTypes: input.eventTypes ?? [],
  };
};

/** Every webhook of this stack (CLI-made ones, by name prefix): tenant, URL, state. */
export const listWebhooks = async (
  client: EventBridgeClient,
  stack: WebhookStack,
): Promise<Array<{ tenant: string; url: string; state: string; rule: string }>> => {
  const destinations = [];
  let next: string | undefined;
  do {
    const page = await client.send(
      new ListApiDestinationsCommand({ NamePrefix: stack.namePrefix, NextToken: next }),
    );
    destinations.push(...(page.ApiDestinations ?? []));
    next = page.NextToken;
  } while (next);
  const rules = new Map<string, string>();
  next = undefined;
  do {
    const page: ListRulesCommandOutput = await client.send(
      new ListRulesCommand({
        EventBusName: stack.eventBusName,
        NamePrefix: stack.namePrefix,
        NextToken: next,
      }),
    );
    for (const r of page.Rules ?? []) if (r.Name) rules.set(r.Name, r.State ?? '');
    next = page.NextToken;
  } while (next);
  return destinations.map((d) => ({
    tenant: (d.Name ?? '').slice(stack.namePrefix.length),
    url: d.InvocationEndpoint ?? '',
    state: d.ApiDestinationState ?? '',
    rule: rules.get(d.Name ?? '') ?? 'missing',
  }));
};

/**
 * Deletes a tenant's webhook, rule first so no event is routed to a destination being deleted.
 * Each step tolerates an already-missing piece, so a half-made webhook can be cleaned up too.
 */
export const deleteWebhook = async (
  client: EventBridgeClient,
  stack: WebhookStack,
  tenantId: string,
): Promise<{ deleted: string[] }> => {
  const name = nameOf(stack, tenantId);
  const deleted: string[] = [];
  const step = async (what: string, run: () => Promise<unknown>) => {
    if (await exists(run)) deleted.push(what);
  };
  await step('targets', () =>
    client.send(new RemoveTargetsCommand({ Rule: name, EventBusName: stack.eventBusName, Ids: [TARGET_ID] })),
  );
  await step('rule', () =>
    client.send(new DeleteRuleCommand({ Name: name, EventBusName: stack.eventBusName })),
  );
  await step('api-destination', () => client.send(new DeleteApiDestinationCommand({ Name: name })));
  await step('connection', () => client.send(new DeleteConnectionCommand({ Name: name })));
  return { deleted };
};
