import { SendWhatsAppMessageCommand, SocialMessagingClient } from '@aws-sdk/client-socialmessaging';
import { describe, expect, it } from '@jest/globals';
import { mockClient } from 'aws-sdk-client-mock';
import { createReceiptHandler } from '../../../functions/receipts';
import { whatsAppMemory } from '../../../shared/app-deps';
import { createAwsSenders } from '../../../shared/channels/aws';
import { issue } from '../../../shared/engine';
import { maskDestination } from '../../../shared/mask';
import { readChallenge } from '../../../shared/store/challenge-status';
import { recordingEvents, schemaErrors } from '../../support/events';
import { engineHarness, phoneDelivery, scanItems, smsIssue, testTenant } from '../../support/harness';
import { socialMessagingEvent, viaSns, whatsAppSnsEvent } from '../../support/receipt-payloads';

const PHONE = '+14255550156';
const AWS_MESSAGE_ID = '4bee7d29-70f5-4a49-b84e-facf4424fe58';

/**
 * WhatsApp receipts without AWS: the engine sends through the real WhatsApp sender (its client
 * under aws-sdk-client-mock answering the message id), which writes the message-id item in
 * DynamoDB Local; the receipt function then gets the status events AWS documents.
 */
const sentOnWhatsApp = async (receipts: boolean | undefined) => {
  const h = await engineHarness();
  const client = new SocialMessagingClient({ region: 'us-east-1' });
  mockClient(client).on(SendWhatsAppMessageCommand).resolves({ messageId: AWS_MESSAGE_ID });
  h.deps.senders.WHATSAPP = createAwsSenders({
    sesFrom: 'no-reply@example.com',
    rememberWhatsAppMessage: whatsAppMemory(h.ddb, h.tableName),
    clients: { whatsapp: client },
  }).WHATSAPP;
  const tenant = testTenant({
    channels: { whatsapp: { phoneNumberId: 'phone-number-id-0123abcd', languageCode: 'en', receipts } },
  });
  const req = smsIssue(tenant, PHONE, 'v2:REGISTRATION', {
    deliveries: [phoneDelivery('WHATSAPP', PHONE)],
    content: { ...smsIssue(tenant, PHONE).content, whatsappTemplateName: 'otp_code' },
  });
  const out = await issue(h.deps, req);
  const rec = recordingEvents();
  const handler = createReceiptHandler(() => ({ ddb: h.ddb, tableName: h.tableName, events: rec.publisher }));
  return { h, out, rec, handler };
};

describe('WhatsApp receipts', () => {
  it('maps a Social Messaging "delivered" event to otp.delivered on the code, masked', async () => {
    const t = await sentOnWhatsApp(true);
    expect(t.out.results).toEqual([expect.objectContaining({ channel: 'WHATSAPP', ok: true })]);
    expect(
      await t.handler(socialMessagingEvent('WhatsApp Message Delivered', AWS_MESSAGE_ID, 'delivered')),
    ).toEqual({ applied: 1, recorded: 1 });
    expect(t.rec.events).toEqual([
      expect.objectContaining({
        type: 'otp.delivered',
        verificationId: t.out.challengeId,
        channel: 'WHATSAPP',
        recipient: maskDestination(PHONE),
        country: 'US',
        provider: 'social-messaging',
        providerStatus: 'delivered',
        occurredAt: '2025-10-03T04:34:23.000Z',
      }),
    ]);
    expect(schemaErrors(t.rec.events[0])).toEqual([]);
    const items = await scanItems(t.h.ddb, t.h.tableName);
    const challenge = items.find((i) => String(i.sk).startsWith('CH#'));
    expect(challenge?.deliveryWHATSAPP).toMatchObject({ status: 'delivered', providerStatus: 'delivered' });
    // The id item holds the recipient masked only.
    expect(JSON.stringify(items.filter((i) => String(i.pk).startsWith('WAMSG#')))).not.toContain(
      '4255550156',
    );
  });

  it('maps a failed status from the WABA SNS destination (Meta webhook entry) to otp.delivery_failed', async () => {
    const t = await sentOnWhatsApp(true);
    const result = await t.handler(
      viaSns(whatsAppSnsEvent(AWS_MESSAGE_ID, 'wamid.HBgLMTQyNTU1NTAxNTY', 'failed')),
    );
    expect(result).toEqual({ applied: 1, recorded: 1 });
    expect(t.rec.ofType('otp.delivery_failed')[0]).toMatchObject({
      channel: 'WHATSAPP',
      stage: 'receipt',
      reason: 'failed',
      provider: 'social-messaging',
    });
  });

  it('skips "sent" (not settled) and statuses of messages it never sent', async () => {
    const t = await sentOnWhatsApp(true);
    expect(await t.handler(socialMessagingEvent('WhatsApp Message Sent', AWS_MESSAGE_ID, 'sent'))).toEqual({
      applied: 0,
      recorded: 0,
    });
    expect(
      await t.handler(
        socialMessagingEvent('WhatsApp Message Delivered', 'another-senders-message', 'delivered'),
      ),
    ).toEqual({ applied: 0, recorded: 0 });
    expect(t.rec.events).toEqual([]);
  });

  it('writes no message-id item when the tenant has not turned WhatsApp receipts on', async () => {
    const t = await sentOnWhatsApp(undefined);
    const items = await scanItems(t.h.ddb, t.h.tableName);
    expect(items.filter((i) => String(i.pk).startsWith('WAMSG#'))).toEqual([]);
    expect(
      await t.handler(socialMessagingEvent('WhatsApp Message Delivered', AWS_MESSAGE_ID, 'delivered')),
    ).toEqual({ applied: 0, recorded: 0 });
    const ref = items.find((i) => String(i.sk).startsWith('CH#'));
    expect(ref).toBeDefined();
    expect(
      (await readChallenge(t.h.ddb, t.h.tableName, { pk: String(ref?.pk), sk: String(ref?.sk) }))
        ?.deliveryWHATSAPP,
    ).toBeUndefined();
  });
});
