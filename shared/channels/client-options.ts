import { CHANNEL_TIMEOUTS } from '../timeouts';

/**
 * Options every channel client gets, from the one budget (shared/timeouts.ts). The SDK sets no
 * request timeout by default, so a provider that hangs would hold the whole generate (all
 * channels are awaited together) until the Lambda times out; bounded timeouts turn that into a
 * per-channel warning instead. `throwOnRequestTimeout`: without it @smithy/node-http-handler only
 * logs that the request timeout passed and keeps waiting.
 */
export const CHANNEL_CLIENT_OPTIONS = {
  maxAttempts: CHANNEL_TIMEOUTS.maxAttempts,
  requestHandler: {
    connectionTimeout: CHANNEL_TIMEOUTS.connectionTimeoutMs,
    requestTimeout: CHANNEL_TIMEOUTS.requestTimeoutMs,
    throwOnRequestTimeout: true,
  },
} as const;
