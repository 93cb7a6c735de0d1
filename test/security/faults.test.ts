import { createServer, type Server, type Socket } from 'node:net';
import {
  DynamoDBClient,
  ProvisionedThroughputExceededException,
  RequestLimitExceeded,
  type ServiceInputTypes,
  type ServiceOutputTypes,
  ThrottlingException,
  TransactionCanceledException,
  type TransactWriteItemsCommandInput,
} from '@aws-sdk/client-dynamodb';
import { PinpointSMSVoiceV2Client, SendVoiceMessageCommand } from '@aws-sdk/client-pinpoint-sms-voice-v2';
import { SESClient, SendEmailCommand } from '@aws-sdk/client-ses';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { SendWhatsAppMessageCommand, SocialMessagingClient } from '@aws-sdk/client-socialmessaging';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { FinalizeRequestMiddleware } from '@smithy/types';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { createHandler as appOtpHandler } from '../../functions/app-otp';
import { createHandler as capillaryAuthHandler } from '../../functions/capillary-auth';
import { createHandler as capillaryV2Handler } from '../../functions/capillary-v2';
import { createHandler as loginRadiusHandler } from '../../functions/loginradius';
import { createHandler as summitAiHandler } from '../../functions/summitai';
import { createHandler as twilioVerifyHandler } from '../../functions/twilio-verify';
import { demoUserToken } from '../../local/demo/app-otp';
import { DEMO_AUTH } from '../../local/demo/capillary-auth';
import { LOGINRADIUS_DEMO } from '../../local/demo/loginradius';
import { SEED_GENERATE, validateBody } from '../../local/demo/summitai';
import { DEMO, seedDemoTenant } from '../../local/demo-tenant';
import { freePort, LOCAL_AWS } from '../../local/dynamo-local';
import type { AppDeps } from '../../shared/app-deps';
import { createAwsSenders } from '../../shared/channels/aws';
import { issue } from '../../shared/engine';
import { ServiceUnavailableError } from '../../shared/errors';
import type { LambdaHandler } from '../../shared/http/types';
import type { DialectId } from '../../shared/routes';
import { TenantDirectory } from '../../shared/tenant-directory';
import type { Tenant } from '../../shared/tenants';
import {
  CHANNEL_SEND_DEADLINE_MS,
  CONFLICT_RETRY,
  DYNAMODB_TIMEOUTS,
  dynamoClientOptions,
  HANDLER_DEADLINE_MS,
  HANDLER_EARLY_TIMEOUT_MS,
  LAMBDA_TIMEOUT_MS,
  STORE_RETRY_AFTER_S,
  sdkWorstCaseMs,
} from '../../shared/timeouts';
import { resourcesOf, synthStack } from '../infra/synth';
import { apiEvent, invoke } from '../support/app-harness';
import {
  engineHarness,
  keysFor,
  lastCode,
  localDynamo,
  rejection,
  scanItems,
  smsIssue,
  testDirectoryOptions,
  testTenant,
} from '../support/harness';
import { warmShardPeriods } from '../support/sharded';
import { TWILIO_HEADERS, TWILIO_SERVICE_PATH, twilioForm } from '../support/twilio';

/** API Gateway's REST integration timeout. */
const API_GATEWAY_TIMEOUT_S = 29;

/**
 * Faults raised as an error at the seam, and two real network faults: `ECONNREFUSED` sends the
 * request to a port nothing listens on, `slow` to a server that accepts and never answers, so
 * the SDK's own HTTP handler raises what it raises in production.
 */
type FaultKind =
  | 'ProvisionedThroughputExceededException'
  | 'ThrottlingException'
  | 'RequestLimitExceeded'
  | 'TimeoutError'
  | 'TransactionConflict'
  | 'ECONNREFUSED'
  | 'slow'
  | 'delayed';
type ErrorFault = Exclude<FaultKind, 'ECONNREFUSED' | 'slow' | 'delayed'>;

/** How long a `delayed` attempt waits before it goes through (longer than the deadline tests leave). */
const DELAY_MS = 1_500;

/** Where the network faults send a request: a closed port, and a server that never answers. */
const network = { refusedPort: 0, silentPort: 0 };
let silent: Server | undefined;
const sockets = new Set<Socket>();
beforeAll(async () => {
  network.refusedPort = await freePort();
  silent = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => silent?.listen(0, '127.0.0.1', resolve));
  const address = silent.address();
  network.silentPort = typeof address === 'object' && address ? address.port : 0;
});
afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => silent?.close(resolve));
});

/** A fresh error of each kind, shaped as the SDK raises it (modelled class, or the HTTP handler's timeout). */
const faultError = (kind: ErrorFault): Error => {
  const $metadata = { httpStatusCode: 400, requestId: 'fault-injection' };
  switch (kind) {
    case 'ProvisionedThroughputExceededException':
      return new ProvisionedThroughputExceededException({
        message: 'The level of configured provisioned throughput for the table was exceeded.',
        $metadata,
      });
    case 'ThrottlingException':
      return new ThrottlingException({
        message: 'Throughput exceeds the current capacity of your table.',
        $metadata,
      });
    case 'RequestLimitExceeded':
      return new RequestLimitExceeded({
        message: 'Throughput exceeds the current throughput limit for your account.',
        $metadata,
      });
    case 'TimeoutError':
      // What @smithy/node-http-handler throws when its requestTimeout fires.
      return Object.assign(new Error('Connection timed out after 5000 ms'), { name: 'TimeoutError' });
    case 'TransactionConflict':
      return new TransactionCanceledException({
        message:
          'Transaction cancelled, please refer cancellation reasons for specific reasons [TransactionConflict]',
        $metadata,
        CancellationReasons: [
          { Code: 'TransactionConflict', Message: 'Transaction is ongoing for the item' },
        ],
      });
  }
};

