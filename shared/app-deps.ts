import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { ChannelFactory } from './channels/aws';
import type { ChannelType, Senders } from './channels/types';
import { config } from './config';
import type { EngineDeps } from './engine/types';
import { createEventBridgePublisher } from './events/eventbridge';
import { logger } from './logger';
import { createEventBridgeScheduler } from './scheduler/eventbridge';
import { secretValue } from './secrets';
import { TenantDirectory } from './tenant-directory';
import { dynamoClientOptions } from './timeouts';

/** Everything a handler needs: the engine's deps plus tenants and the token signing key. */
export interface AppDeps extends EngineDeps {
  tenants: TenantDirectory;
  /**
   * Key for the access tokens the service signs (Capillary auth engine), as raw bytes. Read on
   * first call, never at cold start: only capillary-auth's function is configured with (and
   * allowed to read) the secret, and only its handlers call this.
   */
  signingKey: () => Promise<Uint8Array>;
}

let deps: AppDeps | undefined;

/**
 * The production deps, built once per container from the validated config. AWS clients are
 * created here and nowhere else. `channels` are the senders this Lambda may use: each function
 * names its own, so the others' SDKs stay out of its bundle.
 */
export const awsDeps = (channels: Partial<Record<ChannelType, ChannelFactory>>): AppDeps => {
  if (deps) return deps;
  const c = config();
  const channelOptions = {
    sesFrom: c.SES_FROM_ADDRESS,
    sesEndpoint: c.SES_ENDPOINT,
    sesConfigurationSet: c.SES_CONFIGURATION_SET,
    voiceConfigurationSet: c.SMS_VOICE_CONFIGURATION_SET,
  };
  const senders: Senders = Object.fromEntries(
    Object.entries(channels).map(([channel, make]) => [channel, make(channelOptions)]),
  );
  const ddb = new DynamoDBClient({
    ...(c.DYNAMODB_ENDPOINT ? { endpoint: c.DYNAMODB_ENDPOINT } : {}),
    // Bounded so a throttled or hung store answers the dialect's 503 inside the handler's early
    // timeout (SDK defaults: no request timeout, 4 attempts): shared/timeouts.ts.
    ...dynamoClientOptions(),
  });
  deps = {
    ddb,
    tableName: c.TABLE_NAME,
    pepper: secretValue(c.OTP_PEPPER, c.PEPPER_SECRET_ARN, 'pepper'),
    signingKey: secretValue(c.TOKEN_SIGNING_KEY, c.SIGNING_KEY_SECRET_ARN, 'signing key'),
    senders,
    now: Date.now,
    logger,
    ...(c.OTP_EVENT_BUS_NAME && {
      events: createEventBridgePublisher({ busName: c.OTP_EVENT_BUS_NAME, logger }),
    }),
    ...(c.FALLBACK_SCHEDULE_GROUP &&
      c.FALLBACK_FUNCTION_ARN &&
      c.FALLBACK_SCHEDULER_ROLE_ARN && {
        scheduler: createEventBridgeScheduler({
          groupName: c.FALLBACK_SCHEDULE_GROUP,
          targetArn: c.FALLBACK_FUNCTION_ARN,
          roleArn: c.FALLBACK_SCHEDULER_ROLE_ARN,
        }),
      }),
    tenants: new TenantDirectory(ddb, c.TABLE_NAME, {
      tenantKey: secretValue(c.TENANT_SEALING_KEY, c.SEALING_KEY_SECRET_ARN, 'tenant sealing key'),
      cacheSeconds: c.TENANT_CACHE_SECONDS,
    }),
  };
  return deps;
};
