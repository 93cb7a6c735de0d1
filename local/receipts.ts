import type { ChannelType, OutboundMessage, Sender } from '../shared/channels/types';
import type { Receipt } from '../shared/engine/receipts';
import type { OtpEventDetail } from '../shared/events/schema';
import type { LocalEventBus } from './event-bus';

/** Receipts waiting for their `otp.sent`; the oldest is dropped past this. */
const MAX_WAITING = 1_000;

/**
 * Delivery receipts for the local sinks, so the receipt path (record the status on the challenge,
 * publish `otp.delivered`) runs without AWS. A provider's receipt comes after the engine has told
 * `otp.sent`; here a message's `delivered` receipt waits for that event on the local bus and is
 * applied then, so the order on the bus is the order AWS would give.
 */
export class LocalReceipts {
  private readonly waiting = new Map<string, Receipt>();

  constructor(
    bus: LocalEventBus,
    private readonly apply: (receipt: Receipt) => Promise<unknown>,
    private readonly now: () => number = Date.now,
  ) {
    bus.subscribe((events) => this.release(events));
  }

  /** Wraps a local sink: each message it takes gets a `delivered` receipt. */
  wrap(channel: ChannelType, send: Sender): Sender {
    return async (message: OutboundMessage) => {
      await send(message);
      if (!message.receipt) return;
      // A receipt whose send was never told (its request failed on another step) is dropped.
      if (this.waiting.size >= MAX_WAITING) this.waiting.delete(this.waiting.keys().next().value ?? '');
      this.waiting.set(`${message.receipt.id}:${channel}`, {
        ref: message.receipt,
        channel,
        outcome: 'delivered',
        provider: 'local',
        providerStatus: 'DELIVERED',
        at: this.now(),
        destination: message.to,
      });
    };
  }

  private async release(events: readonly OtpEventDetail[]): Promise<void> {
    const due: Receipt[] = [];
    for (const e of events) {
      if (e.type !== 'otp.sent') continue;
      const key = `${e.verificationId}:${e.channel}`;
      const receipt = this.waiting.get(key);
      if (!receipt) continue;
      this.waiting.delete(key);
      due.push({ ...receipt, at: Math.max(receipt.at, Date.parse(e.occurredAt)) });
    }
    await Promise.all(due.map((r) => this.apply(r)));
  }
}
