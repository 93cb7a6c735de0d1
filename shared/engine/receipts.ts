import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { ChannelType, ReceiptRef } from '../channels/types';
import type { EventPublisher } from '../events/publisher';
import type { OtpEventDetail } from '../events/schema';
import { maskDestination } from '../mask';
import { parseE164 } from '../phone';
import { recordDeliveryStatus } from '../store/challenge-status';
import { envelope } from './lifecycle';

/** A provider's delivery receipt for one message, whatever the provider (shared/receipts/parse.ts). */
export interface Receipt {
  ref: ReceiptRef;
  channel: ChannelType;
  outcome: 'delivered' | 'failed';
  provider: 'ses' | 'sms-voice-v2' | 'social-messaging' | 'local';
  /** The provider's own status word: `Delivery`, `Bounce:Permanent`, `TEXT_DELIVERED`, … */
  providerStatus: string;
  /** Epoch milliseconds of the provider's event. */
  at: number;
  /** The destination as the provider names it; only ever shown masked. */
  destination: string;
  /**
   * The recipient already masked, with its country, when the provider does not name the
   * destination (WhatsApp statuses; shared/store/whatsapp-messages.ts); wins over `destination`.
   */
  masked?: { recipient: string; country?: string | undefined };
}

export interface ReceiptDeps {
  ddb: DynamoDBClient;
  tableName: string;
  events: EventPublisher;
}

/** The tenant and purpose a challenge key names (`T#<tenant>#D#…`, `CH#<purpose>`). */
const scopeOfRef = (ref: ReceiptRef) => ({
  tenantId: ref.pk.split('#')[1] ?? 'unknown',
  purpose: ref.sk.slice('CH#'.length),
});

/** `otp.delivered` or `otp.delivery_failed` (stage `receipt`) for one receipt, at the provider's time. */
export const receiptEvent = (receipt: Receipt): OtpEventDetail => {
  const region =
    receipt.masked?.country ??
    (receipt.channel === 'EMAIL' || receipt.masked ? undefined : parseE164(receipt.destination)?.region);
  const delivery = {
    verificationId: receipt.ref.id,
    channel: receipt.channel,
    recipient: receipt.masked?.recipient ?? maskDestination(receipt.destination),
    ...(region ? { country: region } : {}),
  };
  const scope = scopeOfRef(receipt.ref);
  return receipt.outcome === 'delivered'
    ? {
        ...envelope('otp.delivered', receipt.at, scope),
        ...delivery,
        provider: receipt.provider,
        providerStatus: receipt.providerStatus,
      }
    : {
        ...envelope('otp.delivery_failed', receipt.at, scope),
        ...delivery,
        stage: 'receipt',
        reason: receipt.providerStatus,
        provider: receipt.provider,
      };
};

/**
 * Applies one receipt: records it as the channel's last delivery status on the challenge (an
 * older receipt never overwrites a newer one) and publishes its event. The event goes out even
 * when the challenge is gone (verified and expired, or replaced): the message was still delivered.
 */
export const applyReceipt = async (deps: ReceiptDeps, receipt: Receipt): Promise<{ recorded: boolean }> => {
  const recorded = await recordDeliveryStatus(deps.ddb, deps.tableName, receipt.ref, receipt.channel, {
    status: receipt.outcome,
    providerStatus: receipt.providerStatus,
    provider: receipt.provider,
    at: receipt.at,
  });
  await deps.events.publish([receiptEvent(receipt)]);
  return { recorded };
};
