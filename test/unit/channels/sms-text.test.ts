import { PinpointSMSVoiceV2Client, SendTextMessageCommand } from '@aws-sdk/client-pinpoint-sms-voice-v2';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { beforeEach, describe, expect, it } from '@jest/globals';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { createAwsSenders } from '../../../shared/channels/aws';
import { refFromTags } from '../../../shared/channels/receipt-tags';
import { outbound } from './fixtures';

const REF = { pk: 'T#tenant-a#D#aGFzaA', sk: 'CH#v2:REGISTRATION', id: 'c-1' };
const CONFIGURATION_SET = 'OtpSmsVoiceConfigurationSet-1';

const clients = {
  voice: new PinpointSMSVoiceV2Client({ region: 'us-east-1' }),
  sns: new SNSClient({ region: 'us-east-1' }),
};
const smsVoice = mockClient(clients.voice);
const sns = mockClient(clients.sns);
beforeEach(() => {
  smsVoice.reset();
  sns.reset();
  smsVoice.on(SendTextMessageCommand).resolves({ MessageId: 'm-1' });
  sns.on(PublishCommand).resolves({ MessageId: 'p-1' });
});

const eumSms = () =>
  createAwsSenders({
    sesFrom: 'no-reply@example.com',
    smsProvider: 'end-user-messaging',
    voiceConfigurationSet: CONFIGURATION_SET,
    clients,
  }).SMS;

describe('channels/sms-text', () => {
  describe('smsSender with smsProvider end-user-messaging', () => {
    it('sends a transactional SendTextMessage with the configuration set and the receipt context, never SNS', async () => {
      await eumSms()?.(outbound('SMS', { receipt: REF }));
      expect(smsVoice).toHaveReceivedCommandTimes(SendTextMessageCommand, 1);
      expect(smsVoice).toHaveReceivedCommandWith(SendTextMessageCommand, {
        DestinationPhoneNumber: '+919876543219',
        MessageBody: 'Your code is 493817',
        MessageType: 'TRANSACTIONAL',
        ConfigurationSetName: CONFIGURATION_SET,
      });
      expect(sns).not.toHaveReceivedCommand(PublishCommand);
      const input = smsVoice.commandCalls(SendTextMessageCommand)[0]?.args[0].input;
      // The context names the code's item, and a receipt carrying it back finds that item.
      expect(refFromTags((name) => input?.Context?.[name])).toEqual(REF);
      // The code is in the message body, and nowhere else the provider stores or returns.
      const { MessageBody: _body, ...rest } = input ?? {};
      expect(JSON.stringify(rest)).not.toContain('493817');
      expect(input).not.toHaveProperty('OriginationIdentity');
      expect(input).not.toHaveProperty('DestinationCountryParameters');
    });

    it('passes the India DLT entity and template as DestinationCountryParameters', async () => {
      await eumSms()?.(
        outbound('SMS', { dlt: { entityId: '1001000000000000001', templateId: '1007000000000000001' } }),
      );
      expect(smsVoice).toHaveReceivedCommandWith(SendTextMessageCommand, {
        DestinationCountryParameters: {
          IN_ENTITY_ID: '1001000000000000001',
          IN_TEMPLATE_ID: '1007000000000000001',
        },
      });
    });

    it.each([
      [
        { originationIdentity: 'pool-0123456789abcdef', originationNumber: '+18005550100', senderId: 'ACME' },
        'pool-0123456789abcdef',
      ],
      [{ originationNumber: '+18005550100', senderId: 'ACME' }, '+18005550100'],
      [{ senderId: 'ACME' }, 'ACME'],
    ])('sends from the tenant origination identity %p', async (sms, expected) => {
      await eumSms()?.(outbound('SMS', {}, { sms }));
      expect(smsVoice).toHaveReceivedCommandWith(SendTextMessageCommand, { OriginationIdentity: expected });
    });

    it('keeps the autofill lines the engine rendered (the body is sent as is)', async () => {
      const text = 'Your code is 493817\nFA+9qCX9VSu\n\n@example.com #493817';
      await eumSms()?.(outbound('SMS', { text }));
      expect(smsVoice).toHaveReceivedCommandWith(SendTextMessageCommand, { MessageBody: text });
    });

    it('sends without Context when there is no configuration set (nothing would report it)', async () => {
      await createAwsSenders({
        sesFrom: 'no-reply@example.com',
        smsProvider: 'end-user-messaging',
        clients,
      }).SMS?.(outbound('SMS', { receipt: REF }));
      const input = smsVoice.commandCalls(SendTextMessageCommand)[0]?.args[0].input;
      expect(input).not.toHaveProperty('ConfigurationSetName');
      expect(input).not.toHaveProperty('Context');
    });

    it('propagates a provider error to the engine', async () => {
      smsVoice
        .on(SendTextMessageCommand)
        .rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));
      await expect(eumSms()?.(outbound('SMS'))).rejects.toThrow('denied');
    });
  });

  describe('smsSender by default', () => {
    it('still publishes through SNS, as the design card names it', async () => {
      await createAwsSenders({
        sesFrom: 'no-reply@example.com',
        voiceConfigurationSet: CONFIGURATION_SET,
        clients,
      }).SMS?.(outbound('SMS', { receipt: REF }));
      expect(sns).toHaveReceivedCommandTimes(PublishCommand, 1);
      expect(smsVoice).not.toHaveReceivedCommand(SendTextMessageCommand);
    });
  });
});
