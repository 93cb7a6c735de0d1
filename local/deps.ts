import type { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { AppDeps } from '../shared/app-deps';
import { createAwsSenders } from '../shared/channels/aws';
import { logger as sharedLogger } from '../shared/logger';
import { TenantDirectory } from '../shared/tenant-directory';
import { dynamoClientOptions } from '../shared/timeouts';
import { LOCAL_CONSTANTS } from './config';
import { LOCAL_AWS } from './dynamo-local';
import type { Outbox } from './outbox';

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
  const { outbox } = options;
  const pepper = Buffer.from(LOCAL_CONSTANTS.pepper);
  const signingKey = Buffer.from(LOCAL_CONSTANTS.signingKey);
  const tenantKey = Buffer.from(LOCAL_CONSTANTS.tenantSealingKey);
  return {
    ddb,
    tableName: options.tableName,
    pepper: async () => pepper,
    signingKey: async () => signingKey,
    senders: {
      ...(ses.EMAIL ? { EMAIL: outbox.trackEmail(ses.EMAIL) } : {}),
      SMS: outbox.sink('SMS'),
      VOICE: outbox.sink('VOICE'),
      WHATSAPP: outbox.sink('WHATSAPP'),
      ZALO: outbox.sink('ZALO'),
    },
    now: Date.now,
    logger: options.logger ?? sharedLogger,
    tenants: new TenantDirectory(ddb, options.tableName, {
      tenantKey: async () => tenantKey,
      cacheSeconds: options.tenantCacheSeconds ?? 0,
    }),
  };
};