interface Attempt {
  command: string;
  at: number;
  failed: boolean;
}

/**
 * Fault injection at the DynamoDB client seam: a middleware just inside the SDK's retry
 * middleware, so every attempt (first try and each SDK retry) passes through it and the SDK's
 * own retry decision and backoff run on the injected error exactly as on a real one.
 * `afterCommit` lets the request reach DynamoDB and loses the response instead (a timeout after
 * the write committed).
 */
const injectFaults = (client: DynamoDBClient) => {
  let plan: { kind: FaultKind; remaining: number; commands?: string[]; afterCommit?: boolean } | undefined;
  const attempts: Attempt[] = [];
  const tokens: Array<string | undefined> = [];
  const middleware: FinalizeRequestMiddleware<ServiceInputTypes, ServiceOutputTypes> =
    (next, context) => async (args) => {
      const command = context.commandName ?? 'unknown';
      const targeted = plan && plan.remaining > 0 && (!plan.commands || plan.commands.includes(command));
      if (command === 'TransactWriteItemsCommand') {
        // The SDK fills the idempotency token while serialising, so it is in the wire body only.
        const body = (args.request as { body?: unknown }).body;
        const text = body instanceof Uint8Array ? new TextDecoder().decode(body) : body;
        const wire: TransactWriteItemsCommandInput | undefined =
          typeof text === 'string' ? JSON.parse(text) : undefined;
        tokens.push(wire?.ClientRequestToken);
      }
      attempts.push({ command, at: Date.now(), failed: Boolean(targeted) });
      if (!plan || !targeted) return next(args);
      plan.remaining--;
      if (plan.kind === 'delayed') {
        await new Promise((resolve) => setTimeout(resolve, DELAY_MS));
        return next(args);
      }
      if (plan.kind === 'ECONNREFUSED' || plan.kind === 'slow') {
        const request = args.request as { port?: number };
        const port = request.port;
        request.port = plan.kind === 'slow' ? network.silentPort : network.refusedPort;
        try {
          return await next(args);
        } finally {
          request.port = port;
        }
      }
      if (plan.afterCommit) await next(args);
      throw faultError(plan.kind);
    };
  client.middlewareStack.addRelativeTo(middleware, {
    relation: 'after',
    toMiddleware: 'retryMiddleware',
    name: 'injectFaults',
  });
  return {
    /** Fails the next `calls` attempts of `commands` (all commands when unset). */
    fail: (
      kind: FaultKind,
      calls = Number.POSITIVE_INFINITY,
      options: { commands?: string[]; afterCommit?: boolean } = {},
    ) => {
      plan = { kind, remaining: calls, ...options };
      attempts.length = 0;
      tokens.length = 0;
    },
    off: () => {
      plan = undefined;
    },
    attempts,
    tokens,
  };
};

/** The attempts of one command, and the gaps the SDK waited between them. */
const attemptsOf = (attempts: Attempt[], command: string) => {
  const mine = attempts.filter((a) => a.command === command);
  return {
    count: mine.length,
    failed: mine.filter((a) => a.failed).length,
    waited: (mine.at(-1)?.at ?? 0) - (mine[0]?.at ?? 0),
  };
};

