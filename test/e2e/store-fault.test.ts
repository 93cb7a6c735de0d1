import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createLocalDeps } from '../../local/deps';
import { loadDialects } from '../../local/dialects';
import { type DynamoLocal, freePort, startDynamoLocal } from '../../local/dynamo-local';
import { Outbox } from '../../local/outbox';
import { createLocalServer, listen } from '../../local/server';
import { closeServer } from '../../local/ses-local';
import {
  DYNAMODB_TIMEOUTS,
  HANDLER_DEADLINE_MS,
  STORE_RETRY_AFTER_S,
  sdkWorstCaseMs,
} from '../../shared/timeouts';
import { captureLogger } from '../support/harness';
import { type LocalStack, startLocalStack } from '../support/local-stack';

/**
 * A real fault: the local runtime on its own DynamoDB Local, which the test freezes with SIGSTOP
 * (the JVM keeps its port, the kernel accepts connections, nothing answers) and thaws with
 * SIGCONT. Timing bounds have a generous margin for a busy machine (2 cores, a JVM): they hold
 * "within the SDK's budget, well before the handler's deadline and the gateway's 504".
 */
describe('local runtime › store frozen (SIGSTOP on DynamoDB Local)', () => {
  let dynamo: DynamoLocal;
  let stack: LocalStack;
  const { logger, lines } = captureLogger();

  beforeAll(async () => {
    dynamo = await startDynamoLocal(await freePort());
    stack = await startLocalStack({ dynamoEndpoint: dynamo.endpoint, logger });
  }, 90_000);
  afterAll(async () => {
    process.kill(dynamo.pid, 'SIGCONT');
    await stack.stop();
    await dynamo.stop();
  });

  const basic = () =>
    `Basic ${Buffer.from(`${stack.demo.basic.clientId}:${stack.demo.basic.secret}`).toString('base64')}`;
  const generate = async (entityValue: string, baseUrl = stack.baseUrl) => {
    const started = Date.now();
    const response = await fetch(`${baseUrl}/v2/otp/generate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: basic() },
      body: JSON.stringify({ entityType: 'MOBILE', entityValue, action: 'REGISTRATION' }),
    });
    return {
      status: response.status,
      retryAfter: response.headers.get('retry-after'),
      body: (await response.json()) as Record<string, unknown>,
      elapsed: Date.now() - started,
    };
  };
  const loud = () =>
    lines
      .map((line) => JSON.parse(line) as { level: string; message: string; fault?: string })
      .filter((l) => l.level === 'WARN' || l.level === 'ERROR');

  it('answers five parallel generates 503 with Retry-After within the budget, then 200 once thawed', async () => {
    // Warm: the server, the client's connections and the tenant path all work first.
    expect((await generate('919876511000')).status).toBe(200);
    lines.length = 0;

    process.kill(dynamo.pid, 'SIGSTOP');
    let answers: Awaited<ReturnType<typeof generate>>[];
    try {
      answers = await Promise.all([1, 2, 3, 4, 5].map((i) => generate(`91987651100${i}`)));
    } finally {
      process.kill(dynamo.pid, 'SIGCONT');
    }

    for (const answer of answers) {
      expect(answer.status).toBe(503);
      expect(answer.body).toEqual({
        errors: [{ code: 503, message: 'Service unavailable, retry later' }],
        warnings: [],
      });
      expect(answer.retryAfter).toBe(String(STORE_RETRY_AFTER_S));
      // Generous margin: the SDK's worst case (3 × 1 s + backoff) plus 3 s for a busy machine.
      expect(answer.elapsed).toBeLessThan(sdkWorstCaseMs(DYNAMODB_TIMEOUTS) + 3_000);
      expect(answer.elapsed).toBeLessThan(HANDLER_DEADLINE_MS);
    }
    // One WARN line per request, with the fault kind; no "unhandled error".
    expect(loud()).toEqual(
      answers.map(() =>
        expect.objectContaining({ level: 'WARN', message: 'service unavailable', fault: 'store-timeout' }),
      ),
    );

    // Recovery: the next generate, on the same cached client, answers at once.
    const recovered = await generate('919876511009');
    expect(recovered.status).toBe(200);
    expect(recovered.elapsed).toBeLessThan(2_000);
    console.info(
      `store frozen: answers in ${answers.map((a) => a.elapsed).join(', ')} ms; recovered in ${recovered.elapsed} ms`,
    );
  });

  it('a container that starts during the outage answers 503 with Retry-After, then 200 once thawed, without a restart', async () => {
    process.kill(dynamo.pid, 'SIGSTOP');
    let cold: { baseUrl: string; stop: () => Promise<void> } | undefined;
    try {
      // A cold start: fresh deps (new clients, empty tenant cache) and handlers built from them,
      // as a new Lambda container would, while the store answers nothing. Building must not need it.
      const outbox = new Outbox(stack.sesEndpoint);
      const deps = createLocalDeps({
        dynamoEndpoint: dynamo.endpoint,
        tableName: stack.deps.tableName,
        sesEndpoint: stack.sesEndpoint,
        outbox,
        logger,
        tenantCacheSeconds: 60,
      });
      const { handlers } = await loadDialects(deps);
      const server = createLocalServer({ outbox, handlers });
      const port = await listen(server, 0, '127.0.0.1');
      cold = {
        baseUrl: `http://127.0.0.1:${port}`,
        stop: async () => {
          server.closeAllConnections();
          await closeServer(server);
          deps.ddb.destroy();
        },
      };
      lines.length = 0;
      // Its first request must read the credential and the tenant: the store is the fault.
      const during = await generate('919876511020', cold.baseUrl);
      expect(during.status).toBe(503);
      expect(during.retryAfter).toBe(String(STORE_RETRY_AFTER_S));
      expect(during.elapsed).toBeLessThan(sdkWorstCaseMs(DYNAMODB_TIMEOUTS) + 3_000);
      expect(loud()).toEqual([
        expect.objectContaining({ level: 'WARN', message: 'service unavailable', fault: 'store-timeout' }),
      ]);

      process.kill(dynamo.pid, 'SIGCONT');
      // The same container, nothing restarted: its clients and its (empty) caches recover.
      const after = await generate('919876511021', cold.baseUrl);
      expect(after.status).toBe(200);
      expect(after.elapsed).toBeLessThan(2_000);
      console.info(
        `cold start during the outage: ${during.status} in ${during.elapsed} ms; then ${after.status} in ${after.elapsed} ms`,
      );
    } finally {
      process.kill(dynamo.pid, 'SIGCONT');
      await cold?.stop();
    }
  });
});
