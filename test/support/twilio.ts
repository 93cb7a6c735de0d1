import { TWILIO_DEMO } from '../../local/demo/twilio-verify';

/** The demo tenant's Twilio credentials as an HTTP Basic header (account SID + auth token). */
export const TWILIO_BASIC = `Basic ${Buffer.from(`${TWILIO_DEMO.accountSid}:${TWILIO_DEMO.authToken}`).toString('base64')}`;

/** The demo Service's base path. */
export const TWILIO_SERVICE_PATH = `/v2/Services/${TWILIO_DEMO.serviceSid}`;

/** A form body as Twilio's clients send it. */
export const twilioForm = (fields: Record<string, string>): string => new URLSearchParams(fields).toString();

/** Headers of a Twilio request with the demo credentials and a form body. */
export const TWILIO_HEADERS = {
  authorization: TWILIO_BASIC,
  'content-type': 'application/x-www-form-urlencoded',
} as const;