/** Every counter (`sends`, `failures`, `verified`, `balance`) of the table and every challenge, by key. */
const chargeState = async (deps: AppDeps) =>
  Object.fromEntries(
    (await scanItems(deps.ddb, deps.tableName))
      .filter((i) => /^(DAY|HOUR|CH)#/.test(String(i.sk)))
      .map((i) => [
        `${i.pk}|${i.sk}`,
        String(i.sk).startsWith('CH#')
          ? { id: i.id, attempts: i.attempts, sendCount: i.sendCount, consumedAt: i.consumedAt ?? null }
          : {
              sends: Number(i.sends ?? 0),
              failures: Number(i.failures ?? 0),
              verified: Number(i.verified ?? 0),
            },
      ]),
  );

/** The one challenge of a table, as chargeState shows it. */
const challengeState = async (deps: AppDeps) =>
  Object.values(await chargeState(deps)).find((v) => 'attempts' in v) as {
    attempts: number;
    consumedAt: number | null;
  };

/** The demo tenant with every dialect's credentials, on DynamoDB Local, with faults injectable. */
const dialectHarness = async () => {
  // The production client settings (timeouts, attempts) against DynamoDB Local.
  const ddb = new DynamoDBClient({
    ...LOCAL_AWS,
    endpoint: process.env.DYNAMODB_ENDPOINT,
    ...dynamoClientOptions(),
  });
  const h = await engineHarness({ ddb });
  const faults = injectFaults(h.ddb);
  const tenants = new TenantDirectory(h.ddb, h.tableName, testDirectoryOptions());
  const demo = await seedDemoTenant(tenants);
  // With the store healthy, as the drivers' `prepare` warms the caches: the faults below meet
  // only the requests a send or verify makes in a warm process.
  // (through a client with the SDK's default timeouts: the warm-up is not under test).
  await warmShardPeriods(localDynamo(), h.tableName, demo, h.clock.now());
  const deps: AppDeps = {
    ...h.deps,
    tenants,
    signingKey: async () => Buffer.from('fault-test-signing-key-0123456789abcdef'),
  };
  return { ...h, deps, faults };
};
type DialectHarness = Awaited<ReturnType<typeof dialectHarness>>;

type Answer = Awaited<ReturnType<typeof invoke>>;

/** A dialect driven end to end: `prepare` runs with the store healthy (sessions, warm caches). */
interface Driver {
  prepare: () => Promise<void>;
  generate: () => Promise<Answer>;
  verify: (code: string) => Promise<Answer>;
  /** Where the code goes (the recording senders' `to`). */
  to: string;
  /** The dialect's 503 for a generate and for a verify. */
  unavailable: { generate: object; verify: object };
  /** The status of a successful generate (Twilio answers a created verification with 201). */
  created?: number;
}

const BASIC = `Basic ${Buffer.from(`${DEMO.basic.clientId}:${DEMO.basic.secret}`).toString('base64')}`;
const LR_QUERY = { apikey: LOGINRADIUS_DEMO.apikey, apisecret: LOGINRADIUS_DEMO.apisecret };
const LR_BASE = '/identity/v2/manage/account/smsotp';

/** The Lambda's remaining time the drivers' requests start with; the deadline test shortens it. */
let remainingMs = LAMBDA_TIMEOUT_MS;
const lambdaContext = {
  awsRequestId: 'fault',
  getRemainingTimeInMillis: () => remainingMs,
} as unknown as Context;

const call = (handler: LambdaHandler, event: APIGatewayProxyEvent) => invoke(handler, event, lambdaContext);

const DRIVERS: Record<DialectId, (h: DialectHarness) => Driver> = {
  'capillary-v2': (h) => {
    const handler = capillaryV2Handler(h.deps);
    const entity = { entityType: 'MOBILE', entityValue: '919876500001', action: 'REGISTRATION' };
    const headers = { authorization: BASIC };
    const unavailable = {
      errors: [{ code: 503, message: 'Service unavailable, retry later' }],
      warnings: [],
    };
    return {
      // A validate with no code issued reads the tenant (warming its cache) and writes nothing.
      prepare: async () => {
        await call(
          handler,
          apiEvent('POST', '/v2/otp/validate', { headers, body: { ...entity, code: '000000' } }),
        );
      },
      generate: () => call(handler, apiEvent('POST', '/v2/otp/generate', { headers, body: entity })),
      verify: (code) =>
        call(handler, apiEvent('POST', '/v2/otp/validate', { headers, body: { ...entity, code } })),
      to: '+919876500001',
      unavailable: { generate: unavailable, verify: unavailable },
    };
  },
  loginradius: (h) => {
    const handler = loginRadiusHandler(h.deps);
    const phone = '+919876500002';
    const unavailable = {
      Description: 'The service is busy, please try again shortly.',
      ErrorCode: 1000,
      IsProviderError: false,
      ProviderErrorResponse: null,
    };
    return {
      prepare: async () => {
        await call(
          handler,
          apiEvent('PUT', `${LR_BASE}/forgotpassword/verify`, {
            query: LR_QUERY,
            body: { Phone: phone, Otp: '000000' },
          }),
        );
      },
      generate: () =>
        call(
          handler,
          apiEvent('POST', `${LR_BASE}/forgotpassword`, { query: LR_QUERY, body: { Phone: phone } }),
        ),
      verify: (code) =>
        call(
          handler,
          apiEvent('PUT', `${LR_BASE}/forgotpassword/verify`, {
            query: LR_QUERY,
            body: { Phone: phone, Otp: code },
          }),
        ),
      to: phone,
      unavailable: { generate: unavailable, verify: unavailable },
    };
  },
  'app-otp': (h) => {
    const handler = appOtpHandler(h.deps);
    const headers = { 'user-jwt-token': demoUserToken(h.clock.now()) };
    const phone = { phone_number: '9876500003', countryCode: '+91' };
    let authCode = '';
    const unavailable = { message: 'SERVICE_UNAVAILABLE' };
    return {
      prepare: async () => {
        await call(
          handler,
          apiEvent('POST', '/fe/users/auth/otp/verify', {
            headers,
            body: { ...phone, authCode: '1234', otp: '000000' },
          }),
        );
      },
      generate: async () => {
        const answer = await call(
          handler,
          apiEvent('POST', '/fe/users/auth/otp/register', { headers, body: phone }),
        );
        if (answer.status === 200) authCode = String(answer.body.authCode);
        return answer;
      },
      verify: (otp) =>
        call(
          handler,
          apiEvent('POST', '/fe/users/auth/otp/verify', { headers, body: { ...phone, authCode, otp } }),
        ),
      to: '+919876500003',
      unavailable: { generate: unavailable, verify: unavailable },
    };
  },
  'capillary-auth': (h) => {
    const handler = capillaryAuthHandler(h.deps);
    const identity = {
      identifierType: 'MOBILE',
      identifierValue: '9876500004',
      deviceId: 'fault-device',
      brand: DEMO_AUTH.brand,
    };
    let sessionId = '';
    return {
      // The session is the dialect's own state; it exists before the store fails.
      prepare: async () => {
        const answer = await call(handler, apiEvent('POST', '/auth/v1/token/generate', { body: identity }));
        sessionId = String((answer.body.user as { sessionId: string }).sessionId);
      },
      generate: () =>
        call(handler, apiEvent('POST', '/auth/v1/otp/generate', { body: { ...identity, sessionId } })),
      verify: (otp) =>
        call(handler, apiEvent('POST', '/auth/v1/otp/validate', { body: { ...identity, sessionId, otp } })),
      to: '+919876500004',
      unavailable: {
        generate: { status: { success: false, code: 1503, message: 'Unable to generate OTP, retry later' } },
        verify: { status: { success: false, code: 1502, message: 'Unable to validate OTP, retry later' } },
      },
    };
  },
  summitai: (h) => {
    const handler = summitAiHandler(h.deps);
    let transactionId = '';
    const unavailable = { Errors: 'Service unavailable, try again later', OutputObject: null };
    return {
      prepare: async () => {
        await call(
          handler,
          apiEvent('POST', '/adm/service', {
            body: validateBody('000000', '6f1c1f2e-0000-4000-8000-000000000000'),
          }),
        );
      },
      generate: async () => {
        const answer = await call(handler, apiEvent('POST', '/adm/service', { body: SEED_GENERATE }));
        const sent = (
          answer.body.OutputObject as { OTP_Communication?: Array<{ TransactionID: string }> } | null
        )?.OTP_Communication?.[0];
        if (sent) transactionId = sent.TransactionID;
        return answer;
      },
      verify: (otp) =>
        call(handler, apiEvent('POST', '/adm/service', { body: validateBody(otp, transactionId) })),
      // The seed's user 967 (local/demo/summitai.ts).
      to: '+919876543219',
      unavailable: { generate: unavailable, verify: unavailable },
    };
  },
  'twilio-verify': (h) => {
    const handler = twilioVerifyHandler(h.deps);
    const to = '+919876500006';
    const post = (path: string, fields: Record<string, string>) =>
      call(
        handler,
        apiEvent('POST', `${TWILIO_SERVICE_PATH}${path}`, {
          headers: TWILIO_HEADERS,
          body: twilioForm(fields),
        }),
      );
    const unavailable = {
      code: 20503,
      message: 'Service unavailable, retry later',
      more_info: 'https://www.twilio.com/docs/errors/20503',
      status: 503,
    };
    return {
      // A check with no code issued reads the tenant and the Service (warming both caches).
      prepare: async () => {
        await post('/VerificationCheck', { To: to, Code: '000000' });
      },
      generate: () => post('/Verifications', { To: to, Channel: 'sms' }),
      verify: (code) => post('/VerificationCheck', { To: to, Code: code }),
      to,
      unavailable: { generate: unavailable, verify: unavailable },
      created: 201,
    };
  },
};

/** Nothing of the store's error may reach the client. */
const expectNoInternals = (answer: Answer) => {
  expect(JSON.stringify(answer.body)).not.toMatch(/Exception|Throughput|Timeout|Conflict|stack|\bat \S+ \(/i);
};

describe('security › faults', () => {
  describe('DynamoDB throttling and timeouts (client seam, SDK retry middleware)', () => {
    it.each([
      ['ProvisionedThroughputExceededException', 1],
      ['ThrottlingException', 1],
      ['TimeoutError', DYNAMODB_TIMEOUTS.maxAttempts - 1],
    ] as const)(
      'retries %s (%d failed attempts) and the generate succeeds, charged once',
      async (kind, calls) => {
        const h = await dialectHarness();
        const d = DRIVERS['capillary-v2'](h);
        await d.prepare();
        h.faults.fail(kind, calls, { commands: ['TransactWriteItemsCommand'] });

        const answer = await d.generate();

        expect(answer.status).toBe(200);
        const tx = attemptsOf(h.faults.attempts, 'TransactWriteItemsCommand');
        expect(tx).toMatchObject({ count: calls + 1, failed: calls });
        // The SDK's retries are one request: one idempotency token for every attempt.
        expect(new Set(h.faults.tokens).size).toBe(1);
        expect(h.faults.tokens[0]).toEqual(expect.any(String));
        expect(h.sent.map((m) => m.to)).toEqual([d.to]);
        h.faults.off();
        expect(Object.values(await chargeState(h.deps)).filter((v) => 'sends' in v && v.sends !== 1)).toEqual(
          [],
        );
        expect((await d.verify(lastCode(h.sent))).status).toBe(200);
      },
    );

    it.each(['ProvisionedThroughputExceededException', 'ThrottlingException', 'TimeoutError'] as const)(
      'answers a clean 503 when %s persists: every attempt with backoff, before the Lambda timeout, nothing charged',
      async (kind) => {
        const h = await dialectHarness();
        const d = DRIVERS['capillary-v2'](h);
        await d.prepare();
        const before = await chargeState(h.deps);
        h.faults.fail(kind);

        const started = Date.now();
        const answer = await d.generate();
        const elapsed = Date.now() - started;

        expect(answer.status).toBe(503);
        expect(answer.body).toEqual(d.unavailable.generate);
        expectNoInternals(answer);
        // The budget's attempts (shared/timeouts.ts), not the SDK's default of 4.
        const tx = attemptsOf(h.faults.attempts, 'TransactWriteItemsCommand');
        const n = DYNAMODB_TIMEOUTS.maxAttempts;
        expect(tx).toMatchObject({ count: n, failed: n });
        // Backoff: the attempts were spread out (full jitter, so only "not back to back" is certain).
        expect(tx.waited).toBeGreaterThan(0);
        expect(elapsed).toBeLessThan(LAMBDA_TIMEOUT_MS);
        expect(h.sent).toEqual([]);
        h.faults.off();
        expect(await chargeState(h.deps)).toEqual(before);
      },
    );

    it('re-sends nothing twice when the response is lost after DynamoDB committed (idempotency token)', async () => {
      const h = await dialectHarness();
      const d = DRIVERS['capillary-v2'](h);
      await d.prepare();
      h.faults.fail('TimeoutError', 1, { commands: ['TransactWriteItemsCommand'], afterCommit: true });

      const answer = await d.generate();

      // The SDK retried with the same ClientRequestToken, so DynamoDB answered the committed
      // result instead of running the transaction again (which would have found the new code).
      expect(answer.status).toBe(200);
      expect(answer.body.createdId).not.toBe(1);
      expect(h.faults.tokens).toHaveLength(2);
      expect(new Set(h.faults.tokens).size).toBe(1);
      expect(h.sent).toHaveLength(1);
      h.faults.off();
      const counters = Object.values(await chargeState(h.deps)).filter((v) => 'sends' in v);
      expect(counters.every((v) => 'sends' in v && v.sends === 1)).toBe(true);
    });

    it('keeps one code when every response of a generate is lost after the commit: 503, then that code is re-sent', async () => {
      const h = await dialectHarness();
      const d = DRIVERS['capillary-v2'](h);
      await d.prepare();
      h.faults.fail('TimeoutError', Number.POSITIVE_INFINITY, {
        commands: ['TransactWriteItemsCommand'],
        afterCommit: true,
      });

      const lost = await d.generate();

      // Known limit (SECURITY.md): the charge and the code committed, nothing was sent.
      expect(lost.status).toBe(503);
      expect(h.sent).toEqual([]);
      h.faults.off();
      const state = await chargeState(h.deps);
      expect(Object.keys(state).filter((k) => k.includes('|CH#'))).toHaveLength(1);
      // Within the resend gap the retry is held (429, nothing sent); after it, the committed code goes out once.
      expect((await d.generate()).status).toBe(429);
      h.clock.advance(30_000);
      const retried = await d.generate();
      expect(retried).toMatchObject({ status: 200, body: { createdId: 1 } });
      expect(h.sent).toHaveLength(1);
      expect((await d.verify(lastCode(h.sent))).status).toBe(200);
    });
  });

  describe.each(Object.keys(DRIVERS) as DialectId[])('%s under DynamoDB faults', (dialect) => {
    /**
     * Every fault of a store that throttles, refuses or hangs, on every DynamoDB call. Timing
     * bounds have a generous margin for a busy machine (2 cores, DynamoDB Local in Java): the
     * claim is "within the SDK's budget, long before the handler's deadline", not a latency.
     */
    it.each([
      ['ProvisionedThroughputExceededException', 'store-throttled'],
      ['ThrottlingException', 'store-throttled'],
      ['RequestLimitExceeded', 'store-throttled'],
      ['ECONNREFUSED', 'store-unreachable'],
      ['slow', 'store-timeout'],
    ] as const)(
      'answers %s with its own 503 and Retry-After within the budget, logging one %s line',
      async (kind, fault) => {
        const h = await dialectHarness();
        const d = DRIVERS[dialect](h);
        await d.prepare();
        h.logLines.length = 0;
        h.faults.fail(kind);

        const started = Date.now();
        const answer = await d.generate();
        const elapsed = Date.now() - started;

        expect(answer.status).toBe(503);
        expect(answer.body).toMatchObject(d.unavailable.generate);
        expect(answer.headers?.['retry-after']).toBe(String(STORE_RETRY_AFTER_S));
        expectNoInternals(answer);
        expect(elapsed).toBeLessThan(sdkWorstCaseMs(DYNAMODB_TIMEOUTS) + 2_000);
        expect(elapsed).toBeLessThan(HANDLER_DEADLINE_MS);
        // One round trip's attempts, then the answer: the first round trip that fails ends the
        // request. app-otp's generate overlaps its isNewUser read with the engine's write (one
        // round trip, two calls), so both calls spend their attempts.
        const parallelCalls = dialect === 'app-otp' ? 2 : 1;
        expect(h.faults.attempts.filter((a) => a.failed)).toHaveLength(
          DYNAMODB_TIMEOUTS.maxAttempts * parallelCalls,
        );
        const loud = h.logLines
          .map((line) => JSON.parse(line) as { level: string; message: string; fault?: string })
          .filter((l) => l.level === 'WARN' || l.level === 'ERROR');
        expect(loud).toEqual([
          expect.objectContaining({ level: 'WARN', message: 'service unavailable', fault }),
        ]);
        expect(h.sent).toEqual([]);
        // Recovery: the same client answers at once when the store is back.
        h.faults.off();
        expect((await d.generate()).status).toBe(d.created ?? 200);
      },
    );

    it("answers its own 503 with Retry-After when the handler's remaining time runs out first, not middy's 500", async () => {
      const h = await dialectHarness();
      const d = DRIVERS[dialect](h);
      await d.prepare();
      h.logLines.length = 0;
      h.faults.fail('slow');
      // 300 ms left before the early timeout: shorter than one attempt's 1 s request timeout.
      remainingMs = HANDLER_EARLY_TIMEOUT_MS + 300;

      const started = Date.now();
      const answer = await d.generate().finally(() => {
        remainingMs = LAMBDA_TIMEOUT_MS;
      });
      const elapsed = Date.now() - started;

      expect(answer.status).toBe(503);
      expect(answer.body).toMatchObject(d.unavailable.generate);
      expect(answer.headers?.['retry-after']).toBe(String(STORE_RETRY_AFTER_S));
      // Generous margin for a busy machine: the claim is "at the deadline, not a request timeout later".
      expect(elapsed).toBeGreaterThanOrEqual(250);
      expect(elapsed).toBeLessThan(300 + DYNAMODB_TIMEOUTS.requestTimeoutMs);
      const loud = h.logLines
        .map((line) => JSON.parse(line) as { level: string; message: string; fault?: string })
        .filter((l) => l.level === 'WARN' || l.level === 'ERROR');
      expect(loud).toEqual([
        expect.objectContaining({ level: 'WARN', message: 'service unavailable', fault: 'handler-deadline' }),
      ]);
      // The abandoned handler runs on until its own store calls time out (not cancelled: see the
      // report); let it end before the store heals, so it cannot send behind the 503.
      await new Promise((resolve) => setTimeout(resolve, sdkWorstCaseMs(DYNAMODB_TIMEOUTS)));
      expect(h.sent).toEqual([]);
    });

    it('answers its own 503 to a generate when DynamoDB throttles the charge, never a 500, charging nothing', async () => {
      const h = await dialectHarness();
      const d = DRIVERS[dialect](h);
      await d.prepare();
      const before = await chargeState(h.deps);
      h.faults.fail('ProvisionedThroughputExceededException', Number.POSITIVE_INFINITY, {
        commands: ['TransactWriteItemsCommand'],
      });

      const answer = await d.generate();

      expect(answer.status).toBe(503);
      expect(answer.body).toMatchObject(d.unavailable.generate);
      expectNoInternals(answer);
      expect(attemptsOf(h.faults.attempts, 'TransactWriteItemsCommand')).toMatchObject({
        count: DYNAMODB_TIMEOUTS.maxAttempts,
        failed: DYNAMODB_TIMEOUTS.maxAttempts,
      });
      expect(h.sent).toEqual([]);
      h.faults.off();
      expect(await chargeState(h.deps)).toEqual(before);
      // The store is back: the same request now sends a code that verifies.
      expect((await d.generate()).status).toBe(d.created ?? 200);
      expect((await d.verify(lastCode(h.sent, d.to))).status).toBe(200);
    });

    it('answers its own 503 to a verify when every DynamoDB call times out, and the code survives it', async () => {
      const h = await dialectHarness();
      const d = DRIVERS[dialect](h);
      await d.prepare();
      expect((await d.generate()).status).toBe(d.created ?? 200);
      const code = lastCode(h.sent, d.to);
      const before = await chargeState(h.deps);
      h.faults.fail('TimeoutError');

      const answer = await d.verify(code);

      expect(answer.status).toBe(503);
      expect(answer.body).toMatchObject(d.unavailable.verify);
      expectNoInternals(answer);
      expect(h.faults.attempts.filter((a) => a.failed).length).toBeGreaterThanOrEqual(
        DYNAMODB_TIMEOUTS.maxAttempts,
      );
      h.faults.off();
      // No attempt was counted and nothing consumed: the user's code still works.
      expect(await chargeState(h.deps)).toEqual(before);
      expect((await d.verify(code)).status).toBe(200);
    });
  });

  describe('nothing half-done after a fault (shared/engine/verify.ts, issue.ts)', () => {
    it.each(Object.keys(DRIVERS) as DialectId[])(
      '%s: a verify whose transaction times out after the reservation keeps the code live and the attempt counted',
      async (dialect) => {
        const h = await dialectHarness();
        const d = DRIVERS[dialect](h);
        await d.prepare();
        expect((await d.generate()).status).toBe(d.created ?? 200);
        const code = lastCode(h.sent, d.to);
        const challengeOf = () => challengeState(h.deps);
        const before = await challengeOf();
        // The reservation (UpdateItem) goes through; the consuming transaction never answers.
        h.faults.fail('slow', Number.POSITIVE_INFINITY, { commands: ['TransactWriteItemsCommand'] });

        const answer = await d.verify(code);

        expect(answer.status).toBe(503);
        expect(answer.body).toMatchObject(d.unavailable.verify);
        h.faults.off();
        // The safe side: the guess was reserved (counted) before it was compared, and the code
        // was not consumed, so nothing succeeded that was not answered as a success.
        expect(await challengeOf()).toEqual({ ...before, attempts: before.attempts + 1, consumedAt: null });
        expect((await d.verify(code)).status).toBe(200);
      },
    );
  });

  describe('work abandoned by the early timeout (shared/deadline.ts)', () => {
    it.each(Object.keys(DRIVERS) as DialectId[])(
      '%s: a verify answered 503 at the deadline while its reservation was slow does not consume the code afterwards',
      async (dialect) => {
        const h = await dialectHarness();
        const d = DRIVERS[dialect](h);
        await d.prepare();
        expect((await d.generate()).status).toBe(d.created ?? 200);
        const code = lastCode(h.sent, d.to);
        const challengeOf = () => challengeState(h.deps);
        const before = await challengeOf();
        h.faults.fail('delayed', 1, { commands: ['UpdateItemCommand'] });
        remainingMs = HANDLER_EARLY_TIMEOUT_MS + 300;

        const answer = await d.verify(code).finally(() => {
          remainingMs = LAMBDA_TIMEOUT_MS;
        });

        expect(answer.status).toBe(503);
        expect(answer.body).toMatchObject(d.unavailable.verify);
        // The abandoned handler's reservation lands after the answer; its consuming transaction
        // must not follow it.
        await new Promise((resolve) => setTimeout(resolve, DELAY_MS + 1_000));
        h.faults.off();
        expect(await challengeOf()).toEqual({ ...before, attempts: before.attempts + 1, consumedAt: null });
        expect((await d.verify(code)).status).toBe(200);
      },
    );
  });

  describe('transaction conflicts (shared/store/dynamo.ts transact)', () => {
    it('outlasts a burst of 12 conflicts, more than the 7 attempts the earlier policy allowed', async () => {
      const h = await engineHarness();
      const faults = injectFaults(h.ddb);
      const tenant = testTenant();
      faults.fail('TransactionConflict', 12, { commands: ['TransactWriteItemsCommand'] });

      const issued = await issue(h.deps, smsIssue(tenant, '+919876500020'));

      expect(issued.resent).toBe(false);
      expect(attemptsOf(faults.attempts, 'TransactWriteItemsCommand')).toMatchObject({
        count: 13,
        failed: 12,
      });
      expect(h.sent).toHaveLength(1);
    });

    it('gives up with ServiceUnavailableError after its retry budget, inside the Lambda timeout', async () => {
      const h = await engineHarness();
      const faults = injectFaults(h.ddb);
      faults.fail('TransactionConflict', Number.POSITIVE_INFINITY, {
        commands: ['TransactWriteItemsCommand'],
      });

      const started = Date.now();
      await rejection(issue(h.deps, smsIssue(testTenant(), '+919876500021')), ServiceUnavailableError);
      const elapsed = Date.now() - started;

      expect(elapsed).toBeLessThanOrEqual(CONFLICT_RETRY.budgetMs + 1_000);
      expect(elapsed).toBeGreaterThan(CONFLICT_RETRY.budgetMs / 4);
      // Backoff, not a spin: a few dozen attempts at most in the whole budget.
      const tx = attemptsOf(faults.attempts, 'TransactWriteItemsCommand');
      expect(tx.count).toBeGreaterThan(8);
      expect(tx.count).toBeLessThan(40);
      expect(h.sent).toEqual([]);
    });
  });

  describe('channel providers failing (aws-sdk-client-mock on the channel clients)', () => {
    const PHONE = '919876500030';
    const EMAIL = 'fault.user@example.com';
    const BODY = {
      entityType: 'MOBILE',
      entityValue: PHONE,
      action: 'REGISTRATION',
      whatsappTemplateName: 'otp_authentication',
      channels: [
        { type: 'SMS', value: PHONE },
        { type: 'EMAIL', value: EMAIL },
        { type: 'PHONE', value: PHONE },
        { type: 'WHATSAPP', value: PHONE },
      ],
    };
    type Channel = 'SMS' | 'EMAIL' | 'VOICE' | 'WHATSAPP';
    /** Errors as each provider's SDK raises them (service error names, and the handler's timeout). */
    const PROVIDER_ERRORS: Record<Channel, Error> = {
      SMS: Object.assign(new Error('Rate exceeded'), { name: 'ThrottledException' }),
      EMAIL: Object.assign(new Error('Email address is not verified.'), { name: 'MessageRejected' }),
      VOICE: Object.assign(new Error('Connection timed out after 5000 ms'), { name: 'TimeoutError' }),
      WHATSAPP: Object.assign(new Error('Internal service error'), { name: 'InternalServiceException' }),
    };

    /** capillary-v2 on the production senders, each AWS client a real instance under aws-sdk-client-mock. */
    const channelHarness = async (failing: Channel[], hanging: Channel[] = []) => {
      const h = await dialectHarness();
      const clients = {
        sns: new SNSClient({ region: 'us-east-1' }),
        ses: new SESClient({ region: 'us-east-1' }),
        voice: new PinpointSMSVoiceV2Client({ region: 'us-east-1' }),
        whatsapp: new SocialMessagingClient({ region: 'us-east-1' }),
      };
      const mocks = {
        SMS: mockClient(clients.sns),
        EMAIL: mockClient(clients.ses),
        VOICE: mockClient(clients.voice),
        WHATSAPP: mockClient(clients.whatsapp),
      };
      const heal = () => {
        mocks.SMS.on(PublishCommand).resolves({ MessageId: 'sms-1' });
        mocks.EMAIL.on(SendEmailCommand).resolves({ MessageId: 'email-1' });
        mocks.VOICE.on(SendVoiceMessageCommand).resolves({ MessageId: 'voice-1' });
        mocks.WHATSAPP.on(SendWhatsAppMessageCommand).resolves({ messageId: 'wa-1' });
      };
      heal();
      if (failing.includes('SMS')) mocks.SMS.on(PublishCommand).rejects(PROVIDER_ERRORS.SMS);
      if (failing.includes('EMAIL')) mocks.EMAIL.on(SendEmailCommand).rejects(PROVIDER_ERRORS.EMAIL);
      if (failing.includes('VOICE')) mocks.VOICE.on(SendVoiceMessageCommand).rejects(PROVIDER_ERRORS.VOICE);
      if (failing.includes('WHATSAPP'))
        mocks.WHATSAPP.on(SendWhatsAppMessageCommand).rejects(PROVIDER_ERRORS.WHATSAPP);
      // A send that never settles: the mock bypasses the SDK's HTTP handler, so only the engine's
      // own per-send deadline can cut it.
      const never = () => new Promise<never>(() => {});
      if (hanging.includes('SMS')) mocks.SMS.on(PublishCommand).callsFake(never);
      if (hanging.includes('EMAIL')) mocks.EMAIL.on(SendEmailCommand).callsFake(never);
      if (hanging.includes('VOICE')) mocks.VOICE.on(SendVoiceMessageCommand).callsFake(never);
      if (hanging.includes('WHATSAPP')) mocks.WHATSAPP.on(SendWhatsAppMessageCommand).callsFake(never);
      const deps: AppDeps = {
        ...h.deps,
        senders: createAwsSenders({ sesFrom: 'no-reply@example.com', clients }),
      };
      const handler = capillaryV2Handler(deps);
      const headers = { authorization: BASIC };
      /** The codes the providers accepted, read from each channel's SDK command. */
      const delivered = (): Record<Channel, string[]> => ({
        SMS: mocks.SMS.commandCalls(PublishCommand).map((c) => String(c.args[0].input.Message)),
        EMAIL: mocks.EMAIL.commandCalls(SendEmailCommand).map((c) =>
          String(c.args[0].input.Message?.Body?.Text?.Data),
        ),
        // The voice script spells the code out digit by digit.
        VOICE: mocks.VOICE.commandCalls(SendVoiceMessageCommand).map((c) =>
          String(c.args[0].input.MessageBody).replace(/(\d) (?=\d)/g, '$1'),
        ),
        WHATSAPP: mocks.WHATSAPP.commandCalls(SendWhatsAppMessageCommand).map((c) => {
          const payload = JSON.parse(new TextDecoder().decode(c.args[0].input.message)) as {
            template: { components: Array<{ parameters: Array<{ text: string }> }> };
          };
          return payload.template.components[0]?.parameters[0]?.text ?? '';
        }),
      });
      const codesIn = (texts: string[]) => texts.map((t) => /\b\d{6}\b/.exec(t)?.[0]);
      return {
        ...h,
        deps,
        mocks,
        heal,
        delivered,
        codesIn,
        generate: () => call(handler, apiEvent('POST', '/v2/otp/generate', { headers, body: BODY })),
        validate: (code: string) =>
          invoke(
            handler,
            apiEvent('POST', '/v2/otp/validate', {
              headers,
              body: { entityType: 'MOBILE', entityValue: PHONE, action: 'REGISTRATION', code },
            }),
          ),
      };
    };

    it.each(['SMS', 'EMAIL', 'VOICE', 'WHATSAPP'] as const)(
      'warns "Gateway error" for a failing %s provider and the others deliver one code that validates',
      async (failing) => {
        const t = await channelHarness([failing]);

        const answer = await t.generate();

        expect(answer.status).toBe(200);
        expect(answer.body.warnings).toEqual([{ code: 606, message: 'Gateway error', channel: failing }]);
        const delivered = t.delivered();
        // Every channel was tried once (the failing one included); the others carry one code.
        for (const channel of ['SMS', 'EMAIL', 'VOICE', 'WHATSAPP'] as const) {
          expect(delivered[channel]).toHaveLength(1);
        }
        const codes = (['SMS', 'EMAIL', 'VOICE', 'WHATSAPP'] as const)
          .filter((c) => c !== failing)
          .flatMap((c) => (c === 'WHATSAPP' ? delivered[c] : t.codesIn(delivered[c])));
        expect(codes).toHaveLength(3);
        expect(new Set(codes).size).toBe(1);
        // Every message is charged to its recipient and the tenant's day, the failed one too (only
        // a request with no delivery at all is rolled back): three to the phone, one e-mail.
        const state = await chargeState(t.deps);
        const keys = (to: string) => keysFor({ tenantId: 'demo' } as Tenant, 'any', to, t.clock.now());
        const phone = `+${PHONE}`;
        const sendsOf = (k: { pk: string; sk: string }) =>
          (state[`${k.pk}|${k.sk}`] as { sends?: number })?.sends;
        const tenantDaySends = Object.entries(state)
          .filter(([k]) => k.startsWith('T#demo#TD#'))
          .reduce((sum, [, v]) => sum + Number((v as { sends?: number }).sends ?? 0), 0);
        expect(tenantDaySends).toBe(4);
        expect(sendsOf(keys(phone).destinationDay)).toBe(3);
        expect(sendsOf(keys(EMAIL).destinationDay)).toBe(1);
        expect(await t.validate(String(codes[0]))).toMatchObject({ status: 200, body: { entity: true } });
      },
    );

    it('cuts off a provider that never answers at the send deadline; the others deliver a code that validates', async () => {
      const t = await channelHarness([], ['SMS']);

      const started = Date.now();
      const answer = await t.generate();
      const elapsed = Date.now() - started;

      expect(answer.status).toBe(200);
      expect(answer.body.warnings).toEqual([{ code: 606, message: 'Gateway error', channel: 'SMS' }]);
      // Cut at the deadline, inside the handler's; generous margin for a busy machine.
      expect(elapsed).toBeGreaterThanOrEqual(CHANNEL_SEND_DEADLINE_MS);
      expect(elapsed).toBeLessThan(HANDLER_DEADLINE_MS);
      const warned = t.logLines
        .map((line) => JSON.parse(line) as { message: string; channel?: string; error?: string })
        .filter((l) => l.message === 'channel send failed');
      expect(warned).toEqual([expect.objectContaining({ channel: 'SMS', error: 'ChannelTimeoutError' })]);
      const codes = t.codesIn(t.delivered().EMAIL);
      expect(codes).toHaveLength(1);
      expect(await t.validate(String(codes[0]))).toMatchObject({ status: 200, body: { entity: true } });
    });

    it('answers 503 "Gateway error" when every provider fails, rolls the charge back, and keeps no code', async () => {
      const t = await channelHarness(['SMS', 'EMAIL', 'VOICE', 'WHATSAPP']);

      const answer = await t.generate();

      expect(answer.status).toBe(503);
      expect(answer.body).toEqual({
        errors: [{ code: 606, message: 'OTP generation failed: Gateway error' }],
        warnings: [],
      });
      expectNoInternals(answer);
      const state = await chargeState(t.deps);
      // No challenge left, and every counter the request touched is back at zero.
      expect(Object.keys(state).filter((k) => k.includes('|CH#'))).toEqual([]);
      const counters = Object.values(state).filter((v) => 'sends' in v);
      expect(counters.length).toBeGreaterThan(0);
      expect(counters.every((v) => 'sends' in v && v.sends === 0)).toBe(true);
      // The code that went nowhere is not valid.
      const attempted = t.codesIn(t.delivered().SMS)[0];
      expect(attempted).toMatch(/^\d{6}$/);
      expect(await t.validate(String(attempted))).toMatchObject({ status: 400, body: { entity: false } });

      // The providers recover: the next generate is a fresh code, not held by the resend gap.
      t.heal();
      const again = await t.generate();
      expect(again.status).toBe(200);
      expect(again.body.createdId).not.toBe(1);
      expect(again.body.warnings).toEqual([]);
    });
  });

  describe('timeouts of the deployed stack', () => {
    it("gives every function a timeout below API Gateway's 29 s and above the conflict retry budget", () => {
      const { template } = synthStack();
      const functions = Object.values(resourcesOf(template, 'AWS::Lambda::Function'));
      // Six dialect functions, the receipt function and the fallback step function.
      expect(functions).toHaveLength(8);
      for (const fn of functions) {
        const timeout = Number(fn.Properties?.Timeout);
        // The function answers (a 503 in the dialect's shape) before the gateway gives up with its own 504.
        expect(timeout).toBeLessThan(API_GATEWAY_TIMEOUT_S);
        expect(timeout * 1000).toBe(LAMBDA_TIMEOUT_MS);
        expect(timeout * 1000).toBeGreaterThan(CONFLICT_RETRY.budgetMs);
      }
    });
  });
});
