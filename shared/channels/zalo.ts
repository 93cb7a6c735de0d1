import { randomUUID } from 'node:crypto';
import { CHANNEL_TIMEOUTS } from '../timeouts';
import { ChannelNotConfiguredError, ChannelProviderError } from './errors';
import type { Sender } from './types';

/**
 * A provider that does not answer within this is treated as failed; the other channels still go.
 * One attempt (no retry), so the AWS channels' request timeout from the budget.
 */
const DEFAULT_TIMEOUT_MS = CHANNEL_TIMEOUTS.requestTimeoutMs;

/**
 * Zalo notification (ZNS) through the tenant's HTTPS provider: a JSON POST authenticated with an
 * `access_token` header. Zalo answers HTTP 200 with `{error: <non-zero>, message}` on refusal,
 * so the body is checked as well as the status.
 */
export const createZaloSender =
  (options: { timeoutMs?: number } = {}): Sender =>
  async (message) => {
    const zalo = message.settings.zalo;
    if (!zalo?.url || !zalo.accessToken) {
      throw new ChannelNotConfiguredError('Zalo is not configured for this tenant: set channels.zalo');
    }
    if (!message.templateName) {
      throw new ChannelNotConfiguredError('Zalo needs a template identifier');
    }
    const response = await fetch(zalo.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', access_token: zalo.accessToken },
      body: JSON.stringify({
        // ZNS takes the number in international form without the plus sign (84987654321).
        phone: message.to.replace(/^\+/, ''),
        template_id: message.templateName,
        // The parameter the tenant's ZNS template names for the code (`otp` by default).
        template_data: { [zalo.templateParameter ?? 'otp']: message.code },
        // Lets the operator match the provider's delivery report to this request.
        tracking_id: randomUUID(),
      }),
      signal: AbortSignal.timeout(options.timeoutMs ?? DEFAULT_TIMEOUT_MS),
    });
    const body = await response.text();
    if (!response.ok) {
      // The provider's body is not echoed: it may repeat the phone number.
      throw new ChannelProviderError(`Zalo provider answered HTTP ${response.status}`);
    }
    const error = providerErrorNumber(body);
    if (error !== undefined && error !== 0) {
      throw new ChannelProviderError(`Zalo provider refused the message (error ${error})`);
    }
  };

/** The `error` field of a JSON body, or undefined when the body is empty, not JSON or has none. */
const providerErrorNumber = (body: string): number | undefined => {
  if (!body.trim()) return undefined;
  try {
    const parsed: unknown = JSON.parse(body);
    if (parsed && typeof parsed === 'object' && 'error' in parsed) return Number(parsed.error);
  } catch {
    // A 2xx with a non-JSON body (a proxy's plain "OK") counts as accepted.
  }
  return undefined;
};
