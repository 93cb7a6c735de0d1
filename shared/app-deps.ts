import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { ChannelFactory } from './channels/aws';
import { tracedSender } from './channels/traced';
import type { ChannelType, Senders } from './channels/types';
import type { RememberWhatsAppMessage } from './channels/whatsapp';
import { config, tracingOn } from './config';
import type { EngineDeps } from './engine/types';
import { createEventBridgePublisher } from './events/eventbridge';
import { createMetrics, withMetrics } from './events/metrics';
import { noEvents } from './events/publisher';
import { logger } from './logger';
import { maskDestination } from './mask';
import { parseE164 } from './phone';
import { createEventBridgeScheduler } from './scheduler/eventbridge';
import { secretValue } from './secrets';
import { rememberWhatsAppMessage } from './store/whatsapp-messages';
import { TenantDirectory } from './tenant-directory';
import { dynamoClientOptions } from './timeouts';
import { loadTracer, traceClient } from './tracing';

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
 * Writes the message-id → code item WhatsApp receipts need. A failed write costs the receipt,
 * not the message (it was sent), so it is logged and swallowed.
 */
export const whatsAppMemory =
  (ddb: DynamoDBClient, tableName: string): RememberWhatsAppMessage =>
  async (messageId, message) => {
    if (!message.receipt) return;
    try {
      await rememberWhatsAppMessage(
        ddb,
        tableName,
        messageId,
        {
          ref: message.receipt,
          recipient: maskDestination(message.to),
          country: parseE164(message.to)?.region,
        },
        Date.now(),
      );
    } catch (error) {
      logger.warn('whatsapp receipt lookup not written', {
        challengeId: message.receipt.id,
        error: error instanceof Error ? error.name : 'unknown',
      });
    }
  };

/**
 * The production deps, built once per container from the validated config. AWS clients are
 * created here and nowhere else. `channels` are the senders this Lambda may use: each function
 * names its own, so the others' SDKs stay out of its bundle.
 */
export const awsDeps = (channels: Partial<Record<ChannelType, ChannelFactory>>): AppDeps => {
  if (deps) return deps;
  const c = config();
  // Not awaited: the tracer loads while the first request waits on the network (shared/tracing.ts).
  const tracer = loadTracer(tracingOn(c));
  const ddb = traceClient(
    tracer,
    new DynamoDBClient({
      ...(c.DYNAMODB_ENDPOINT ? { endpoint: c.DYNAMODB_ENDPOINT } : {}),
      // Bounded so a throttled or hung store answers the dialect's 503 inside the handler's early
      // timeout (SDK defaults: no request timeout, 4 attempts): shared/timeouts.ts.
      ...dynamoClientOptions(),
    }),
  );
  const channelOptions = {
    sesFrom: c.SES_FROM_ADDRESS,
    sesEndpoint: c.SES_ENDPOINT,
    sesConfigurationSet: c.SES_CONFIGURATION_SET,
    voiceConfigurationSet: c.SMS_VOICE_CONFIGURATION_SET,
    smsProvider: c.SMS_PROVIDER,
    rememberWhatsAppMessage: whatsAppMemory(ddb, c.TABLE_NAME),
  };
  const senders: Senders = Object.fromEntries(
    Object.entries(channels).map(([channel, make]) => [
      channel,
      tracedSender(channel as ChannelType, make(channelOptions)),
    ]),
  );
  deps = {
    ddb,
    tableName: c.TABLE_NAME,
    pepper: secretValue(c.OTP_PEPPER, c.PEPPER_SECRET_ARN, 'pepper'),
    signingKey: secretValue(c.TOKEN_SIGNING_KEY, c.SIGNING_KEY_SECRET_ARN, 'signing key'),
    senders,
    now: Date.now,
    logger,
    // Metrics are counted from the lifecycle events (shared/events/metrics.ts), with or without a bus.
    events: withMetrics(
      c.OTP_EVENT_BUS_NAME ? createEventBridgePublisher({ busName: c.OTP_EVENT_BUS_NAME, logger }) : noEvents,
      createMetrics(),
    ),
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
