/**
 * Child process of the load measurement: the local runtime's HTTP server (local/server.ts, the
 * same handlers `npm start` serves) on 127.0.0.1 and a free port, against the benchmark's
 * DynamoDB Local, with the demo tenant. Reports its port over IPC; stops on SIGTERM. Its
 * `GET /_local/outbox` lists the codes sent, so the load can verify them.
 *
 * It runs in its own process so the load generator does not share its event loop.
 */
import { createServer } from 'node:http';
import { type DynamoDBClient, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { DEMO, seedDemoTenant } from '../local/demo-tenant';
import { createLocalDeps } from '../local/deps';
import { loadDialects } from '../local/dialects';
import { Outbox } from '../local/outbox';
import { createLocalServer, listen } from '../local/server';
import { ensureTable } from '../shared/store/table-schema';
import { tenantSchema } from '../shared/tenants';
import { UNREACHED_LIMITS } from './limits';

/**
 * Counts TransactWriteItems requests and those cancelled by a TransactionConflict (another
 * transaction held one of the items), to explain the throughput under concurrency.
 */
const countTransactions = (ddb: DynamoDBClient) => {
  const store = { attempts: 0, conflicts: 0 };
  ddb.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== 'TransactWriteItemsCommand') return next(args);
      store.attempts++;
      try {
        return await next(args);
      } catch (error) {
        if (
          error instanceof TransactionCanceledException &&
          error.CancellationReasons?.some((r) => r.Code === 'TransactionConflict')
        ) {
          store.conflicts++;
        }
        throw error;
      }
    },
    { step: 'initialize', name: 'benchTransactionCounter' },
  );
  return store;
};

/** An HTTP server that answers the SES emulator's `/store` with no e-mail and `/clear-store` with OK. */
const emptySesStore = async (): Promise<string> => {
  const stub = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(req.url === '/store' ? '{"emails":[]}' : '{}');
  });
  const port = await listen(stub, 0, '127.0.0.1');
  stub.unref();
  return `http://127.0.0.1:${port}`;
};

const main = async (): Promise<void> => {
  const endpoint = process.env.BENCH_DYNAMODB_ENDPOINT;
  const tableName = process.env.BENCH_TABLE_NAME;
  if (!endpoint || !tableName) throw new Error('BENCH_DYNAMODB_ENDPOINT and BENCH_TABLE_NAME are required');
  // Nothing here sends e-mail (the load is SMS only); a stand-in for the SES emulator's store
  // answers the outbox's reads, so `GET /_local/outbox` lists the SMS codes the load verifies.
  const sesEndpoint = await emptySesStore();
  const outbox = new Outbox(sesEndpoint);
  const deps = createLocalDeps({
    dynamoEndpoint: endpoint,
    tableName,
    sesEndpoint,
    outbox,
    // As in AWS (TENANT_CACHE_SECONDS default); `npm start` uses 0 so table edits show at once.
    tenantCacheSeconds: 60,
  });
  const store = countTransactions(deps.ddb);
  process.on('message', (message) => {
    if (message === 'stats') process.send?.({ stats: { ...store } });
    if (message === 'reset') Object.assign(store, { attempts: 0, conflicts: 0 });
  });
  await ensureTable(deps.ddb, tableName);
  const demo = await seedDemoTenant(deps.tenants);
  // The demo tenant with limits the load cannot reach (every counter is still charged).
  await deps.tenants.putTenant(
    tenantSchema.parse({ ...demo, policy: { ...demo.policy, ...UNREACHED_LIMITS } }),
  );
  const { handlers } = await loadDialects(deps);
  const server = createLocalServer({ outbox, handlers });
  const port = await listen(server, 0, '127.0.0.1');
  process.on('SIGTERM', () => {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  });
  process.send?.({ port, basic: DEMO.basic });
};

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
