import type { Tracer } from '@aws-lambda-powertools/tracer';
import { inSubsegment, loadedTracer } from '../tracing';
import type { ChannelType, Sender } from './types';

/**
 * A sender whose every message is one `channel <CHANNEL>` subsegment, annotated with channel and
 * tenant, once the tracer has loaded (a message sent before that is not held up for it).
 */
export const tracedSender =
  (channel: ChannelType, send: Sender, tracer: () => Tracer | undefined = loadedTracer): Sender =>
  (message) =>
    inSubsegment(tracer(), `channel ${channel}`, { channel, tenant: message.tenantId }, () => send(message));
