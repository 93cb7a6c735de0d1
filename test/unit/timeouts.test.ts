import { describe, expect, it } from '@jest/globals';
import { awsDeps } from '../../shared/app-deps';
import { createSesClient } from '../../shared/channels/ses';
import { createSnsClient } from '../../shared/channels/sns';
import { createVoiceClient } from '../../shared/channels/voice';
import { createWhatsAppClient } from '../../shared/channels/whatsapp';
import {
  API_GATEWAY_TIMEOUT_MS,
  CHANNEL_SEND_DEADLINE_MS,
  CHANNEL_TIMEOUTS,
  CONFLICT_RETRY,
  DYNAMODB_TIMEOUTS,
  HANDLER_DEADLINE_MS,
  HANDLER_EARLY_TIMEOUT_MS,
  LAMBDA_TIMEOUT_MS,
  sdkWorstCaseMs,
} from '../../shared/timeouts';
import { resourcesOf, synthStack } from '../infra/synth';

/** What a client will really use: its resolved attempts and its HTTP handler's settings. */
const settingsOf = async (client: {
  config: { maxAttempts: () => Promise<number>; requestHandler: unknown };
}) => {
  // The handler resolves its options into a private promise; this is what each request reads.
  const handler = client.config.requestHandler as {
    configProvider: Promise<{
      connectionTimeout?: number;
      requestTimeout?: number;
      throwOnRequestTimeout?: boolean;
    }>;
  };
  const http = await handler.configProvider;
  return {
    maxAttempts: await client.config.maxAttempts(),
    connectionTimeoutMs: http.connectionTimeout,
    requestTimeoutMs: http.requestTimeout,
    throwOnRequestTimeout: http.throwOnRequestTimeout,
  };
};

describe('timeouts', () => {
  describe('the budget (shared/timeouts.ts)', () => {
    it('nests inside out: SDK worst case < conflict budget + SDK < handler deadline < Lambda < API Gateway', () => {
      const sdk = sdkWorstCaseMs(DYNAMODB_TIMEOUTS);
      // 3 attempts × 1 s + throttling backoff of at most 1 s + 2 s.
      expect(sdk).toBe(6_000);
      expect(sdk).toBeLessThan(CONFLICT_RETRY.budgetMs + sdk);
      expect(CONFLICT_RETRY.budgetMs + sdk).toBeLessThanOrEqual(HANDLER_DEADLINE_MS);
      expect(HANDLER_DEADLINE_MS).toBe(LAMBDA_TIMEOUT_MS - HANDLER_EARLY_TIMEOUT_MS);
      expect(HANDLER_DEADLINE_MS).toBeLessThan(LAMBDA_TIMEOUT_MS);
      expect(LAMBDA_TIMEOUT_MS).toBeLessThan(API_GATEWAY_TIMEOUT_MS);
      // One hung channel is cut off (per attempt by its client, per send by the engine) inside the deadline too.
      expect(CHANNEL_SEND_DEADLINE_MS).toBe(sdkWorstCaseMs(CHANNEL_TIMEOUTS));
      expect(CHANNEL_SEND_DEADLINE_MS).toBeLessThan(HANDLER_DEADLINE_MS);
    });
  });

  describe('the clients', () => {
    it('builds the production DynamoDB client with the budget, timeouts that throw', async () => {
      Object.assign(process.env, {
        TABLE_NAME: 'timeouts-test',
        OTP_PEPPER: 'p'.repeat(32),
        TENANT_SEALING_KEY: 's'.repeat(32),
        AWS_REGION: 'us-east-1',
      });
      const { ddb } = awsDeps({});
      expect(await settingsOf(ddb as never)).toEqual({
        maxAttempts: DYNAMODB_TIMEOUTS.maxAttempts,
        connectionTimeoutMs: DYNAMODB_TIMEOUTS.connectionTimeoutMs,
        requestTimeoutMs: DYNAMODB_TIMEOUTS.requestTimeoutMs,
        // Without it @smithy/node-http-handler only warns and the request hangs on.
        throwOnRequestTimeout: true,
      });
    });

    it.each([
      ['SNS', createSnsClient],
      ['SES', () => createSesClient()],
      ['voice', createVoiceClient],
      ['WhatsApp', createWhatsAppClient],
    ] as const)('builds the %s client with the channel budget', async (_, make) => {
      expect(await settingsOf(make() as never)).toEqual({
        maxAttempts: CHANNEL_TIMEOUTS.maxAttempts,
        connectionTimeoutMs: CHANNEL_TIMEOUTS.connectionTimeoutMs,
        requestTimeoutMs: CHANNEL_TIMEOUTS.requestTimeoutMs,
        throwOnRequestTimeout: true,
      });
    });
  });

  describe('the stack', () => {
    it('gives every function the Lambda timeout of the budget', () => {
      const { template } = synthStack();
      const functions = Object.values(resourcesOf(template, 'AWS::Lambda::Function'));
      // Six dialect functions, the receipt function and the fallback step function.
      expect(functions).toHaveLength(8);
      for (const fn of functions) {
        const timeoutMs = Number(fn.Properties?.Timeout) * 1000;
        expect(timeoutMs).toBe(LAMBDA_TIMEOUT_MS);
        expect(timeoutMs).toBeGreaterThan(HANDLER_DEADLINE_MS);
        expect(timeoutMs).toBeLessThan(API_GATEWAY_TIMEOUT_MS);
      }
    });
  });
});
