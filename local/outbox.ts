import type { ChannelType, OutboundMessage, Sender } from '../shared/channels/types';
import { type SmsSegments, smsSegments } from '../shared/sms-segments';

/** One message that would have been delivered, as `GET /_local/outbox` lists it. */
export interface Message {
  channel: ChannelType;
  /** Destination: E.164 phone, e-mail address(es) or Zalo id. */
  to: string;
  /** What the recipient would read (for e-mail: subject, blank line, body). */
  text: string;
  /** ISO-8601 time of the send. */
  at: string;
  /** WhatsApp template name / Zalo template id, when the request named one. */
  template?: string;
  /** E-mail with an HTML part: that part, as sent (the inbox page shows it rendered). */
  html?: string;
  /** SMS: encoding and segments, what the networks would bill. */
  segments?: SmsSegments;
  /** SMS to India: the DLT ids the SNS publish carries. */
  dlt?: { entityId: string; templateId: string };
  /** The verification (challenge id) the message carries: its events are listed next to it. */
  verificationId?: string;
}

/** The part of an aws-ses-v2-local `/store` e-mail the outbox reads. */
interface StoredEmail {
  destination?: { to?: string[] };
  subject?: string;
  body?: { text?: string; html?: string };
  /** Epoch seconds. */
  at?: number;
}

/** Cap on kept sink messages, so a load test against the local server cannot exhaust memory. */
const MAX_SINK_MESSAGES = 5_000;

const htmlToText = (html: string): string =>
  html
    .replace(/<(br|\/p|\/div|\/tr)\b[^>]*>/gi, '\n')
    .replace(/<[^>]*>/g, '')
    .replace(/&nbsp;/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .trim();

/**
 * The local stand-in for every delivery channel. SMS, voice, WhatsApp and Zalo messages go to
 * in-memory sinks; e-mail goes through the real SES client to the SES emulator and is read back
 * from its `/store`, so the outbox also proves the SES path works.
 */
export class Outbox {
  private sinkMessages: Array<Message & { ms: number; seq: number }> = [];
  /**
   * Millisecond send times of e-mails, by recipient. The emulator stamps e-mails in whole
   * seconds; without these an e-mail and an SMS sent in the same second could list in the wrong
   * order.
   */
  private emailSends: Array<{ to: string; ms: number; seq: number; verificationId?: string }> = [];
  /** Arrival order of sends, which breaks ties between sends in the same millisecond. */
  private seq = 0;

  constructor(
    /** Base URL of the SES emulator. */
    private readonly sesEndpoint: string,
    private readonly now: () => number = Date.now,
  ) {}

  /** A sender that records the message instead of delivering it. */
  sink(channel: ChannelType): Sender {
    return async (message: OutboundMessage) => {
      const ms = this.now();
      this.sinkMessages.push({
        channel,
        to: message.to,
        text: message.text,
        at: new Date(ms).toISOString(),
        ...(message.templateName ? { template: message.templateName } : {}),
        ...(channel === 'SMS' && { segments: smsSegments(message.text) }),
        ...(message.dlt && { dlt: message.dlt }),
        ...(message.receipt ? { verificationId: message.receipt.id } : {}),
        ms,
        seq: this.seq++,
      });
      if (this.sinkMessages.length > MAX_SINK_MESSAGES) this.sinkMessages.shift();
    };
  }

  /** Wraps the real e-mail sender to note when each e-mail left (see `emailSends`). */
  trackEmail(send: Sender): Sender {
    return async (message: OutboundMessage) => {
      await send(message);
      this.emailSends.push({
        to: message.to.toLowerCase(),
        ms: this.now(),
        seq: this.seq++,
        ...(message.receipt ? { verificationId: message.receipt.id } : {}),
      });
      if (this.emailSends.length > MAX_SINK_MESSAGES) this.emailSends.shift();
    };
  }

  private async storedEmails(): Promise<StoredEmail[]> {
    const response = await fetch(`${this.sesEndpoint}/store`);
    if (!response.ok) throw new Error(`SES emulator /store answered ${response.status}`);
    const store = (await response.json()) as { emails?: StoredEmail[] };
    return store.emails ?? [];
  }

  /** Best send time of a stored e-mail: a tracked send to its recipient in its second, else the second. */
  private emailTime(
    email: StoredEmail,
    used: Set<number>,
  ): { ms: number; seq: number; verificationId?: string } {
    const second = (email.at ?? 0) * 1000;
    const recipients = (email.destination?.to ?? []).map((to) => to.toLowerCase());
    // The send returns after the emulator stamped it, so the noted time is in that second or just after.
    const index = this.emailSends.findIndex(
      (s, i) => !used.has(i) && recipients.includes(s.to) && s.ms >= second && s.ms < second + 2000,
    );
    const match = this.emailSends[index];
    if (!match) return { ms: second, seq: -1 };
    used.add(index);
    return match;
  }

  /** Every message, newest first. */
  async list(): Promise<Message[]> {
    const used = new Set<number>();
    const emails = (await this.storedEmails()).map((email) => {
      const { ms, seq, verificationId } = this.emailTime(email, used);
      const body = email.body?.text ?? htmlToText(email.body?.html ?? '');
      return {
        channel: 'EMAIL' as const,
        to: (email.destination?.to ?? []).join(', '),
        text: `${email.subject ?? ''}\n\n${body}`,
        ...(email.body?.html ? { html: email.body.html } : {}),
        at: new Date(ms).toISOString(),
        ...(verificationId ? { verificationId } : {}),
        ms,
        seq,
      };
    });
    return [...this.sinkMessages, ...emails]
      .sort((a, b) => b.ms - a.ms || b.seq - a.seq)
      .map(({ ms: _ms, seq: _seq, ...message }) => message);
  }

  /** Forgets every message, the SES emulator's included. */
  async clear(): Promise<void> {
    this.sinkMessages = [];
    this.emailSends = [];
    const response = await fetch(`${this.sesEndpoint}/clear-store`, { method: 'POST' });
    if (!response.ok) throw new Error(`SES emulator /clear-store answered ${response.status}`);
  }
}
