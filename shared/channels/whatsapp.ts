import { SendWhatsAppMessageCommand, SocialMessagingClient } from '@aws-sdk/client-socialmessaging';
import { CHANNEL_CLIENT_OPTIONS } from './client-options';
import { ChannelNotConfiguredError } from './errors';
import type { OutboundMessage, Sender } from './types';

/**
 * The Meta Graph API version AWS End User Messaging Social forwards the message with, unless the
 * tenant sets `channels.whatsapp.metaApiVersion`. Meta retires each version about two years after
 * its release (v20.0, May 2024, is past that); v24.0 is of October 2025.
 */
export const META_API_VERSION = 'v24.0';

/**
 * The Meta Cloud API message for an OTP template. Meta requires one-time passcodes to go out as
 * AUTHENTICATION templates, and those take the code twice: as the body's only parameter and as
 * the parameter of the copy-code/one-tap button (a `url` button at index 0).
 */
export const whatsAppTemplatePayload = (message: OutboundMessage, languageCode: string) => ({
  messaging_product: 'whatsapp',
  recipient_type: 'individual',
  to: message.to,
  type: 'template',
  template: {
    name: message.templateName,
    language: { code: languageCode },
    components: [
      { type: 'body', parameters: [{ type: 'text', text: message.code }] },
      { type: 'button', sub_type: 'url', index: '0', parameters: [{ type: 'text', text: message.code }] },
    ],
  },
});

/** The Social Messaging client for the Lambda's region and role. */
export const createWhatsAppClient = (): SocialMessagingClient =>
  new SocialMessagingClient({ ...CHANNEL_CLIENT_OPTIONS });

/**
 * Called with the id SendWhatsAppMessage returned when the tenant wants WhatsApp receipts; it
 * records which code the message carried (shared/store/whatsapp-messages.ts) and never throws.
 */
export type RememberWhatsAppMessage = (messageId: string, message: OutboundMessage) => Promise<void>;

/** WhatsApp through AWS End User Messaging Social `SendWhatsAppMessage`; SDK errors propagate. */
export const createWhatsAppSender =
  (client: () => SocialMessagingClient, remember?: RememberWhatsAppMessage): Sender =>
  async (message) => {
    const whatsapp = message.settings.whatsapp;
    if (!whatsapp?.phoneNumberId) {
      throw new ChannelNotConfiguredError(
        'WhatsApp is not configured for this tenant: set channels.whatsapp.phoneNumberId',
      );
    }
    // Seed 004 answers 607 before this; the check keeps a direct caller from sending a nameless template.
    if (!message.templateName) {
      throw new ChannelNotConfiguredError('WhatsApp needs an approved template name');
    }
    const payload = whatsAppTemplatePayload(message, whatsapp.languageCode ?? 'en');
    const sent = await client().send(
      new SendWhatsAppMessageCommand({
        originationPhoneNumberId: whatsapp.phoneNumberId,
        metaApiVersion: whatsapp.metaApiVersion ?? META_API_VERSION,
        message: new TextEncoder().encode(JSON.stringify(payload)),
      }),
    );
    if (whatsapp.receipts && remember && sent.messageId && message.receipt)
      await remember(sent.messageId, message);
  };
