import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createAwsSenders } from './channels/aws';
import { config } from './config';
import type { EngineDeps } from './engine/types';
import { logger } from './logger';
import { secretValue } from './secrets';
import { TenantDirectory } from './tenant-directory';

/** Everything a handler needs: the engine's deps plus tenants and the token signing key. */
export interface AppDeps extends EngineDeps {
  tenants: TenantDirectory;
  /** Key for the access tokens the service signs (Capillary auth engine), as raw bytes. */
  signingKey: () => Promise<Uint8Array>;
}

let deps: AppDeps | undefined;

/**
 * The production deps, built once per container from the validated config. AWS clients are
 * created at module scope of this file and nowhere else.
 */
export const awsDeps = (): AppDeps => {
  if (deps) return deps;
  const c = config();
  const ddb = new DynamoDBClient(c.DYNAMODB_ENDPOINT ? { endpoint: c.DYNAMODB_ENDPOINT } : {});
  deps = {
    ddb,
    tableName: c.TABLE_NAME,
    pepper: secretValue(c.OTP_PEPPER, c.PEPPER_SECRET_ARN, 'pepper'),
    signingKey: secretValue(c.TOKEN_SIGNING_KEY, c.SIGNING_KEY_SECRET_ARN, 'signing key'),
    senders: createAwsSenders({ sesFrom: c.SES_FROM_ADDRESS, sesEndpoint: c.SES_ENDPOINT }),
    now: Date.now,
    logger,
    tenants: new TenantDirectory(ddb, c.TABLE_NAME, c.TENANT_CACHE_SECONDS),
  };
  return deps;
};
