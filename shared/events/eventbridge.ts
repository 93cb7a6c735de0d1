import type { Logger } from '@aws-lambda-powertools/logger';
import type { EventBridgeClient, PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { EVENTS_TIMEOUTS } from '../timeouts';
import { EVENT_SOURCE } from './names';
import { bounded, type EventPublisher, summarize } from './publisher';
import type { OtpEventDetail } from './schema';

/** PutEvents takes at most 10 entries per call. */
const MAX_ENTRIES = 10;

/** The EventBridge client with the events budget (shared/timeouts.ts). */
export const createEventBridgeClient = async (): Promise<EventBridgeClient> => {
  const { EventBridgeClient } = await import('@aws-sdk/client-eventbridge');
  return new EventBridgeClient({
    maxAttempts: EVENTS_TIMEOUTS.maxAttempts,
    requestHandler: {
      connectionTimeout: EVENTS_TIMEOUTS.connectionTimeoutMs,
      requestTimeout: EVENTS_TIMEOUTS.requestTimeoutMs,
      throwOnRequestTimeout: true,
    },
  });
};

/** One PutEvents entry: detail-type is the event type, so rules can match on it. */
export const toEntry = (busName: string, event: OtpEventDetail): PutEventsRequestEntry => ({
  EventBusName: busName,
  Source: EVENT_SOURCE,
  DetailType: event.type,
  Time: new Date(event.occurredAt),
  Detail: JSON.stringify(event),
});

export interface EventBridgePublisherOptions {
  /** Name or ARN of the bus (the stack's OTP_EVENT_BUS_NAME). */
  busName: string;
  logger: Logger;
  /** A test passes a client under aws-sdk-client-mock; production imports the SDK on first publish. */
  client?: () => Promise<EventBridgeClient>;
}

/**
 * The events port in AWS: PutEvents to the stack's bus, up to 10 entries per call, the calls of
 * one outcome in parallel. The SDK is imported on the first publish, so a cold start does not
 * pay for it. Entries EventBridge refuses (`FailedEntryCount`) are logged by type and dropped.
 */
export const createEventBridgePublisher = (options: EventBridgePublisherOptions): EventPublisher => {
  let client: Promise<EventBridgeClient> | undefined;
  const inner: EventPublisher = {
    publish: async (events) => {
      client ??= (options.client ?? createEventBridgeClient)().catch((error: unknown) => {
        client = undefined;
        throw error;
      });
      const eventBridge = await client;
      const { PutEventsCommand } = await import('@aws-sdk/client-eventbridge');
      const batches: OtpEventDetail[][] = [];
      for (let i = 0; i < events.length; i += MAX_ENTRIES) batches.push(events.slice(i, i + MAX_ENTRIES));
      await Promise.all(
        batches.map(async (batch) => {
          const out = await eventBridge.send(
            new PutEventsCommand({ Entries: batch.map((e) => toEntry(options.busName, e)) }),
          );
          if (out.FailedEntryCount) {
            const failed = batch.filter((_, i) => out.Entries?.[i]?.ErrorCode);
            options.logger.warn('lifecycle events refused by EventBridge', {
              ...summarize(failed),
              errorCodes: out.Entries?.map((e) => e.ErrorCode).filter(Boolean),
            });
          }
        }),
      );
    },
  };
  return bounded(inner, options.logger);
};
