import type { PinpointSMSVoiceV2Client } from '@aws-sdk/client-pinpoint-sms-voice-v2';
import type { SESClient } from '@aws-sdk/client-ses';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { SocialMessagingClient } from '@aws-sdk/client-socialmessaging';
// Loaded eagerly (it is a few constants, no SDK): the lazily imported channel modules all share
// it, and Jest's ESM loader fails concurrent dynamic imports whose shared dependency is still
// being linked ("request for '../timeouts' is not in cache").
import './client-options';
import type { Sender, Senders } from './types';
import type { RememberWhatsAppMessage } from './whatsapp';
import { createZaloSender } from './zalo';

/** Clients a test injects instead of the real ones (e.g. instances under aws-sdk-client-mock). */
export interface AwsChannelClients {
  sns?: SNSClient;
  ses?: SESClient;
  voice?: PinpointSMSVoiceV2Client;
  whatsapp?: SocialMessagingClient;
}

/** The SMS sender of a stack (README, "Events and receipts"). */
export type SmsProvider = 'sns' | 'end-user-messaging';

export interface AwsSendersOptions {
  /** Sender address when the tenant sets none; must be a verified SES identity in AWS. */
  sesFrom: string;
  /** Local SES emulator endpoint; unset in AWS. */
  sesEndpoint?: string | undefined;
  /** SES configuration set for delivery receipts (e-mails carry the receipt tags with it). */
  sesConfigurationSet?: string | undefined;
  /** SMS-Voice v2 configuration set for voice (and End User Messaging SMS) delivery receipts. */
  voiceConfigurationSet?: string | undefined;
  /**
   * Who sends SMS: SNS `Publish` (the default, as the design card names it) or End User Messaging
   * `SendTextMessage` with the configuration set above, whose events are delivery receipts.
   */
  smsProvider?: SmsProvider | undefined;
  /** Records a WhatsApp message id for its receipt (tenants with `channels.whatsapp.receipts`). */
  rememberWhatsAppMessage?: RememberWhatsAppMessage | undefined;
  clients?: AwsChannelClients;
}

/** Runs `make` on first call only and returns the same value afterwards. */
const once = <T>(make: () => T): (() => T) => {
  let made: { value: T } | undefined;
  return () => {
    made ??= { value: make() };
    return made.value;
  };
};

/**
 * A sender whose module (and so its SDK package) is imported on the first message of its
 * channel. Most containers only ever use one or two channels, and a verify-only container none,
 * so the others' SDKs stay out of the cold start. A failed import is retried on the next call.
 */
const deferred = (load: () => Promise<Sender>): Sender => {
  let pending: Promise<Sender> | undefined;
  return async (message) => {
    pending ??= load().catch((error: unknown) => {
      pending = undefined;
      throw error;
    });
    return (await pending)(message);
  };
};

/** Builds one channel's production sender from the shared options. */
export type ChannelFactory = (options: AwsSendersOptions) => Sender;

// One export per channel, so a Lambda that imports only the channels it uses leaves the other
// channels' SDKs out of its bundle (esbuild drops unused exports with their dynamic imports).

/**
 * SMS by SNS direct-to-phone publishing, or by End User Messaging `SendTextMessage` when the
 * stack chooses it (`smsProvider`), which is what makes SMS delivery receipts possible.
 */
export const smsSender: ChannelFactory = (options) =>
  options.smsProvider === 'end-user-messaging'
    ? deferred(async () => {
        const { createTextSender, createTextClient } = await import('./sms-text');
        return createTextSender(
          once(() => options.clients?.voice ?? createTextClient()),
          options.voiceConfigurationSet,
        );
      })
    : deferred(async () => {
        const { createSmsSender, createSnsClient } = await import('./sns');
        return createSmsSender(once(() => options.clients?.sns ?? createSnsClient()));
      });

/** E-mail by SES (the local SES emulator when `sesEndpoint` is set). */
export const emailSender: ChannelFactory = (options) =>
  deferred(async () => {
    const { createEmailSender, createSesClient } = await import('./ses');
    return createEmailSender(
      once(() => options.clients?.ses ?? createSesClient(options.sesEndpoint)),
      options.sesFrom,
      options.sesConfigurationSet,
    );
  });

/** Voice calls by SMS-Voice v2 `SendVoiceMessage`. */
export const voiceSender: ChannelFactory = (options) =>
  deferred(async () => {
    const { createVoiceSender, createVoiceClient } = await import('./voice');
    return createVoiceSender(
      once(() => options.clients?.voice ?? createVoiceClient()),
      options.voiceConfigurationSet,
    );
  });

/** WhatsApp templates by AWS End User Messaging Social. */
export const whatsappSender: ChannelFactory = (options) =>
  deferred(async () => {
    const { createWhatsAppSender, createWhatsAppClient } = await import('./whatsapp');
    return createWhatsAppSender(
      once(() => options.clients?.whatsapp ?? createWhatsAppClient()),
      options.rememberWhatsAppMessage,
    );
  });

/** Zalo through the tenant's HTTPS provider (plain fetch: no SDK to defer). */
export const zaloSender: ChannelFactory = () => createZaloSender();

/**
 * Every production channel: SMS by SNS, e-mail by SES, voice by SMS-Voice v2, WhatsApp by
 * Social Messaging, Zalo by the tenant's HTTPS provider. Each client is created once, on the
 * first message of its channel; a sender throws when its provider fails.
 */
export const createAwsSenders = (options: AwsSendersOptions): Senders => ({
  SMS: smsSender(options),
  EMAIL: emailSender(options),
  VOICE: voiceSender(options),
  WHATSAPP: whatsappSender(options),
  ZALO: zaloSender(options),
});
