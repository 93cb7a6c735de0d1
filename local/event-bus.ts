import type { EventPublisher } from '../shared/events/publisher';
import { EVENT_SOURCE, type OtpEventDetail } from '../shared/events/schema';

/** One event as `GET /_local/events` lists it: the EventBridge envelope fields and the detail. */
export interface BusEntry {
  source: typeof EVENT_SOURCE;
  'detail-type': OtpEventDetail['type'];
  time: string;
  detail: OtpEventDetail;
}

/** Cap on kept events, so a load test against the local server cannot exhaust memory. */
const MAX_EVENTS = 10_000;

/**
 * The local stand-in for the EventBridge bus: the engine publishes here in `npm start`, and
 * `/_local/events` and the inbox page read it. Listeners (the local receipts) see every event.
 */
export class LocalEventBus implements EventPublisher {
  private entries: BusEntry[] = [];
  private readonly listeners: Array<(events: readonly OtpEventDetail[]) => Promise<void>> = [];
  private readonly running = new Set<Promise<void>>();

  async publish(events: readonly OtpEventDetail[]): Promise<void> {
    for (const detail of events) {
      this.entries.push({
        source: EVENT_SOURCE,
        'detail-type': detail.type,
        time: detail.occurredAt,
        detail,
      });
    }
    if (this.entries.length > MAX_EVENTS) this.entries.splice(0, this.entries.length - MAX_EVENTS);
    // Listeners run after this publish returns, as an EventBridge rule's target would.
    for (const listener of this.listeners) {
      const run: Promise<void> = listener(events)
        .catch(() => {})
        .finally(() => this.running.delete(run));
      this.running.add(run);
    }
  }

  /** Calls `listener` with every later publish; what it starts is awaited by `settled()`. */
  subscribe(listener: (events: readonly OtpEventDetail[]) => Promise<void>): void {
    this.listeners.push(listener);
  }

  /** Resolves once every listener run (and what it published in turn) has finished. */
  async settled(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running]);
  }

  /** Every event, newest first (arrival order: the engine publishes in the order things happened). */
  list(): BusEntry[] {
    return [...this.entries].reverse();
  }

  clear(): void {
    this.entries = [];
  }
}
