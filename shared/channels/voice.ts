import {
  PinpointSMSVoiceV2Client,
  SendVoiceMessageCommand,
  type SendVoiceMessageCommandInput,
  type VoiceId,
} from '@aws-sdk/client-pinpoint-sms-voice-v2';
import { CHANNEL_CLIENT_OPTIONS } from './client-options';
import { ChannelNotConfiguredError } from './errors';
import { receiptTags } from './receipt-tags';
import type { OutboundMessage, Sender } from './types';

/**
 * The SMS-Voice v2 `SendVoiceMessage` input. A call needs a voice-capable origination number
 * (or pool) the tenant owns; without one there is nothing to call from, so this throws.
 */
export const voiceMessageInput = (
  message: OutboundMessage,
  configurationSet?: string,
): SendVoiceMessageCommandInput => {
  const voice = message.settings.voice;
  if (!voice?.originationIdentity) {
    throw new ChannelNotConfiguredError(
      'Voice is not configured for this tenant: set channels.voice.originationIdentity',
    );
  }
  return {
    DestinationPhoneNumber: message.to,
    OriginationIdentity: voice.originationIdentity,
    MessageBody: message.text,
    MessageBodyTextType: 'TEXT',
    // The configuration set's event destination reports the call's outcome with this context.
    ...(configurationSet && {
      ConfigurationSetName: configurationSet,
      ...(message.receipt && { Context: receiptTags(message.receipt) }),
    }),
    // The service validates the name; the tenant schema keeps it a free string.
    ...(voice.voiceId ? { VoiceId: voice.voiceId as VoiceId } : {}),
  };
};

/** The SMS-Voice v2 client for the Lambda's region and role. */
export const createVoiceClient = (): PinpointSMSVoiceV2Client =>
  new PinpointSMSVoiceV2Client({ ...CHANNEL_CLIENT_OPTIONS });

/** Voice calls through AWS End User Messaging SMS and voice v2; SDK errors propagate. */
export const createVoiceSender =
  (client: () => PinpointSMSVoiceV2Client, configurationSet?: string): Sender =>
  async (message) => {
    // Built first so an unconfigured tenant fails before the client is touched.
    const input = voiceMessageInput(message, configurationSet);
    await client().send(new SendVoiceMessageCommand(input));
  };
