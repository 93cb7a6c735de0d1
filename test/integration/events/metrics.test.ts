import { Metrics } from '@aws-lambda-powertools/metrics';
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { issue, verify } from '../../../shared/engine';
import type { EngineDeps } from '../../../shared/engine/types';
import { CountryNotAllowedError, InvalidCodeError, RateLimitedError } from '../../../shared/errors';
import { publishCounts, withMetrics } from '../../../shared/events/metrics';
import { bounded } from '../../../shared/events/publisher';
import { recordingEvents } from '../../support/events';
import {
  captureLogger,
  engineHarness,
  lastCode,
  phoneDelivery,
  rejection,
  smsIssue,
  testTenant,
  verifyOf,
  wrongCodeFor,
} from '../../support/harness';

const PHONE = '+919812345670';
const EMAIL = 'tomsawyer@gmail.com';

/** An EMF document as Powertools writes it: `_aws` plus dimension values, metrics and metadata. */
type Emf = {
  _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[] };
  [key: string]: unknown;
};

/** Every EMF line written to stdout while the test runs (Powertools writes them with console.log). */
let lines: string[] = [];
beforeEach(() => {
  lines = [];
  jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  });
});
afterEach(() => {
  jest.restoreAllMocks();
});

const documents = (): Emf[] =>
  lines.flatMap((l) => l.split('\n')).flatMap((l) => (l.includes('"_aws"') ? [JSON.parse(l) as Emf] : []));

/** The documents that carry metric `name`. */
const withMetric = (name: string): Emf[] =>
  documents().filter((d) => d._aws.CloudWatchMetrics[0]?.Metrics.some((m) => m.Name === name));

/** Engine deps whose events port counts metrics into a real Powertools Metrics instance. */
const harness = async () => {
  const h = await engineHarness();
  const rec = recordingEvents();
  const metrics = new Metrics({ namespace: 'OtpService/Test', serviceName: 'otp-service' });
  const deps: EngineDeps = { ...h.deps, events: withMetrics(rec.publisher, metrics) };
  return { ...h, deps, ...rec };
};

