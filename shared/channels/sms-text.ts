import {
  PinpointSMSVoiceV2Client,
  SendTextMessageCommand,
  type SendTextMessageCommandInput,
} from '@aws-sdk/client-pinpoint-sms-voice-v2';
import { CHANNEL_CLIENT_OPTIONS } from './client-options';
import { receiptTags } from './receipt-tags';
import type { OutboundMessage, Sender } from './types';

/**
 * The SMS-Voice v2 `SendTextMessage` input for one SMS: the stack's configuration set, whose
 * event destination reports the text's delivery, with the code's receipt reference as `Context`
 * (table key and id, never the code), which SMS-Voice v2 hands back in every event of the message.
 */
export const textMessageInput = (
  message: OutboundMessage,
  configurationSet?: string,
): SendTextMessageCommandInput => {
  const sms = message.settings.sms;
  // A pool, phone number id or ARN first, then the registered number, then the sender id;
  // none: End User Messaging picks an identity of the account (as SNS does).
  const origination = sms?.originationIdentity ?? sms?.originationNumber ?? sms?.senderId;
  return {
    DestinationPhoneNumber: message.to,
    MessageBody: message.text,
    // The higher-reliability route OTPs need (the same choice as SNS's `Transactional`).
    MessageType: 'TRANSACTIONAL',
    ...(origination ? { OriginationIdentity: origination } : {}),
    ...(configurationSet && {
      ConfigurationSetName: configurationSet,
      ...(message.receipt && { Context: receiptTags(message.receipt) }),
    }),
    // India (TRAI DLT): the registered entity and template; carriers drop SMS without them.
    ...(message.dlt && {
      DestinationCountryParameters: {
        IN_ENTITY_ID: message.dlt.entityId,
        IN_TEMPLATE_ID: message.dlt.templateId,
      },
    }),
  };
};

/** The SMS-Voice v2 client for the Lambda's region and role (the voice sender's client type). */
export const createTextClient = (): PinpointSMSVoiceV2Client =>
  new PinpointSMSVoiceV2Client({ ...CHANNEL_CLIENT_OPTIONS });

/** SMS through AWS End User Messaging SMS (`SendTextMessage`); SDK errors propagate to the engine. */
export const createTextSender =
  (client: () => PinpointSMSVoiceV2Client, configurationSet?: string): Sender =>
  async (message) => {
    await client().send(new SendTextMessageCommand(textMessageInput(message, configurationSet)));
  };
