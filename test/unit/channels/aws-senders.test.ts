import { PinpointSMSVoiceV2Client, SendVoiceMessageCommand } from '@aws-sdk/client-pinpoint-sms-voice-v2';
import { SESClient, SendEmailCommand } from '@aws-sdk/client-ses';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { SendWhatsAppMessageCommand, SocialMessagingClient } from '@aws-sdk/client-socialmessaging';
import { describe, expect, it } from '@jest/globals';
import { mockClient } from 'aws-sdk-client-mock';
import { createAwsSenders } from '../../../shared/channels/aws';
import { META_API_VERSION } from '../../../shared/channels/whatsapp';
import type { ChannelSettings } from '../../../shared/tenants';
import { outbound } from './fixtures';

/** Real client instances (never sending: each is mocked) so the injection path is the one under test. */
const mockedClients = () => {
  const clients = {
    sns: new SNSClient({ region: 'us-east-1' }),
    ses: new SESClient({ region: 'us-east-1' }),
    voice: new PinpointSMSVoiceV2Client({ region: 'us-east-1' }),
    whatsapp: new SocialMessagingClient({ region: 'us-east-1' }),
  };
  return {
    clients,
    sns: mockClient(clients.sns),
    ses: mockClient(clients.ses),
    voice: mockClient(clients.voice),
    whatsapp: mockClient(clients.whatsapp),
  };
};

const decode = (bytes: Uint8Array | undefined): unknown => JSON.parse(new TextDecoder().decode(bytes));

