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

/**
 * A WhatsApp status, before its code is known: Social Messaging names the message only by id
 * (shared/store/whatsapp-messages.ts holds id → code for tenants that turned receipts on).
 */
export interface WhatsAppStatus {
  /** Ids the status may be filed under (AWS's message id, and Meta's `wamid.…` on SNS). */
  messageIds: string[];
  outcome: 'delivered' | 'failed';
  /** `delivered`, `read`, `failed`, `undeliverable` as the provider says it. */
  providerStatus: string;
  at: number;
}

/** WhatsApp statuses that settle a message; `sent` (accepted by Meta) does not. */
const WHATSAPP_OUTCOMES: Readonly<Record<string, WhatsAppStatus['outcome']>> = {
  delivered: 'delivered',
  read: 'delivered',
  failed: 'failed',
  undeliverable: 'failed',
};

const epochSeconds = (value: unknown, fallback: number): number => {
  const seconds = Number(value);
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : fallback;
};

const whatsAppStatus = (ids: unknown[], status: unknown, at: number): WhatsAppStatus | undefined => {
  const outcome = typeof status === 'string' ? WHATSAPP_OUTCOMES[status] : undefined;
  const messageIds = ids.filter((id): id is string => typeof id === 'string' && id.length > 0);
  return outcome && messageIds.length > 0
    ? { messageIds, outcome, providerStatus: status as string, at }
    : undefined;
};

/** The `detail` of an `aws.social-messaging` EventBridge event ("WhatsApp Message Delivered", …). */
export const fromSocialMessagingEvent = (detail: unknown, now: number): WhatsAppStatus | undefined => {
  const d = (detail ?? {}) as { messageId?: unknown; status?: unknown; eventTimestamp?: unknown };
  return whatsAppStatus([d.messageId], d.status, epochSeconds(d.eventTimestamp, now));
};

/**
 * A WABA event destination's SNS message: AWS's header (`messageId`, …) and Meta's webhook entry
 * as a JSON string, whose `changes[].value.statuses[]` carry Meta's message id and status.
 */
export const fromWhatsAppSnsEvent = (event: unknown, now: number): WhatsAppStatus[] => {
  const e = (event ?? {}) as { messageId?: unknown; whatsAppWebhookEntry?: unknown };
  if (typeof e.whatsAppWebhookEntry !== 'string') return [];
  const entry = JSON.parse(e.whatsAppWebhookEntry) as {
    changes?: Array<{
      value?: { statuses?: Array<{ id?: unknown; status?: unknown; timestamp?: unknown }> };
    }>;
  };
  return (entry.changes ?? []).flatMap((change) =>
    (change.value?.statuses ?? []).flatMap((s) => {
      const status = whatsAppStatus([e.messageId, s.id], s.status, epochSeconds(s.timestamp, now));
      return status ? [status] : [];
    }),
  );
};

/** The SES and Social Messaging events the receipt function's default-bus rule delivers. */
type BusEvent = { source?: string; 'detail-type'?: string; detail?: unknown };

/** What the receipt function is invoked with: EventBridge events (SES, Social Messaging) or SNS records. */
export type ReceiptInput = BusEvent | { Records?: Array<{ Sns?: { Message?: string } }> };

/** Each SNS record's message as JSON; an unparseable one is skipped. */
const snsMessages = (input: ReceiptInput): unknown[] =>
  'Records' in input && Array.isArray(input.Records)
    ? input.Records.flatMap((r) => {
        try {
          return [JSON.parse(r.Sns?.Message ?? '{}') as unknown];
        } catch {
          return [];
        }
      })
    : [];

/** Every receipt in one invocation that names its code itself; anything not ours is skipped. */
export const receiptsIn = (input: ReceiptInput, now: number): Receipt[] => {
  if ('Records' in input) {
    return snsMessages(input).flatMap((message) => {
      const receipt = fromSmsVoiceEvent(message as SmsVoiceEvent, now);
      return receipt ? [receipt] : [];
    });
  }
  const event = input as BusEvent;
  if (event.source === 'aws.ses') {
    const receipt = fromSesEvent((event.detail ?? {}) as SesEventRecord, now);
    return receipt ? [receipt] : [];
  }
  return [];
};

/** Every WhatsApp status in one invocation (its code is looked up by message id afterwards). */
export const whatsAppStatusesIn = (input: ReceiptInput, now: number): WhatsAppStatus[] => {
  if ('Records' in input) {
    return snsMessages(input).flatMap((message) => {
      try {
        return fromWhatsAppSnsEvent(message, now);
      } catch {
        return [];
      }
    });
  }
  const event = input as BusEvent;
  if (event.source === 'aws.social-messaging') {
    const status = fromSocialMessagingEvent(event.detail, now);
    return status ? [status] : [];
  }
  return [];
};
