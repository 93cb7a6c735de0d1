import { describe, expect, it } from '@jest/globals';
import { createReceiptHandler } from '../../../functions/receipts';
import { LocalEventBus } from '../../../local/event-bus';
import { LocalReceipts } from '../../../local/receipts';
import { receiptTags } from '../../../shared/channels/receipt-tags';
import type { ChannelType, ReceiptRef, Sender } from '../../../shared/channels/types';
import { issue } from '../../../shared/engine';
import { applyReceipt } from '../../../shared/engine/receipts';
import { readChallenge } from '../../../shared/store/challenge-status';
import { recordingEvents, schemaErrors } from '../../support/events';
import { engineHarness, phoneDelivery, smsIssue, testTenant } from '../../support/harness';
import { smsVoiceEvent, viaSns } from '../../support/receipt-payloads';

const PHONE = '+14255550156';
const EMAIL = 'recipient@example.com';

/**
 * SES event records as SES publishes them through a configuration set. Shape and values from
 * "Examples of event data that Amazon SES publishes to Amazon SNS"
 * (https://docs.aws.amazon.com/ses/latest/dg/event-publishing-retrieving-sns-examples.html, the
 * Bounce record; the same record is the `detail` of the `aws.ses` EventBridge events listed in
 * https://docs.aws.amazon.com/eventbridge/latest/ref/events-ref-ses.html), headers trimmed, with
 * our receipt tags in `mail.tags` in place of the example's `ses:configuration-set` tags.
 */
const sesRecord = (eventType: string, ref: ReceiptRef, extra: Record<string, unknown>) => ({
  eventType,
  ...extra,
  mail: {
    timestamp: '2017-08-05T00:40:02.012Z',
    source: 'Sender Name <sender@example.com>',
    sourceArn: 'arn:aws:ses:us-east-1:123456789012:identity/sender@example.com',
    sendingAccountId: '123456789012',
    messageId: 'EXAMPLE7c191be45-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a-000000',
    destination: [EMAIL],
    headersTruncated: false,
    tags: Object.fromEntries(Object.entries(receiptTags(ref)).map(([k, v]) => [k, [v]])),
  },
});

const sesBounce = (ref: ReceiptRef) =>
  sesRecord('Bounce', ref, {
    bounce: {
      bounceType: 'Permanent',
      bounceSubType: 'General',
      bouncedRecipients: [
        {
          emailAddress: EMAIL,
          action: 'failed',
          status: '5.1.1',
          diagnosticCode: 'smtp; 550 5.1.1 user unknown',
        },
      ],
      timestamp: '2017-08-05T00:41:02.669Z',
      feedbackId: '01000157c44f053b-61b59c11-9236-11e6-8f96-7be8aexample-000000',
      reportingMTA: 'dsn; mta.example.com',
    },
  });

const sesDelivery = (ref: ReceiptRef) =>
  sesRecord('Delivery', ref, {
    delivery: {
      timestamp: '2016-10-19T23:21:04.133Z',
      processingTimeMillis: 11893,
      recipients: [EMAIL],
      smtpResponse: '250 2.6.0 Message received',
      reportingMTA: 'mta.example.com',
    },
  });

/** EventBridge's envelope of an SES event (https://docs.aws.amazon.com/eventbridge/latest/ref/events-ref-ses.html). */
const onDefaultBus = (detailType: string, detail: unknown) => ({
  version: '0',
  id: '5c0fa4f8-e4ba-ed02-6101-c795472fccd0',
  'detail-type': detailType,
  source: 'aws.ses',
  account: '123456789012',
  time: '2017-08-05T00:41:02Z',
  region: 'us-east-1',
  resources: [],
  detail,
});

/** Issues one code to SMS and e-mail and returns the receipt reference its messages carried. */
const issued = async () => {
  const h = await engineHarness();
  const rec = recordingEvents();
  const req = smsIssue(testTenant(), PHONE, 'v2:REGISTRATION', {
    deliveries: [phoneDelivery('SMS', PHONE), { channel: 'EMAIL', to: EMAIL }],
  });
  const out = await issue(h.deps, req);
  const ref = h.sent[0]?.receipt;
  if (!ref) throw new Error('the message carried no receipt reference');
  const handler = createReceiptHandler(() => ({ ddb: h.ddb, tableName: h.tableName, events: rec.publisher }));
  const status = () => readChallenge(h.ddb, h.tableName, ref);
  return { h, rec, ref, out, handler, status };
};

