import { SegmentedMessage } from 'sms-segments-calculator';

/** How an SMS text travels: its encoding and the number of segments (each billed as one SMS). */
export interface SmsSegments {
  encoding: 'GSM-7' | 'UCS-2';
  segments: number;
}

/**
 * Segments of a text as the networks count them: GSM-7 (160 septets in one segment, 153 per part
 * beyond; `^{}[]~|€\` take two) when every character is in the GSM alphabet, else UCS-2 (70 UTF-16
 * units, 67 per part). SNS picks the encoding the same way. Twilio's calculator (a library, not a
 * hand-written table) does the counting; it is kept out of the Lambda bundles, which never need it.
 */
export const smsSegments = (text: string): SmsSegments => {
  const message = new SegmentedMessage(text, 'auto');
  return {
    encoding: message.encodingName === 'UCS-2' ? 'UCS-2' : 'GSM-7',
    segments: message.segmentsCount,
  };
};
