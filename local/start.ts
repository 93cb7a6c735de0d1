/**
 * `npm start`: the whole service on this machine with no AWS account. DynamoDB Local (Java) with
 * the table, the SES emulator, a demo tenant, and every route of the route table served through
 * the same Lambda handlers as in AWS. Ctrl-C stops all of it; the data lives in memory only.
 */

import { runFallbackStep } from '../shared/engine/fallback';
import { DIALECTS } from '../shared/routes';
import { ensureTable } from '../shared/store/table-schema';
import { LOCAL_CONSTANTS, type LocalEnv, parseLocalEnv } from './config';
import { DEMO, loadDialectDemos, seedDemoTenant } from './demo-tenant';
import { createLocalDeps } from './deps';
import { loadDialects } from './dialects';
import { assertJava, dynamoPortTakenHint, portIsFree, startDynamoLocal } from './dynamo-local';
import { LocalEventBus } from './event-bus';
import { createTimerScheduler } from './fallback-timers';
import { Outbox } from './outbox';
import { createLocalServer, listen } from './server';
import { closeServer, startSesLocal } from './ses-local';

/** An error whose message is the whole story: printed without a stack. */
class StartError extends Error {
  override name = 'StartError';
}

/** The seed 004 SMS example, for the printed curl command. */
const EXAMPLE_BODY = {
  entityType: 'MOBILE',
  entityValue: '911234567896',
  action: 'POINTSTRANSFER',
  template: 'Hi user.Your OTP for validation is {{ validation_code }}.Enjoy',
  channels: [
    { type: 'SMS', value: '911234567896' },
    { type: 'PHONE', value: '911234567896' },
  ],
};

/** Checks every port before anything starts, so the message names the variable to change. */
const assertPortsFree = async (env: LocalEnv): Promise<void> => {
  const ports: Array<[keyof LocalEnv, number, string]> = [
    ['PORT', env.PORT, env.HOST],
    ['DYNAMODB_PORT', env.DYNAMODB_PORT, '127.0.0.1'],
    ['SES_PORT', env.SES_PORT, '127.0.0.1'],
  ];
  const seen = new Map<number, string>();
  for (const [name, port, host] of ports) {
    const other = seen.get(port);
    if (other) throw new StartError(`${name} and ${other} are both ${port}; give each its own port.`);
    seen.set(port, name);
    if (!(await portIsFree(port, host))) {
      const leftover = name === 'DYNAMODB_PORT' ? ` ${dynamoPortTakenHint(port)}` : '';
      throw new StartError(
        `Port ${port} is already in use (${name}).${leftover} Stop whatever listens there, or choose ` +
          `another port, e.g. \`${name}=${port + 1} npm start\`.`,
      );
    }
  }
};

const banner = (base: string, env: LocalEnv, skipped: string[], more: string[]): string => {
  const auth = `${DEMO.basic.clientId}:${DEMO.basic.secret}`;
  const lines = [
    '',
    'OTP service is running locally (no AWS account involved).',
    '',
    `  API            ${base}`,
    `  Outbox (JSON)  ${base}/_local/outbox`,
    `  Inbox (page)   ${base}/_local/inbox`,
    `  Events (JSON)  ${base}/_local/events`,
    `  OpenAPI        ${base}/openapi.json`,
    `  DynamoDB Local http://127.0.0.1:${env.DYNAMODB_PORT}  (table ${LOCAL_CONSTANTS.tableName}, in memory)`,
    `  SES emulator   http://127.0.0.1:${env.SES_PORT}`,
    '',
    `Demo tenant "${DEMO.tenantId}" (local-only credentials, also in local/demo-tenant.ts):`,
    `  HTTP Basic     client id ${DEMO.basic.clientId}  secret ${DEMO.basic.secret}`,
    `  Test phone     ${DEMO.test.phone}  test e-mail ${DEMO.test.email}  code ${DEMO.test.code} (never sent; README "Test destinations")`,
    '',
    'Try it (seed 004: SMS and a voice call, one code):',
    `  curl -s -u '${auth}' -H 'content-type: application/json' \\`,
    `    ${base}/v2/otp/generate \\`,
    `    -d '${JSON.stringify(EXAMPLE_BODY)}'`,
    `  curl -s ${base}/_local/outbox`,
    '',
    ...more,
    ...(skipped.length > 0 ? [`Not served yet (function file missing): ${skipped.join(', ')}`, ''] : []),
    'Ctrl-C stops the server, the SES emulator and DynamoDB Local.',
    '',
  ];
  return lines.join('\n');
};

