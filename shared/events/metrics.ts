import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { EventPublisher } from './publisher';
import type { OtpEventDetail, OtpEventType } from './schema';

/**
 * CloudWatch metrics (Powertools Metrics, embedded metric format) counted from the lifecycle
 * events, so metrics and events have one source and cannot disagree: whatever the engine and the
 * receipt function emit as `otp.*` is counted here on its way to the bus.
 *
 * Dimensions are kept to small closed sets, because CloudWatch bills every distinct combination
 * as a metric of its own: the channel (5 values), the recipient's ISO 3166 region (only the
 * countries actually sent to; tenants' `allowedRegions` bound it), the refusal reason (4) and its
 * rule (a fixed vocabulary of the engine). No tenant dimension: tenants are unbounded. Tenant and
 * dialect travel as EMF metadata instead, which CloudWatch Logs Insights can group by at no
 * metric cost. No code, no recipient, no verification id: the event fields that could identify a
 * person are never read here.
 */

/** A metric's name and the dimension sets it is published under (each set is one CloudWatch metric). */
interface Counted {
  name: MetricName;
  sets: Record<string, string>[];
}

/** The metric names, as the dashboard and alarms (lib/constructs/otp-operations.ts) use them. */
export const METRIC_NAMES = [
  'Issued',
  'Sent',
  'SendFailed',
  'Delivered',
  'DeliveryFailed',
  'Verified',
  'VerifyFailed',
  'MaxAttemptsReached',
  'Expired',
  'Canceled',
  'Refused',
] as const;
export type MetricName = (typeof METRIC_NAMES)[number];

/** Dimension names. */
export const DIMENSIONS = {
  channel: 'Channel',
  country: 'Country',
  reason: 'Reason',
  rule: 'Rule',
} as const;

/** Per channel, and per channel and country when the recipient is a phone. */
const byChannel = (e: { channel: string; country?: string | undefined }): Record<string, string>[] => [
  { [DIMENSIONS.channel]: e.channel },
  ...(e.country ? [{ [DIMENSIONS.channel]: e.channel, [DIMENSIONS.country]: e.country }] : []),
];

/**
 * What each event type counts as. A Record over every type, so a new event type does not compile
 * until it is given its metric here.
 */
const COUNT: { [T in OtpEventType]: (e: Extract<OtpEventDetail, { type: T }>) => Counted } = {
  'otp.issued': () => ({ name: 'Issued', sets: [] }),
  'otp.sent': (e) => ({ name: 'Sent', sets: byChannel(e) }),
  // stage `send`: the provider refused or timed out; `receipt`: it reported failure later.
  'otp.delivery_failed': (e) => ({
    name: e.stage === 'send' ? 'SendFailed' : 'DeliveryFailed',
    sets: byChannel(e),
  }),
  'otp.delivered': (e) => ({ name: 'Delivered', sets: byChannel(e) }),
  // A verify does not know which channel carried the code (one code may go by SMS and e-mail).
  'otp.approved': () => ({ name: 'Verified', sets: [] }),
  'otp.attempt_failed': () => ({ name: 'VerifyFailed', sets: [] }),
  'otp.max_attempts_reached': () => ({ name: 'MaxAttemptsReached', sets: [] }),
  'otp.expired': () => ({ name: 'Expired', sets: [] }),
  'otp.canceled': () => ({ name: 'Canceled', sets: [] }),
  'otp.refused': (e) => {
    const byReason: Record<string, string> = { [DIMENSIONS.reason]: e.reason };
    return { name: 'Refused', sets: [byReason, { ...byReason, [DIMENSIONS.rule]: e.detail }] };
  },
};

const countOf = (event: OtpEventDetail): Counted =>
  (COUNT[event.type] as (e: OtpEventDetail) => Counted)(event);

/**
 * Publishes the counts of one outcome's events: one EMF document per dimension set (EMF gives
 * every metric of a document the same dimensions; one set per document, because Powertools warns
 * on stdout when two sets of one document share a key), each metric's value the number of its
 * events. Written to stdout synchronously, no network call: CloudWatch Logs turns the lines into
 * metrics after the answer.
 */
export const publishCounts = (metrics: Metrics, events: readonly OtpEventDetail[]): void => {
  const groups = new Map<
    string,
    { set: Record<string, string> | undefined; counts: Map<MetricName, number> }
  >();
  // A test destination's code (README "Test destinations") is no traffic: a load test with test
  // numbers must not move Sent or Verified, nor the alarms built on them.
  const counted = events.filter((e) => !e.test);
  for (const event of counted) {
    const { name, sets } = countOf(event);
    for (const set of sets.length > 0 ? sets : [undefined]) {
      const key = JSON.stringify(set ?? {});
      const group = groups.get(key) ?? { set, counts: new Map() };
      group.counts.set(name, (group.counts.get(name) ?? 0) + 1);
      groups.set(key, group);
    }
  }
  const [first] = counted;
  for (const { set, counts } of groups.values()) {
    if (set) metrics.addDimensions(set);
    for (const [name, count] of counts) metrics.addMetric(name, MetricUnit.Count, count);
    // The events of one outcome share tenant and dialect; metadata, not dimensions (see above).
    if (first) {
      metrics.addMetadata('tenant', first.tenantId);
      metrics.addMetadata('dialect', first.dialect);
    }
    metrics.publishStoredMetrics();
  }
};

/**
 * The events port with metrics: counts every outcome's events (before the inner publisher, so a
 * slow or failing bus does not lose them), then hands them on. Keeps the port's contract: a
 * metrics fault never fails the request.
 */
export const withMetrics = (inner: EventPublisher, metrics: Metrics): EventPublisher => ({
  publish: async (events) => {
    try {
      publishCounts(metrics, events);
    } catch {
      // Metrics are best effort; Powertools warns on its own about invalid metrics.
    }
    await inner.publish(events);
  },
});

/**
 * The functions' metrics. The namespace comes from `POWERTOOLS_METRICS_NAMESPACE`, which the stack
 * sets per stack (`OtpService/<stack name>`), so two stages in one account keep apart; the
 * `service` dimension is `otp-service`. Only Lambda (and sam local) builds one: the local runtime
 * (`npm start`) publishes no metrics, its lifecycle events are on the inbox page instead.
 */
export const createMetrics = (): Metrics => new Metrics({ serviceName: 'otp-service' });
