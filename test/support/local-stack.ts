import type { Server } from 'node:http';
import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DEMO, seedDemoTenant } from '../../local/demo-tenant';
import { createLocalDeps } from '../../local/deps';
import { loadDialects } from '../../local/dialects';
import { LOCAL_AWS } from '../../local/dynamo-local';
import { type Message, Outbox } from '../../local/outbox';
import { createLocalServer, listen } from '../../local/server';
import { closeServer, startSesLocal } from '../../local/ses-local';
import type { AppDeps } from '../../shared/app-deps';
import type { DialectId } from '../../shared/routes';
import { freshTable, localDynamo } from './harness';

export interface LocalStack {
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  baseUrl: string;
  /** The SES emulator the stack sends e-mail to. */
  sesEndpoint: string;
  /** The outbox over HTTP (`GET /_local/outbox`), newest first. */
  outbox: () => Promise<Message[]>;
  /** `DELETE /_local/outbox`. */
  clearOutbox: () => Promise<void>;
  deps: AppDeps;
  /** Dialects served (their function file exists). */
  dialects: DialectId[];
  /** The demo tenant's ids and secrets. */
  demo: typeof DEMO;
  stop: () => Promise<void>;
}

/**
 * The local runtime in this process, for end-to-end tests over HTTP: the DynamoDB Local of the
 * Jest global setup with a fresh table, the SES emulator on a free port, the demo tenant, and
 * the same server as `npm start` on 127.0.0.1 and a free port.
 */
export const startLocalStack = async (
  options: {
    dynamoEndpoint?: string;
    logger?: Logger;
    /** An SES emulator already running (e.g. its own process, to fault it); else one in process. */
    sesEndpoint?: string;
  } = {},
): Promise<LocalStack> => {
  const endpoint = options.dynamoEndpoint ?? process.env.DYNAMODB_ENDPOINT;
  if (!endpoint) throw new Error('DYNAMODB_ENDPOINT is not set: run through jest (global setup)');
  const probe = options.dynamoEndpoint ? new DynamoDBClient({ ...LOCAL_AWS, endpoint }) : localDynamo();
  const tableName = await freshTable(probe);
  probe.destroy();

  const ses = options.sesEndpoint
    ? { endpoint: options.sesEndpoint, stop: async () => {} }
    : await startSesLocal(0);
  const outbox = new Outbox(ses.endpoint);
  const deps = createLocalDeps({
    dynamoEndpoint: endpoint,
    tableName,
    sesEndpoint: ses.endpoint,
    outbox,
    logger: options.logger ?? new Logger({ serviceName: 'otp-e2e', logLevel: 'SILENT' }),
  });
  await seedDemoTenant(deps.tenants);
  const { handlers } = await loadDialects(deps);
  const server: Server = createLocalServer({ outbox, handlers });
  const port = await listen(server, 0, '127.0.0.1');
  const baseUrl = `http://127.0.0.1:${port}`;

  return {
    baseUrl,
    sesEndpoint: ses.endpoint,
    outbox: async () => {
      const response = await fetch(`${baseUrl}/_local/outbox`);
      if (!response.ok) throw new Error(`GET /_local/outbox answered ${response.status}`);
      return (await response.json()) as Message[];
    },
    clearOutbox: async () => {
      const response = await fetch(`${baseUrl}/_local/outbox`, { method: 'DELETE' });
      if (!response.ok) throw new Error(`DELETE /_local/outbox answered ${response.status}`);
    },
    deps,
    dialects: Object.keys(handlers) as DialectId[],
    demo: DEMO,
    stop: async () => {
      server.closeAllConnections();
      await closeServer(server);
      await ses.stop();
      deps.ddb.destroy();
    },
  };
};