const main = async (): Promise<void> => {
  const env = parseLocalEnv(process.env);
  if (env.HOST !== '127.0.0.1' && env.HOST !== 'localhost' && env.HOST !== '::1') {
    console.warn(
      `Warning: HOST=${env.HOST}: the outbox and inbox show every code sent to anyone who can reach them.`,
    );
  }
  assertJava();
  await assertPortsFree(env);

  // Stopped in reverse order on Ctrl-C or on a failed start.
  const stops: Array<() => Promise<void>> = [];
  let stoppingSince: number | undefined;
  const stopAll = async (): Promise<void> => {
    for (const stop of [...stops].reverse()) {
      await stop().catch((error: unknown) =>
        console.error('stop failed:', error instanceof Error ? error.message : error),
      );
    }
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (stoppingSince !== undefined) {
      // A terminal's Ctrl-C reaches this process twice (directly and relayed by tsx): only a
      // second press, later on, means "stop waiting".
      if (Date.now() - stoppingSince < 1000) return;
      console.error(`\n${signal} again: exiting without waiting.`);
      process.exit(1);
    }
    stoppingSince = Date.now();
    console.log(`\n${signal}: stopping the server, the SES emulator and DynamoDB Local...`);
    // A stop that hangs must not keep the terminal: give up after 15 s.
    setTimeout(() => {
      console.error('Stopping took over 15 s; exiting anyway.');
      process.exit(1);
    }, 15_000).unref();
    void stopAll().then(() => {
      console.log('Stopped.');
      process.exit(0);
    });
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    console.log(`Starting DynamoDB Local on port ${env.DYNAMODB_PORT} (Java)...`);
    const dynamo = await startDynamoLocal(env.DYNAMODB_PORT);
    stops.push(dynamo.stop);
    const ses = await startSesLocal(env.SES_PORT);
    stops.push(ses.stop);

    const outbox = new Outbox(ses.endpoint);
    const bus = new LocalEventBus();
    const deps = createLocalDeps({
      bus,
      dynamoEndpoint: dynamo.endpoint,
      tableName: LOCAL_CONSTANTS.tableName,
      sesEndpoint: ses.endpoint,
      outbox,
    });
    stops.push(async () => deps.ddb.destroy());
    // Fallback workflows wait on timers here (EventBridge Scheduler in AWS): README "Fallback workflows".
    const timers = createTimerScheduler(
      (job) => runFallbackStep({ ...deps, scheduler: timers.scheduler }, job),
      deps.logger,
    );
    deps.scheduler = timers.scheduler;
    // Stopped before the store: no step fires against a stopped DynamoDB Local.
    stops.push(async () => timers.stop());
    await ensureTable(deps.ddb, LOCAL_CONSTANTS.tableName);
    await seedDemoTenant(deps.tenants);

    const { handlers, skipped } = await loadDialects(deps);
    for (const id of skipped)
      console.log(`Note: skipping dialect ${id}: its function file does not exist yet.`);

    const server = createLocalServer({ outbox, bus, handlers, log: (line) => console.log(line) });
    const port = await listen(server, env.PORT, env.HOST);
    stops.push(async () => {
      server.closeAllConnections();
      await closeServer(server);
    });
    const shownHost = env.HOST.includes(':') ? `[${env.HOST}]` : env.HOST;
    const base = `http://${shownHost}:${port}`;
    // Each dialect's demo commands, with the base URL this run actually serves.
    const more = (await loadDialectDemos())
      .filter(({ dialect, demo }) => handlers[dialect] && demo.demoCurl?.length)
      .flatMap(({ dialect, demo }) => [
        `${DIALECTS[dialect].title}:`,
        ...(demo.demoCurl ?? []).map((line) => `  ${line.replaceAll('http://localhost:3000', base)}`),
        '',
      ]);
    console.log(banner(base, env, skipped, more));
  } catch (error) {
    await stopAll();
    throw error;
  }
};

main().catch((error: unknown) => {
  // Configuration, Java and port problems are explained by their message; anything else keeps its stack.
  const known =
    error instanceof StartError ||
    (error instanceof Error &&
      /Java runtime|Port \d+ is taken|Invalid local configuration/.test(error.message));
  console.error(known && error instanceof Error ? `Cannot start: ${error.message}` : error);
  process.exit(1);
});
