/**
 * The receipt function: provider delivery receipts → the challenge's last delivery status and
 * `otp.delivered` / `otp.delivery_failed` events. Invoked by an EventBridge rule on the default
 * bus (SES configuration-set events, `source: aws.ses`) and by the SNS topic of the SMS-Voice v2
 * configuration set's event destination (voice, and SMS sent through End User Messaging), and
 * WhatsApp statuses (`aws.social-messaging` events on the default bus, or a WABA's SNS event
 * destination) for tenants that turned WhatsApp receipts on.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import * as z from 'zod';
import { tracingOn } from '../shared/config';
import { applyReceipt, type ReceiptDeps } from '../shared/engine/receipts';
import { createEventBridgePublisher } from '../shared/events/eventbridge';
import { createMetrics, withMetrics } from '../shared/events/metrics';
import { noEvents } from '../shared/events/publisher';
import { logger } from '../shared/logger';
import { type ReceiptInput, receiptsIn, whatsAppStatusesIn } from '../shared/receipts/parse';
import { whatsAppReceipts } from '../shared/receipts/whatsapp';
import { dynamoClientOptions } from '../shared/timeouts';
import { loadTracer, traceClient } from '../shared/tracing';

/** Its own two variables: the receipt function holds no pepper and no sealing key (it needs neither). */
const receiptConfig = z.object({
  TABLE_NAME: z.string().min(1),
  OTP_EVENT_BUS_NAME: z.string().min(1).optional(),
  AWS_EXECUTION_ENV: z.string().min(1).optional(),
  AWS_SAM_LOCAL: z.string().min(1).optional(),
  POWERTOOLS_TRACE_ENABLED: z.enum(['true', 'false']).optional(),
});

let deps: ReceiptDeps | undefined;

const receiptDeps = (): ReceiptDeps => {
  if (deps) return deps;
  const c = receiptConfig.parse(process.env);
  deps = {
    // DynamoDB subsegments once the tracer has loaded (shared/tracing.ts).
    ddb: traceClient(loadTracer(tracingOn(c)), new DynamoDBClient({ ...dynamoClientOptions() })),
    tableName: c.TABLE_NAME,
    // Delivered and DeliveryFailed metrics are counted from the events this function emits.
    events: withMetrics(
      c.OTP_EVENT_BUS_NAME ? createEventBridgePublisher({ busName: c.OTP_EVENT_BUS_NAME, logger }) : noEvents,
      createMetrics(),
    ),
  };
  return deps;
};

/** Builds the handler on the given deps (tests pass DynamoDB Local and a recording publisher). */
export const createReceiptHandler =
  (make: () => ReceiptDeps) =>
  async (input: ReceiptInput): Promise<{ applied: number; recorded: number }> => {
    const now = Date.now();
    const deps = make();
    const receipts = [
      ...receiptsIn(input, now),
      ...(await whatsAppReceipts(deps, whatsAppStatusesIn(input, now))),
    ];
    let recorded = 0;
    for (const receipt of receipts) {
      if ((await applyReceipt(deps, receipt)).recorded) recorded++;
    }
    logger.info('receipts applied', { applied: receipts.length, recorded });
    return { applied: receipts.length, recorded };
  };

export const handler = createReceiptHandler(receiptDeps);