describe('channels/aws', () => {
  describe('createAwsSenders', () => {
    it('wires a sender for every channel', () => {
      const senders = createAwsSenders({ sesFrom: 'no-reply@example.com' });
      expect(Object.keys(senders).sort()).toEqual(['EMAIL', 'SMS', 'VOICE', 'WHATSAPP', 'ZALO']);
    });
  });

  describe('SMS', () => {
    it('publishes a transactional SMS to the phone number', async () => {
      const m = mockedClients();
      m.sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
      const { SMS } = createAwsSenders({ sesFrom: 'no-reply@example.com', clients: m.clients });

      await SMS?.(outbound('SMS'));

      expect(m.sns).toHaveReceivedCommandTimes(PublishCommand, 1);
      expect(m.sns).toHaveReceivedCommandWith(PublishCommand, {
        PhoneNumber: '+919876543219',
        Message: 'Your code is 493817',
        MessageAttributes: {
          'AWS.SNS.SMS.SMSType': { DataType: 'String', StringValue: 'Transactional' },
        },
      });
      const input = m.sns.commandCalls(PublishCommand)[0]?.args[0].input;
      expect(input?.MessageAttributes).not.toHaveProperty(['AWS.SNS.SMS.SenderID']);
    });

    it("sends from the tenant's registered origination number (AWS.MM.SMS.OriginationNumber) when one is set", async () => {
      const m = mockedClients();
      m.sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
      const { SMS } = createAwsSenders({ sesFrom: 'no-reply@example.com', clients: m.clients });

      await SMS?.(outbound('SMS', { to: '+12025550143' }, { sms: { originationNumber: '+18005550100' } }));

      expect(m.sns).toHaveReceivedCommandWith(PublishCommand, {
        PhoneNumber: '+12025550143',
        MessageAttributes: {
          'AWS.SNS.SMS.SMSType': { DataType: 'String', StringValue: 'Transactional' },
          'AWS.MM.SMS.OriginationNumber': { DataType: 'String', StringValue: '+18005550100' },
        },
      });
    });

    it("adds the tenant's sender id when one is set", async () => {
      const m = mockedClients();
      m.sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
      const { SMS } = createAwsSenders({ sesFrom: 'no-reply@example.com', clients: m.clients });

      await SMS?.(outbound('SMS', {}, { sms: { senderId: 'ACMEOTP' } }));

      expect(m.sns).toHaveReceivedCommandWith(PublishCommand, {
        MessageAttributes: {
          'AWS.SNS.SMS.SMSType': { DataType: 'String', StringValue: 'Transactional' },
          'AWS.SNS.SMS.SenderID': { DataType: 'String', StringValue: 'ACMEOTP' },
        },
      });
    });

    it('rejects with the SDK error when SNS fails', async () => {
      const m = mockedClients();
      m.sns
        .on(PublishCommand)
        .rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottledException' }));
      const { SMS } = createAwsSenders({ sesFrom: 'no-reply@example.com', clients: m.clients });

      await expect(SMS?.(outbound('SMS'))).rejects.toMatchObject({
        name: 'ThrottledException',
        message: 'Rate exceeded',
      });
    });

    it('creates its own SNS client when none is injected, and only once', async () => {
      // Class-level mock: catches the client the sender builds for itself.
      const m = mockClient(SNSClient);
      m.on(PublishCommand).resolves({ MessageId: 'm-1' });
      const { SMS } = createAwsSenders({ sesFrom: 'no-reply@example.com' });

      await SMS?.(outbound('SMS'));
      await SMS?.(outbound('SMS', { to: '+6591234567' }));

      const calls = m.commandCalls(PublishCommand);
      expect(calls.map((c) => c.args[0].input.PhoneNumber)).toEqual(['+919876543219', '+6591234567']);
      expect(calls[0]?.thisValue).toBe(calls[1]?.thisValue);
      m.restore();
    });
  });

  describe('EMAIL', () => {
    it('sends a text e-mail from the service default address', async () => {
      const m = mockedClients();
      m.ses.on(SendEmailCommand).resolves({ MessageId: 'e-1' });
      const { EMAIL } = createAwsSenders({ sesFrom: 'no-reply@example.com', clients: m.clients });

      await EMAIL?.(outbound('EMAIL', { to: 'tom@example.org', subject: 'Your code' }));

      expect(m.ses).toHaveReceivedCommandWith(SendEmailCommand, {
        Source: 'no-reply@example.com',
        Destination: { ToAddresses: ['tom@example.org'] },
        Message: {
          Subject: { Data: 'Your code', Charset: 'UTF-8' },
          Body: { Text: { Data: 'Your code is 493817', Charset: 'UTF-8' } },
        },
      });
    });

    it("sends from the tenant's own address when it sets one", async () => {
      const m = mockedClients();
      m.ses.on(SendEmailCommand).resolves({ MessageId: 'e-1' });
      const { EMAIL } = createAwsSenders({ sesFrom: 'no-reply@example.com', clients: m.clients });

      await EMAIL?.(outbound('EMAIL', { to: 'tom@example.org' }, { email: { from: 'otp@acme.test' } }));

      expect(m.ses).toHaveReceivedCommandWith(SendEmailCommand, { Source: 'otp@acme.test' });
    });
    // The provider-side guard: SES builds the message headers from the subject and the address,
    // so a line break in either would add headers whatever the dialect let through.
    it.each([
      ['a subject with CR/LF', { subject: 'Your code\r\nBcc: x@evil.example' }],
      ['a subject with a lone LF', { subject: 'Your code\nBcc: x@evil.example' }],
      ['a subject with a lone CR', { subject: 'Your code\rBcc: x@evil.example' }],
      ['a recipient with CR/LF', { to: 'tom@example.org\r\nBcc: x@evil.example' }],
    ])('refuses %s with UnsafeMessageError and sends nothing', async (_, overrides) => {
      const m = mockedClients();
      m.ses.on(SendEmailCommand).resolves({ MessageId: 'e-1' });
      const { EMAIL } = createAwsSenders({ sesFrom: 'no-reply@example.com', clients: m.clients });

      await expect(EMAIL?.(outbound('EMAIL', { to: 'tom@example.org', ...overrides }))).rejects.toMatchObject(
        {
          name: 'UnsafeMessageError',
        },
      );
      expect(m.ses).toHaveReceivedCommandTimes(SendEmailCommand, 0);
    });
  });

  describe('VOICE', () => {
    it("calls from the tenant's origination identity with the text as the script", async () => {
      const m = mockedClients();
      m.voice.on(SendVoiceMessageCommand).resolves({ MessageId: 'v-1' });
      const { VOICE } = createAwsSenders({ sesFrom: 'no-reply@example.com', clients: m.clients });

      await VOICE?.(
        outbound(
          'VOICE',
          { text: 'Your code is 4, 9, 3, 8, 1, 7' },
          { voice: { originationIdentity: 'pool-123', voiceId: 'JOANNA' } },
        ),
      );

      expect(m.voice).toHaveReceivedCommandWith(SendVoiceMessageCommand, {
        DestinationPhoneNumber: '+919876543219',
        OriginationIdentity: 'pool-123',
        MessageBody: 'Your code is 4, 9, 3, 8, 1, 7',
        MessageBodyTextType: 'TEXT',
        VoiceId: 'JOANNA',
      });
    });

    it('leaves VoiceId to the service default when the tenant sets none', async () => {
      const m = mockedClients();
      m.voice.on(SendVoiceMessageCommand).resolves({ MessageId: 'v-1' });
      const { VOICE } = createAwsSenders({ sesFrom: 'no-reply@example.com', clients: m.clients });

      await VOICE?.(outbound('VOICE', {}, { voice: { originationIdentity: '+12065550100' } }));

      const input = m.voice.commandCalls(SendVoiceMessageCommand)[0]?.args[0].input;
      expect(input?.OriginationIdentity).toBe('+12065550100');
      expect(input).not.toHaveProperty('VoiceId');
    });

    it('throws ChannelNotConfiguredError and sends nothing when the tenant has no origination identity', async () => {
      const m = mockedClients();
      const { VOICE } = createAwsSenders({ sesFrom: 'no-reply@example.com', clients: m.clients });

      await expect(VOICE?.(outbound('VOICE'))).rejects.toMatchObject({
        name: 'ChannelNotConfiguredError',
        message: expect.stringContaining('originationIdentity'),
      });
      expect(m.voice).toHaveReceivedCommandTimes(SendVoiceMessageCommand, 0);
    });

    it('rejects with the SDK error when the call fails', async () => {
      const m = mockedClients();
      m.voice
        .on(SendVoiceMessageCommand)
        .rejects(Object.assign(new Error('no such pool'), { name: 'ResourceNotFoundException' }));
      const { VOICE } = createAwsSenders({ sesFrom: 'no-reply@example.com', clients: m.clients });

      await expect(
        VOICE?.(outbound('VOICE', {}, { voice: { originationIdentity: 'pool-404' } })),
      ).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    });
  });

  describe('WHATSAPP', () => {
    /** Sends template `otp_login` with these WhatsApp settings through a mocked client. */
    const sendWhatsApp = async (whatsapp: NonNullable<ChannelSettings['whatsapp']>) => {
      const m = mockedClients();
      m.whatsapp.on(SendWhatsAppMessageCommand).resolves({ messageId: 'w-1' });
      const { WHATSAPP } = createAwsSenders({ sesFrom: 'no-reply@example.com', clients: m.clients });
      await WHATSAPP?.(outbound('WHATSAPP', { templateName: 'otp_login' }, { whatsapp }));
      return m;
    };

    it('sends the authentication template with the code in the body and the button', async () => {
      const m = await sendWhatsApp({ phoneNumberId: 'phone-number-id-01', languageCode: 'en_US' });

      expect(m.whatsapp).toHaveReceivedCommandWith(SendWhatsAppMessageCommand, {
        originationPhoneNumberId: 'phone-number-id-01',
        metaApiVersion: META_API_VERSION,
      });
      // Not v20.0 (May 2024): Meta retires a Graph API version about two years after release.
      expect(META_API_VERSION).toBe('v24.0');
      const input = m.whatsapp.commandCalls(SendWhatsAppMessageCommand)[0]?.args[0].input;
      expect(input?.message).toBeInstanceOf(Uint8Array);
      expect(decode(input?.message)).toEqual({
        messaging_product: 'whatsapp',
        recipient_type: 'individual',
        to: '+919876543219',
        type: 'template',
        template: {
          name: 'otp_login',
          language: { code: 'en_US' },
          components: [
            { type: 'body', parameters: [{ type: 'text', text: '493817' }] },
            { type: 'button', sub_type: 'url', index: '0', parameters: [{ type: 'text', text: '493817' }] },
          ],
        },
      });
    });

    it("sends with the tenant's own Graph API version when it sets one", async () => {
      const m = await sendWhatsApp({
        phoneNumberId: 'phone-number-id-01',
        languageCode: 'pt_BR',
        metaApiVersion: 'v25.0',
      });

      expect(m.whatsapp).toHaveReceivedCommandWith(SendWhatsAppMessageCommand, { metaApiVersion: 'v25.0' });
      const input = m.whatsapp.commandCalls(SendWhatsAppMessageCommand)[0]?.args[0].input;
      expect(decode(input?.message)).toMatchObject({ template: { language: { code: 'pt_BR' } } });
    });

    it('throws ChannelNotConfiguredError when the tenant has no WhatsApp number', async () => {
      const m = mockedClients();
      const { WHATSAPP } = createAwsSenders({ sesFrom: 'no-reply@example.com', clients: m.clients });

      await expect(WHATSAPP?.(outbound('WHATSAPP', { templateName: 'otp_login' }))).rejects.toMatchObject({
        name: 'ChannelNotConfiguredError',
        message: expect.stringContaining('phoneNumberId'),
      });
      expect(m.whatsapp).toHaveReceivedCommandTimes(SendWhatsAppMessageCommand, 0);
    });

    it('throws ChannelNotConfiguredError when no template name is given', async () => {
      const m = mockedClients();
      const { WHATSAPP } = createAwsSenders({ sesFrom: 'no-reply@example.com', clients: m.clients });

      await expect(
        WHATSAPP?.(outbound('WHATSAPP', {}, { whatsapp: { phoneNumberId: 'p-1', languageCode: 'en' } })),
      ).rejects.toMatchObject({ name: 'ChannelNotConfiguredError' });
      expect(m.whatsapp).toHaveReceivedCommandTimes(SendWhatsAppMessageCommand, 0);
    });

    it('rejects with the SDK error when Social Messaging fails', async () => {
      const m = mockedClients();
      m.whatsapp
        .on(SendWhatsAppMessageCommand)
        .rejects(Object.assign(new Error('template not approved'), { name: 'ValidationException' }));
      const { WHATSAPP } = createAwsSenders({ sesFrom: 'no-reply@example.com', clients: m.clients });

      await expect(
        WHATSAPP?.(
          outbound(
            'WHATSAPP',
            { templateName: 'otp_login' },
            { whatsapp: { phoneNumberId: 'p-1', languageCode: 'en' } },
          ),
        ),
      ).rejects.toMatchObject({ name: 'ValidationException' });
    });
  });
});
