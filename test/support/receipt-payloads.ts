/** Provider receipt payloads from AWS's documentation, shared by the receipt tests. */

/**
 * An AWS End User Messaging SMS configuration-set event, from "Example AWS End User Messaging SMS
 * event data" (https://docs.aws.amazon.com/sms-voice/latest/userguide/configuration-sets-event-format.html,
 * "SMS example log"), with our receipt tags as `context` (the example's is `{ "account": "bar" }`),
 * as the SNS event destination delivers it (the event JSON is the SNS message).
 */
export const smsVoiceEvent = (
  destinationPhoneNumber: string,
  eventType: string,
  messageStatus: string,
  context: Record<string, string>,
) => ({
  eventType,
  eventVersion: '1.0',
  eventTimestamp: 1686975103470,
  isFinal: true,
  originationPhoneNumber: '+12065550152',
  destinationPhoneNumber,
  isoCountryCode: 'US',
  mcc: '310',
  mnc: '800',
  messageId: '862a8790-60c0-4430-9b2b-658bdexample',
  messageRequestTimestamp: 1686975103170,
  messageEncoding: 'GSM',
  messageType: 'PROMOTIONAL',
  messageStatus,
  messageStatusDescription: 'Message has been accepted by phone carrier',
  context,
  totalMessageParts: 1,
  totalMessagePrice: 0.09582,
  totalCarrierFee: 0.0,
});
/** Events as an SNS subscription delivers them to Lambda (each event JSON is one record's message). */
export const viaSns = (...events: unknown[]) => ({
  Records: events.map((e) => ({
    EventSource: 'aws:sns',
    Sns: { Type: 'Notification', Message: JSON.stringify(e) },
  })),
});

/**
 * An `aws.social-messaging` EventBridge event, from "Monitoring with Amazon EventBridge" in the
 * AWS End User Messaging Social user guide
 * (https://docs.aws.amazon.com/social-messaging/latest/userguide/monitor-event-bridge.html, "Event
 * for a delivered WhatsApp message"), with `messageId` and `status` as the test needs.
 */
export const socialMessagingEvent = (detailType: string, messageId: string, status: string) => ({
  version: '0',
  id: '76a454c4-26df-6e2c-bc50-2137de2a0fe7',
  'detail-type': detailType,
  source: 'aws.social-messaging',
  account: '111122223333',
  time: '2025-10-03T04:34:24Z',
  region: 'ca-central-1',
  resources: [],
  detail: {
    wabaId: '1163793972139053',
    originationPhoneNumber: '15815555555',
    originationPhoneNumberId: '574086085794038',
    messageId,
    status,
    eventTimestamp: '1759466063',
  },
});

/**
 * A WABA event destination's SNS message: the AWS header from "Message and event format in AWS End
 * User Messaging Social" (https://docs.aws.amazon.com/social-messaging/latest/userguide/managing-event-destination-dlrs.html)
 * and, as `whatsAppWebhookEntry`, a status notification in Meta's webhook format (WhatsApp Cloud
 * API "Webhooks notification payload reference", `statuses`: id, status, timestamp, recipient_id).
 */
export const whatsAppSnsEvent = (awsMessageId: string, metaMessageId: string, status: string) => ({
  context: {
    MetaWabaIds: [
      {
        wabaId: '1234567890abcde',
        arn: 'arn:aws:social-messaging:us-east-1:123456789012:waba/fb2594b8a7974770b128a409e2example',
      },
    ],
    MetaPhoneNumberIds: [
      {
        metaPhoneNumberId: 'abcde1234567890',
        arn: 'arn:aws:social-messaging:us-east-1:123456789012:phone-number-id/976c72a700aac43eaf573ae050example',
      },
    ],
  },
  whatsAppWebhookEntry: JSON.stringify({
    id: '1234567890abcde',
    changes: [
      {
        value: {
          messaging_product: 'whatsapp',
          metadata: { display_phone_number: '15550783881', phone_number_id: 'abcde1234567890' },
          statuses: [{ id: metaMessageId, status, timestamp: '1736379043', recipient_id: '14255550156' }],
        },
        field: 'messages',
      },
    ],
  }),
  aws_account_id: '123456789012',
  message_timestamp: '2025-01-08T23:30:43.271279391Z',
  messageId: awsMessageId,
});
