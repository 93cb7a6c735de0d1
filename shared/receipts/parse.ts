import { refFromTags } from '../channels/receipt-tags';
import type { Receipt } from '../engine/receipts';

/**
 * Provider receipts → `Receipt`. Each provider names the message's code through the tags the
 * sender attached (shared/channels/receipt-tags.ts); a receipt without them is not ours and maps
 * to nothing. Only final outcomes map: SES Delivery / Bounce / Complaint / Reject, and the final
 * SMS-Voice v2 statuses (`isFinal`); queued, pending and ringing states are skipped.
 */

/** An SES event record (the `detail` of an `aws.ses` EventBridge event, or an SNS message body). */
interface SesEventRecord {
  eventType?: string;
  mail?: { timestamp?: string; destination?: string[]; tags?: Record<string, string[] | undefined> };
  delivery?: { timestamp?: string };
  bounce?: { bounceType?: string; timestamp?: string };
  complaint?: { complaintFeedbackType?: string; timestamp?: string };
  reject?: { reason?: string };
}

const millis = (iso: string | undefined, fallback: number): number => {
  const ms = iso ? Date.parse(iso) : Number.NaN;
  return Number.isFinite(ms) ? ms : fallback;
};

/**
 * One SES event. A complaint counts as a failed delivery: the message arrived, but its recipient
 * says it was not wanted, which for a code nobody asked for is the signal that matters (abuse,
 * SMS/e-mail pumping), and the status must not read "delivered" as if all were well.
 */
export const fromSesEvent = (record: SesEventRecord, now: number): Receipt | undefined => {
  const ref = refFromTags((name) => record.mail?.tags?.[name]?.[0]);
  const destination = record.mail?.destination?.[0];
  if (!ref || !destination) return undefined;
  const base = { ref, channel: 'EMAIL' as const, provider: 'ses' as const, destination };
  const sentAt = millis(record.mail?.timestamp, now);
  switch (record.eventType) {
    case 'Delivery':
      return {
        ...base,
        outcome: 'delivered',
        providerStatus: 'Delivery',
        at: millis(record.delivery?.timestamp, sentAt),
      };
    case 'Bounce':
      return {
        ...base,
        outcome: 'failed',
        providerStatus: `Bounce:${record.bounce?.bounceType ?? 'Undetermined'}`,
        at: millis(record.bounce?.timestamp, sentAt),
      };
    case 'Complaint':
      return {
        ...base,
        outcome: 'failed',
        providerStatus: `Complaint:${record.complaint?.complaintFeedbackType ?? 'unknown'}`,
        at: millis(record.complaint?.timestamp, sentAt),
      };
    case 'Reject':
      return { ...base, outcome: 'failed', providerStatus: 'Reject', at: sentAt };
    default:
      return undefined;
  }
};

/** An AWS End User Messaging SMS and voice (SMS-Voice v2) configuration-set event. */
interface SmsVoiceEvent {
  eventType?: string;
  eventTimestamp?: number;
  isFinal?: boolean;
  destinationPhoneNumber?: string;
  messageStatus?: string;
  context?: Record<string, string | undefined>;
}

/** Final statuses that mean the message (or call) reached the person. */
const DELIVERED: ReadonlySet<string> = new Set([
  'TEXT_DELIVERED',
  'TEXT_SUCCESSFUL',
  'VOICE_COMPLETED',
  'VOICE_ANSWERED',
]);

/** One SMS-Voice v2 event: `TEXT_*` for SMS, `VOICE_*` for calls; only final ones count. */
export const fromSmsVoiceEvent = (event: SmsVoiceEvent, now: number): Receipt | undefined => {
  const ref = refFromTags((name) => event.context?.[name]);
  const type = event.eventType ?? '';
  const channel = type.startsWith('TEXT_') ? 'SMS' : type.startsWith('VOICE_') ? 'VOICE' : undefined;
  if (!ref || !channel || !event.destinationPhoneNumber || event.isFinal !== true) return undefined;
  return {
    ref,
    channel,
    outcome: DELIVERED.has(type) ? 'delivered' : 'failed',
    provider: 'sms-voice-v2',
    providerStatus: type,
    at: typeof event.eventTimestamp === 'number' ? event.eventTimestamp : now,
    destination: event.destinationPhoneNumber,
  };
};

/** What the receipt function is invoked with: EventBridge events (SES) or SNS records (SMS-Voice v2). */
export type ReceiptInput =
  | { source?: string; 'detail-type'?: string; detail?: unknown }
  | { Records?: Array<{ Sns?: { Message?: string } }> };

/** Every receipt in one invocation; anything unparseable or not ours is skipped. */
export const receiptsIn = (input: ReceiptInput, now: number): Receipt[] => {
  if ('Records' in input && Array.isArray(input.Records)) {
    return input.Records.flatMap((r) => {
      try {
        const receipt = fromSmsVoiceEvent(JSON.parse(r.Sns?.Message ?? '{}') as SmsVoiceEvent, now);
        return receipt ? [receipt] : [];
      } catch {
        return [];
      }
    });
  }
  if ('source' in input && input.source === 'aws.ses') {
    const receipt = fromSesEvent((input.detail ?? {}) as SesEventRecord, now);
    return receipt ? [receipt] : [];
  }
  return [];
};
