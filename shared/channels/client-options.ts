/**
 * Options every channel client gets. The SDK sets no request timeout by default, so a provider
 * that hangs would hold the whole generate (all channels are awaited together) until the Lambda
 * times out; bounded timeouts turn that into a per-channel warning instead.
 */
export const CHANNEL_CLIENT_OPTIONS = {
  requestHandler: { connectionTimeout: 2000, requestTimeout: 5000 },
} as const;
