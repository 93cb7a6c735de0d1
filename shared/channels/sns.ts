import { PublishCommand, type PublishCommandInput, SNSClient } from '@aws-sdk/client-sns';
import { CHANNEL_CLIENT_OPTIONS } from './client-options';
import type { OutboundMessage, Sender } from './types';

/**
 * The SNS `Publish` input for one SMS. `Transactional` buys the higher-reliability route that
 * OTPs need (SNS otherwise defaults to `Promotional`, which may be dropped or delayed).
 */
export const smsPublishInput = (message: OutboundMessage): PublishCommandInput => {
  const senderId = message.settings.sms?.senderId;
  const originationNumber = message.settings.sms?.originationNumber;
  return {
    PhoneNumber: message.to,
    Message: message.text,
    MessageAttributes: {
      'AWS.SNS.SMS.SMSType': { DataType: 'String', StringValue: 'Transactional' },
      // Only where the tenant registered one: several countries reject unregistered sender ids.
      ...(senderId ? { 'AWS.SNS.SMS.SenderID': { DataType: 'String', StringValue: senderId } } : {}),
      // India (TRAI DLT): the registered entity and text template; carriers drop SMS without them.
      ...(message.dlt && {
        'AWS.MM.SMS.EntityId': { DataType: 'String', StringValue: message.dlt.entityId },
        'AWS.MM.SMS.TemplateId': { DataType: 'String', StringValue: message.dlt.templateId },
      }),
      // The tenant's registered number; US and Canadian carriers refuse SMS from unregistered ones.
      ...(originationNumber
        ? { 'AWS.MM.SMS.OriginationNumber': { DataType: 'String', StringValue: originationNumber } }
        : {}),
    },
  };
};

/** The SNS client for the Lambda's region and role. */
export const createSnsClient = (): SNSClient => new SNSClient({ ...CHANNEL_CLIENT_OPTIONS });

/** SMS through SNS direct-to-phone publishing; SDK errors propagate to the engine. */
export const createSmsSender =
  (client: () => SNSClient): Sender =>
  async (message) => {
    await client().send(new PublishCommand(smsPublishInput(message)));
  };