describe('receipts', () => {
  describe('functions/receipts handler', () => {
    it('maps an SES Delivery on the default bus to otp.delivered and records it on the challenge', async () => {
      const t = await issued();
      expect(await t.handler(onDefaultBus('Email Delivered', sesDelivery(t.ref)))).toEqual({
        applied: 1,
        recorded: 1,
      });
      expect(t.rec.events).toEqual([
        expect.objectContaining({
          type: 'otp.delivered',
          verificationId: t.out.challengeId,
          channel: 'EMAIL',
          recipient: 're***@example.com',
          provider: 'ses',
          providerStatus: 'Delivery',
          occurredAt: '2016-10-19T23:21:04.133Z',
          dialect: 'capillary-v2',
          purpose: 'v2:REGISTRATION',
        }),
      ]);
      expect(schemaErrors(t.rec.events[0])).toEqual([]);
      expect((await t.status())?.deliveryEMAIL).toMatchObject({
        status: 'delivered',
        providerStatus: 'Delivery',
      });
    });

    it('maps a permanent SES bounce to otp.delivery_failed, and an older receipt never overwrites a newer one', async () => {
      const t = await issued();
      await t.handler(onDefaultBus('Email Bounced', sesBounce(t.ref)));
      // The delivery record of the example is older (2016) than the bounce (2017): it is told, not recorded.
      expect(await t.handler(onDefaultBus('Email Delivered', sesDelivery(t.ref)))).toEqual({
        applied: 1,
        recorded: 0,
      });
      expect(t.rec.types()).toEqual(['otp.delivery_failed', 'otp.delivered']);
      expect(t.rec.ofType('otp.delivery_failed')[0]).toMatchObject({
        stage: 'receipt',
        reason: 'Bounce:Permanent',
      });
      expect((await t.status())?.deliveryEMAIL).toMatchObject({
        status: 'failed',
        providerStatus: 'Bounce:Permanent',
      });
    });

    it('maps End User Messaging SMS events from SNS: final ones only, and only those carrying our context', async () => {
      const t = await issued();
      const ours = receiptTags(t.ref);
      const out = await t.handler(
        viaSns(
          { ...smsVoiceEvent(PHONE, 'TEXT_PENDING', 'PENDING', ours), isFinal: false },
          smsVoiceEvent(PHONE, 'TEXT_SUCCESSFUL', 'SUCCESSFUL', { account: 'bar' }),
          smsVoiceEvent(PHONE, 'TEXT_DELIVERED', 'DELIVERED', ours),
        ),
      );
      expect(out).toEqual({ applied: 1, recorded: 1 });
      expect(t.rec.events).toEqual([
        expect.objectContaining({
          type: 'otp.delivered',
          channel: 'SMS',
          country: 'US',
          recipient: '+14******156',
        }),
      ]);
      expect(schemaErrors(t.rec.events[0])).toEqual([]);
      expect((await t.status())?.deliverySMS).toMatchObject({
        status: 'delivered',
        providerStatus: 'TEXT_DELIVERED',
      });
    });

    it('maps a blocked SMS to otp.delivery_failed and ignores a forged reference to another kind of item', async () => {
      const t = await issued();
      const forged = receiptTags({ pk: 'CRED#basic#demo', sk: 'CRED', id: t.ref.id });
      await t.handler(
        viaSns(
          smsVoiceEvent(PHONE, 'TEXT_BLOCKED', 'BLOCKED', forged),
          smsVoiceEvent(PHONE, 'TEXT_BLOCKED', 'BLOCKED', receiptTags(t.ref)),
        ),
      );
      expect(t.rec.types()).toEqual(['otp.delivery_failed']);
      expect((await t.status())?.deliverySMS).toMatchObject({
        status: 'failed',
        providerStatus: 'TEXT_BLOCKED',
      });
    });
  });

  describe('local receipts', () => {
    it('tell otp.delivered after otp.sent for each local sink, and record the status', async () => {
      const h = await engineHarness();
      const bus = new LocalEventBus();
      const receipts = new LocalReceipts(bus, (r) =>
        applyReceipt({ ddb: h.ddb, tableName: h.tableName, events: bus }, r),
      );
      const wrap = (c: ChannelType) => receipts.wrap(c, h.deps.senders[c] as Sender);
      const deps = { ...h.deps, events: bus, senders: { SMS: wrap('SMS'), EMAIL: wrap('EMAIL') } };
      const req = smsIssue(testTenant(), PHONE, 'v2:REGISTRATION', {
        deliveries: [phoneDelivery('SMS', PHONE), { channel: 'EMAIL', to: EMAIL }],
      });
      const out = await issue(deps, req);
      await bus.settled();
      const types = bus
        .list()
        .map((e) => e['detail-type'])
        .reverse();
      expect(types).toEqual(['otp.issued', 'otp.sent', 'otp.sent', 'otp.delivered', 'otp.delivered']);
      const item = await readChallenge(h.ddb, h.tableName, {
        pk: h.sent[0]?.receipt?.pk ?? '',
        sk: h.sent[0]?.receipt?.sk ?? '',
      });
      expect(item?.id).toBe(out.challengeId);
      expect(item?.deliverySMS).toMatchObject({ status: 'delivered', provider: 'local' });
      expect(item?.deliveryEMAIL).toMatchObject({ status: 'delivered', provider: 'local' });
    });
  });
});
