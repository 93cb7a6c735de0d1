import type { ChannelSettings } from '../tenants';

/** The delivery channels of the engine (seed 004's MOBILE/PHONE both mean a voice call: VOICE). */
export const CHANNEL_TYPES = ['SMS', 'EMAIL', 'VOICE', 'WHATSAPP', 'ZALO'] as const;
export type ChannelType = (typeof CHANNEL_TYPES)[number];

/**
 * One message to one destination. `code` is present because WhatsApp and Zalo templates take
 * the code as a parameter, not as text; a sender must never log `code` or `text`.
 */
export interface OutboundMessage {
  channel: ChannelType;
  tenantId: string;
  /** E.164 phone number, e-mail address, or Zalo user/phone id. */
  to: string;
  /** The rendered message (SMS text, e-mail body, voice script). */
  text: string;
  subject?: string;
  code: string;
  /** WhatsApp template name / Zalo template id (seed 004). */
  templateName?: string;
  /** E-mail only: the HTML part, code already filled in and escaped; `text` may then be empty (derived). */
  html?: string;
  /** SMS to India only: the DLT ids the SMS API passes to the carriers (TRAI). */
  dlt?: { entityId: string; templateId: string };
  settings: ChannelSettings;
  /** The code this message carries, for the provider's delivery receipt (shared/channels/receipt-tags.ts). */
  receipt?: ReceiptRef;
}

/**
 * Which challenge a message belongs to: its table key and id (never the code; the key holds the
 * destination only as an HMAC). Senders pass it to the provider as message tags or context, and
 * the provider hands it back in its delivery receipt.
 */
export interface ReceiptRef {
  pk: string;
  sk: string;
  id: string;
}

/** Delivers one message or throws; the engine turns a throw into a warning for that channel. */
export type Sender = (message: OutboundMessage) => Promise<void>;

/** The senders wired into this process; a channel without a sender is not configured. */
export type Senders = Partial<Record<ChannelType, Sender>>;
