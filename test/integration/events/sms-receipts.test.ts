import { PinpointSMSVoiceV2Client, SendTextMessageCommand } from '@aws-sdk/client-pinpoint-sms-voice-v2';
import { describe, expect, it } from '@jest/globals';
import { mockClient } from 'aws-sdk-client-mock';
import { createReceiptHandler } from '../../../functions/receipts';
import { createAwsSenders } from '../../../shared/channels/aws';
import { issue } from '../../../shared/engine';
import { verificationStatus } from '../../../shared/engine/status';
import { recordingEvents, schemaErrors } from '../../support/events';
import { engineHarness, smsIssue, testTenant } from '../../support/harness';
import { smsVoiceEvent, viaSns } from '../../support/receipt-payloads';

const PHONE = '+14255550156';

/**
 * SMS receipts in practice, without AWS: the engine issues a code through the End User Messaging
 * sender (its client under aws-sdk-client-mock, against DynamoDB Local), the test hands the
 * `Context` that SendTextMessage was given back inside the SMS event AWS documents, as the
 * configuration set's SNS destination would, and the receipt function records it on the code.
 */
describe('SMS receipts through End User Messaging', () => {
  it('carries the code reference from SendTextMessage to the receipt and the verification status', async () => {
    const h = await engineHarness();
    const client = new PinpointSMSVoiceV2Client({ region: 'us-east-1' });
    const smsVoice = mockClient(client);
    smsVoice.on(SendTextMessageCommand).resolves({ MessageId: 'm-1' });
    h.deps.senders.SMS = createAwsSenders({
      sesFrom: 'no-reply@example.com',
      smsProvider: 'end-user-messaging',
      voiceConfigurationSet: 'receipts-set',
      clients: { voice: client },
    }).SMS;
    const tenant = testTenant();
    const req = smsIssue(tenant, PHONE, 'v2:REGISTRATION');
    const out = await issue(h.deps, req);

    const sent = smsVoice.commandCalls(SendTextMessageCommand)[0]?.args[0].input;
    expect(sent?.ConfigurationSetName).toBe('receipts-set');
    const context = sent?.Context ?? {};
    const rec = recordingEvents();
    const handler = createReceiptHandler(() => ({
      ddb: h.ddb,
      tableName: h.tableName,
      events: rec.publisher,
    }));
    expect(await handler(viaSns(smsVoiceEvent(PHONE, 'TEXT_DELIVERED', 'DELIVERED', context)))).toEqual({
      applied: 1,
      recorded: 1,
    });

    expect(rec.events).toEqual([
      expect.objectContaining({
        type: 'otp.delivered',
        verificationId: out.challengeId,
        channel: 'SMS',
        provider: 'sms-voice-v2',
        providerStatus: 'TEXT_DELIVERED',
      }),
    ]);
    expect(schemaErrors(rec.events[0])).toEqual([]);
    const status = await verificationStatus(
      { ddb: h.ddb, tableName: h.tableName, pepper: h.deps.pepper, now: h.deps.now },
      tenant,
      'v2:REGISTRATION',
      PHONE,
    );
    expect(status?.channels.SMS).toMatchObject({ status: 'delivered', providerStatus: 'TEXT_DELIVERED' });
  });
});
