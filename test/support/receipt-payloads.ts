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
