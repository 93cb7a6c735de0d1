import type { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { AppDeps } from '../shared/app-deps';
import { createAwsSenders } from '../shared/channels/aws';
import type { ChannelType, Sender } from '../shared/channels/types';
import { applyReceipt } from '../shared/engine/receipts';
import { logger as sharedLogger } from '../shared/logger';
import { TenantDirectory } from '../shared/tenant-directory';
import { dynamoClientOptions } from '../shared/timeouts';
import { LOCAL_CONSTANTS } from './config';
import { LOCAL_AWS } from './dynamo-local';
import type { LocalEventBus } from './event-bus';
import type { Outbox } from './outbox';
import { LocalReceipts } from './receipts';

export interface LocalDepsOptions {
  /** DynamoDB Local's URL. */
  dynamoEndpoint: string;
  tableName: string;
  /** The SES emulator's URL: e-mail goes there through the real SES client. */
  sesEndpoint: string;
  outbox: Outbox;
  logger?: Logger;
  /** Seconds tenants are cached; 0 makes edits to the table visible at once. */
  tenantCacheSeconds?: number;
  /** The local event bus; with it, lifecycle events are published there and sinks send receipts. */
  bus?: LocalEventBus;
}

/**
 * The app deps of the local runtime: the same handlers and engine as in AWS, with DynamoDB Local,
 * the real SES sender pointed at the emulator, and outbox sinks for the channels that have no
 * local emulator (SMS, voice, WhatsApp, Zalo). Pepper, signing key and tenant sealing key are the
 * local constants.
 */
export const createLocalDeps = (options: LocalDepsOptions): AppDeps => {
  // The production client settings, so a frozen DynamoDB Local is answered as AWS would be.
  const ddb = new DynamoDBClient({
    ...LOCAL_AWS,
    endpoint: options.dynamoEndpoint,
    ...dynamoClientOptions(),
  });
  const ses = createAwsSenders({ sesFrom: LOCAL_CONSTANTS.sesFrom, sesEndpoint: options.sesEndpoint });
  const { outbox, bus } = options;
  const pepper = Buffer.from(LOCAL_CONSTANTS.pepper);
  const signingKey = Buffer.from(LOCAL_CONSTANTS.signingKey);
  const tenantKey = Buffer.from(LOCAL_CONSTANTS.tenantSealingKey);
  const receipts =
    bus && new LocalReceipts(bus, (r) => applyReceipt({ ddb, tableName: options.tableName, events: bus }, r));
  const withReceipt = (channel: ChannelType, send: Sender): Sender =>
    receipts ? receipts.wrap(channel, send) : send;
  return {
    ddb,
    tableName: options.tableName,
    pepper: async () => pepper,
    signingKey: async () => signingKey,
    senders: {
      ...(ses.EMAIL ? { EMAIL: withReceipt('EMAIL', outbox.trackEmail(ses.EMAIL)) } : {}),
      SMS: withReceipt('SMS', outbox.sink('SMS')),
      VOICE: withReceipt('VOICE', outbox.sink('VOICE')),
      WHATSAPP: withReceipt('WHATSAPP', outbox.sink('WHATSAPP')),
      ZALO: withReceipt('ZALO', outbox.sink('ZALO')),
    },
    ...(bus ? { events: bus } : {}),
    now: Date.now,
    logger: options.logger ?? sharedLogger,
    tenants: new TenantDirectory(ddb, options.tableName, {
      tenantKey: async () => tenantKey,
      cacheSeconds: options.tenantCacheSeconds ?? 0,
    }),
  };
};
