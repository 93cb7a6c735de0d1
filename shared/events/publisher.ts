import type { Logger } from '@aws-lambda-powertools/logger';
import { EVENTS_PUBLISH_DEADLINE_MS } from '../timeouts';
import type { OtpEventDetail } from './schema';

/**
 * The engine's events port: where lifecycle events go (EventBridge in AWS, the local bus in
 * `npm start`, a recorder in tests). The engine awaits `publish` once per outcome, at the end of
 * the operation, with every event of that outcome in one call.
 *
 * Contract: `publish` never rejects and never takes longer than its deadline. Events are
 * best effort (at most once): an event that cannot be published is logged (type and
 * verification id only) and dropped; the request it describes has already happened and is
 * answered as usual.
 */
export interface EventPublisher {
  publish(events: readonly OtpEventDetail[]): Promise<void>;
}

/** Publishes nothing: the engine's default when no bus is configured. */
export const noEvents: EventPublisher = { publish: async () => {} };

/**
 * Wraps a publisher so that it keeps the port's contract whatever the inner one does: a throw
 * becomes a warning, and a publish still running after `deadlineMs` is left to finish on its own
 * (the request goes on without it). Why awaited in line and not fire-and-forget: a Lambda
 * container is frozen as soon as the handler returns, so an unawaited PutEvents may never leave
 * (or leave minutes later, in another request's time); awaiting with a hard cap costs one
 * PutEvents round trip (tens of ms) on each outcome and keeps events in order with the answer.
 */
export const bounded = (
  inner: EventPublisher,
  logger: Logger,
  deadlineMs: number = EVENTS_PUBLISH_DEADLINE_MS,
): EventPublisher => ({
  publish: async (events) => {
    if (events.length === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), deadlineMs);
    });
    try {
      const outcome = await Promise.race([inner.publish(events).then(() => 'done' as const), timeout]);
      if (outcome === 'timeout') logger.warn('lifecycle events not published in time', summarize(events));
    } catch (error) {
      logger.warn('lifecycle events not published', {
        ...summarize(events),
        error: error instanceof Error ? error.name : 'unknown',
      });
    } finally {
      clearTimeout(timer);
    }
  },
});

/** What a warning may say about events: their types and verification, nothing else. */
export const summarize = (events: readonly OtpEventDetail[]) => ({
  types: events.map((e) => e.type),
  verificationId: events.find((e) => e.verificationId)?.verificationId,
});
