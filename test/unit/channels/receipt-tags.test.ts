import { describe, expect, it } from '@jest/globals';
import { refFromTags } from '../../../shared/channels/receipt-tags';
import { sendEmailInput } from '../../../shared/channels/ses';
import { voiceMessageInput } from '../../../shared/channels/voice';
import { outbound } from './fixtures';

const receipt = { pk: 'T#acme#D#aGFzaA', sk: 'CH#ae:BRAND:session-1', id: 'abc_-123' };

describe('channels/receipt-tags', () => {
  describe('sendEmailInput', () => {
    it('names the configuration set and tags the message with its code reference (SES tag charset)', () => {
      const input = sendEmailInput(
        outbound('EMAIL', { to: 'a@example.com', receipt }),
        'no-reply@example.com',
        'receipts',
      );
      expect(input.ConfigurationSetName).toBe('receipts');
      for (const tag of input.Tags ?? []) expect(tag.Value).toMatch(/^[A-Za-z0-9_-]{1,256}$/);
      const tags = Object.fromEntries((input.Tags ?? []).map((t) => [t.Name, t.Value]));
      expect(refFromTags((n) => tags[n])).toEqual(receipt);
      expect(JSON.stringify(input.Tags)).not.toContain('493817');
    });

    it('sends an e-mail whose subject holds the code without the configuration set: SES would copy the code into every event (review L3)', () => {
      const message = outbound('EMAIL', { to: 'a@example.com', receipt });
      const input = sendEmailInput(
        { ...message, subject: `${message.code} is your code` },
        'no-reply@example.com',
        'receipts',
      );
      expect(input.Message?.Subject?.Data).toBe(`${message.code} is your code`);
      expect(input).not.toHaveProperty('ConfigurationSetName');
      expect(input).not.toHaveProperty('Tags');
      // The same message with the code in its body only keeps its events.
      expect(sendEmailInput(message, 'no-reply@example.com', 'receipts').ConfigurationSetName).toBe(
        'receipts',
      );
    });

    it('sends neither without a configuration set (the local SES emulator)', () => {
      const input = sendEmailInput(
        outbound('EMAIL', { to: 'a@example.com', receipt }),
        'no-reply@example.com',
      );
      expect(input).not.toHaveProperty('ConfigurationSetName');
      expect(input).not.toHaveProperty('Tags');
    });
  });

  describe('voiceMessageInput', () => {
    it('passes the configuration set and the reference as Context', () => {
      const input = voiceMessageInput(
        outbound('VOICE', { receipt }, { voice: { originationIdentity: '+12065550152' } }),
        'receipts',
      );
      expect(input.ConfigurationSetName).toBe('receipts');
      expect(refFromTags((n) => input.Context?.[n])).toEqual(receipt);
    });
  });
});