describe('lifecycle metrics', () => {
  describe('withMetrics', () => {
    it('counts an issue as Issued, and Sent per channel and per channel and country', async () => {
      const h = await harness();
      const req = smsIssue(testTenant(), PHONE, 'v2:REGISTRATION', {
        deliveries: [phoneDelivery('SMS', PHONE), { channel: 'EMAIL', to: EMAIL }],
      });
      await issue(h.deps, req);

      const [issued] = withMetric('Issued');
      expect(issued?._aws.CloudWatchMetrics[0]).toMatchObject({
        Namespace: 'OtpService/Test',
        Dimensions: [['service']],
      });
      expect(issued).toMatchObject({ Issued: 1, service: 'otp-service', dialect: 'capillary-v2' });

      // The SMS per channel and per channel and country; the e-mail, which has no country, per channel only.
      const sent = withMetric('Sent').map((d) => ({
        dimensions: d._aws.CloudWatchMetrics[0]?.Dimensions,
        Channel: d.Channel,
        Country: d.Country,
        Sent: d.Sent,
      }));
      expect(sent).toEqual([
        { dimensions: [['service', 'Channel']], Channel: 'SMS', Country: undefined, Sent: 1 },
        { dimensions: [['service', 'Channel', 'Country']], Channel: 'SMS', Country: 'IN', Sent: 1 },
        { dimensions: [['service', 'Channel']], Channel: 'EMAIL', Country: undefined, Sent: 1 },
      ]);
    });

    it('counts a wrong guess as VerifyFailed and the right one as Verified, without dimensions', async () => {
      const h = await harness();
      const req = smsIssue(testTenant(), PHONE);
      await issue(h.deps, req);
      await rejection(verify(h.deps, verifyOf(req, wrongCodeFor(lastCode(h.sent)))), InvalidCodeError);
      await verify(h.deps, verifyOf(req, lastCode(h.sent)));
      expect(withMetric('VerifyFailed')).toEqual([
        expect.objectContaining({ VerifyFailed: 1, _aws: expect.anything() }),
      ]);
      const [verified] = withMetric('Verified');
      expect(verified).toMatchObject({ Verified: 1 });
      expect(verified?._aws.CloudWatchMetrics[0]?.Dimensions).toEqual([['service']]);
    });

    it('counts refusals as Refused by reason and by reason and rule', async () => {
      const h = await harness();
      const tenant = testTenant();
      const email = smsIssue(tenant, EMAIL, 'test:login', { deliveries: [{ channel: 'EMAIL', to: EMAIL }] });
      await issue(h.deps, email);
      await rejection(issue(h.deps, email), RateLimitedError);
      await rejection(issue(h.deps, smsIssue(tenant, '+447911123456')), CountryNotAllowedError);
      const refused = withMetric('Refused');
      expect(
        refused.map((d) => [d._aws.CloudWatchMetrics[0]?.Dimensions, d.Reason, d.Rule, d.Refused]),
      ).toEqual([
        [[['service', 'Reason']], 'limits', undefined, 1],
        [[['service', 'Reason', 'Rule']], 'limits', 'resend-gap', 1],
        [[['service', 'Reason']], 'number-policy', undefined, 1],
        [[['service', 'Reason', 'Rule']], 'number-policy', 'country-not-allowed', 1],
      ]);
    });

    it('writes no code, no recipient (clear or masked) and no verification id into any metric', async () => {
      const h = await harness();
      const tenant = testTenant();
      const other = testTenant();
      const req = smsIssue(tenant, PHONE, 'v2:REGISTRATION', {
        deliveries: [phoneDelivery('SMS', PHONE), { channel: 'EMAIL', to: EMAIL }],
      });
      const issued = await issue(h.deps, req);
      await rejection(verify(h.deps, verifyOf(req, wrongCodeFor(lastCode(h.sent)))), InvalidCodeError);
      await verify(h.deps, verifyOf(req, lastCode(h.sent)));
      await rejection(issue(h.deps, smsIssue(other, '+447911123456')), CountryNotAllowedError);

      // Everything but `_aws` (namespace, dimension names and the timestamp, which is all digits),
      // and but the tenant ids the metadata carries by design (random hex: it can hold six digits).
      const text = documents()
        .map(({ _aws, ...rest }) => JSON.stringify(rest))
        .join('\n')
        .replaceAll(tenant.tenantId, '<tenant>')
        .replaceAll(other.tenantId, '<tenant>');
      expect(documents().length).toBeGreaterThanOrEqual(5);
      const codes = h.sent.map((m) => m.code);
      for (const needle of [
        ...codes,
        PHONE,
        PHONE.slice(1),
        '7911123456',
        EMAIL,
        'tomsawyer',
        issued.challengeId,
      ])
        expect(text).not.toContain(needle);
      // The masked forms the events carry stay out too, and so does any run of digits a phone has.
      expect(text).not.toMatch(/\*\*\*|recipient|verificationId|\d{6,}/);
    });

    it("counts no test destination's events (a load test with test numbers is no traffic)", () => {
      const metrics = new Metrics({ namespace: 'OtpService/Test', serviceName: 'otp-service' });
      const event = {
        version: '1',
        eventId: '6f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f',
        occurredAt: '2026-12-05T05:00:00.000Z',
        tenantId: 't-acme',
        dialect: 'capillary-v2',
        purpose: 'v2:REGISTRATION',
        verificationId: 'ch-1',
        recipient: '+1*******006',
        type: 'otp.sent',
        channel: 'SMS',
        country: 'US',
        resent: false,
        sendCount: 1,
        attempts: 0,
        expiresAt: '2026-12-05T05:10:00.000Z',
      } as const;
      publishCounts(metrics, [{ ...event, test: true }]);
      expect(withMetric('Sent')).toEqual([]);
      publishCounts(metrics, [event]);
      expect(withMetric('Sent')).toHaveLength(2);
    });

    it('counts receipts as Delivered and DeliveryFailed per channel and country, and a send failure as SendFailed', () => {
      const metrics = new Metrics({ namespace: 'OtpService/Test', serviceName: 'otp-service' });
      const base = {
        version: '1',
        eventId: '6f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f',
        occurredAt: '2026-12-05T05:00:00.000Z',
        tenantId: 't-acme',
        dialect: 'capillary-v2',
        purpose: 'v2:REGISTRATION',
        verificationId: 'ch-1',
        recipient: '+91*******670',
      } as const;
      publishCounts(metrics, [
        {
          ...base,
          type: 'otp.delivered',
          channel: 'SMS',
          country: 'IN',
          provider: 'sms-voice-v2',
          providerStatus: 'DELIVERED',
        },
      ]);
      publishCounts(metrics, [
        {
          ...base,
          type: 'otp.delivery_failed',
          channel: 'VOICE',
          country: 'IN',
          stage: 'receipt',
          reason: 'NO_ANSWER',
          provider: 'sms-voice-v2',
        },
        {
          ...base,
          type: 'otp.delivery_failed',
          channel: 'VOICE',
          country: 'IN',
          stage: 'send',
          reason: 'provider-error',
          provider: 'engine',
        },
      ]);
      const seen = (name: string) => withMetric(name).map((d) => [d.Channel, d.Country, d[name]]);
      expect(seen('Delivered')).toEqual([
        ['SMS', undefined, 1],
        ['SMS', 'IN', 1],
      ]);
      expect(seen('DeliveryFailed')).toEqual([
        ['VOICE', undefined, 1],
        ['VOICE', 'IN', 1],
      ]);
      expect(seen('SendFailed')).toEqual(seen('DeliveryFailed'));
      // The masked recipient of the receipts stays out (only `_aws`, with its timestamp, is skipped).
      expect(documents().map(({ _aws, ...rest }) => JSON.stringify(rest))).not.toContainEqual(
        expect.stringMatching(/670|\*\*\*/),
      );
    });

    it('counts the events before the bus sees them, so a failing bus loses no metric', async () => {
      const h = await engineHarness();
      const handed: string[] = [];
      const metrics = new Metrics({ namespace: 'OtpService/Test', serviceName: 'otp-service' });
      const failingBus = {
        publish: async (events: readonly { type: string }[]) => {
          handed.push(...events.map((e) => e.type));
          throw new Error('EventBridge is down');
        },
      };
      const events = withMetrics(bounded(failingBus, captureLogger().logger), metrics);
      await issue({ ...h.deps, events }, smsIssue(testTenant(), PHONE));
      expect(handed).toEqual(['otp.issued', 'otp.sent']);
      expect(withMetric('Issued')).toHaveLength(1);
      expect(withMetric('Sent')).toHaveLength(2);
    });
  });
});
