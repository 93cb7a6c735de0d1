import type { Senders } from './types';

/** PLACEHOLDER — replaced by the channels work (SNS, SES, SMS-Voice v2, Social Messaging, Zalo). */
export const createAwsSenders = (_options: {
  sesFrom: string;
  sesEndpoint?: string | undefined;
}): Senders => ({});
