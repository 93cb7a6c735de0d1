/**
 * The service's one timeout budget, inside out. Every deadline a request can meet is here, and
 * test/unit/timeouts.test.ts asserts the chain against the clients' settings and the synthesized
 * stack:
 *
 *   DynamoDB SDK worst case (attempts × request timeout + backoff)
 *     < conflict retry budget + SDK worst case (one transaction, retried on conflicts)
 *     ≤ the handler's early timeout (Lambda timeout − margin: a 503 in the dialect's shape)
 *     < the Lambda timeout
 *     < API Gateway's 29 s (the gateway's own 504 is never the answer)
 *
 * A store that hangs, throttles or refuses connections is answered by the SDK's budget first
 * (a ServiceUnavailableError from `guard`); the early timeout is the backstop for anything slower
 * (several slow calls in a row, a channel provider) so the function always answers before Lambda
 * kills it.
 */

/** API Gateway's REST integration timeout (fixed by AWS). */
export const API_GATEWAY_TIMEOUT_MS = 29_000;

/** The functions' timeout (lib/constructs/dialect-function.ts sets it; the local server emulates it). */
export const LAMBDA_TIMEOUT_MS = 15_000;

/**
 * How long before the Lambda timeout the handler gives up and answers 503 (middy's
 * `timeoutEarlyInMillis`). Leaves room to map the error, log the line and return.
 */
export const HANDLER_EARLY_TIMEOUT_MS = 2_000;

/** When the handler answers 503 on its own: the Lambda timeout minus the margin. */
export const HANDLER_DEADLINE_MS = LAMBDA_TIMEOUT_MS - HANDLER_EARLY_TIMEOUT_MS;

/**
 * The DynamoDB client. DynamoDB answers in milliseconds; one second per attempt is a hung
 * request, not a slow one. `throwOnRequestTimeout` matters: @smithy/node-http-handler v4 only
 * logs a warning when `requestTimeout` passes unless it is set, and the request hangs on.
 */
export const DYNAMODB_TIMEOUTS = {
  maxAttempts: 3,
  connectionTimeoutMs: 1_000,
  requestTimeoutMs: 1_000,
  /**
   * The SDK's largest backoff before retry i (0-based) is `base × 2^i` with full jitter; the base
   * is 1 s for throttling errors and 50 ms otherwise (@smithy/core retry, `Retry.throttlingDelay`).
   */
  throttlingBackoffBaseMs: 1_000,
} as const;

/** The DynamoDB client options, from the budget (app-deps.ts and the local runtime use them). */
export const dynamoClientOptions = () => ({
  maxAttempts: DYNAMODB_TIMEOUTS.maxAttempts,
  requestHandler: {
    connectionTimeout: DYNAMODB_TIMEOUTS.connectionTimeoutMs,
    requestTimeout: DYNAMODB_TIMEOUTS.requestTimeoutMs,
    throwOnRequestTimeout: true,
  },
});

/** Worst case of one client call: every attempt runs to its timeout, every backoff is the largest. */
export const sdkWorstCaseMs = (t: {
  maxAttempts: number;
  requestTimeoutMs: number;
  throttlingBackoffBaseMs: number;
}): number => {
  let backoff = 0;
  for (let retry = 0; retry < t.maxAttempts - 1; retry++) backoff += t.throttlingBackoffBaseMs * 2 ** retry;
  return t.maxAttempts * t.requestTimeoutMs + backoff;
};

/**
 * How `transact` retries a transaction cancelled by a conflict (shared/store/dynamo.ts says why).
 * No retry starts later than `budgetMs` after the first attempt, so one transaction takes at
 * most `budgetMs` plus one SDK worst case.
 */
export const CONFLICT_RETRY = {
  /** First backoff ceiling; each retry doubles it up to `capMs`. */
  baseMs: 20,
  capMs: 500,
  /** No retry starts later than this after the first attempt. */
  budgetMs: 4_000,
} as const;

/**
 * The channel clients (SNS, SES, voice, WhatsApp) and the Zalo HTTPS sender. A provider that
 * hangs is cut off per attempt by the request timeout, and each send as a whole by `sendDeadlineMs`
 * (shared/engine/issue.ts), so one hung channel becomes a warning and the others still go out.
 */
export const CHANNEL_TIMEOUTS = {
  maxAttempts: 2,
  connectionTimeoutMs: 1_000,
  requestTimeoutMs: 3_000,
  throttlingBackoffBaseMs: 1_000,
} as const;

/**
 * How long one channel send may take in all (every attempt and backoff) before the engine gives
 * up on it as a provider error and answers with the other channels. The clients' own timeouts
 * cut a hung HTTP request; this also cuts a send that never settles at all.
 */
export const CHANNEL_SEND_DEADLINE_MS = sdkWorstCaseMs(CHANNEL_TIMEOUTS);

/** Seconds a client is told to wait (`Retry-After`) when the store is unavailable. */
export const STORE_RETRY_AFTER_S = 2;

/**
 * The EventBridge client that publishes lifecycle events (shared/events/eventbridge.ts).
 * PutEvents answers in tens of milliseconds; a publish is an afterthought of a request that has
 * already happened, so it gets little: one retry, short timeouts.
 */
export const EVENTS_TIMEOUTS = {
  maxAttempts: 2,
  connectionTimeoutMs: 300,
  requestTimeoutMs: 500,
  throttlingBackoffBaseMs: 1_000,
} as const;

/**
 * Hard cap on one publish of lifecycle events, whatever the client does (shared/events/publisher.ts):
 * past it the request goes on and the events are given up with a warning. Small against the
 * handler's early-timeout margin, so events never turn an answer into a 503.
 */
export const EVENTS_PUBLISH_DEADLINE_MS = 1_000;
