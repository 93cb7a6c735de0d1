import { describe, expect, it } from '@jest/globals';
import { type Receipt, receiptEvent } from '../../shared/engine/receipts';

/**
 * The event a delivery receipt becomes (shared/engine/receipts.ts): whose code it was (from the
 * challenge key), where it went (the country of an SMS number, never of an e-mail or of a masked
 * WhatsApp recipient without one), and the recipient masked.
 */

const receipt = (extra: Partial<Receipt> = {}): Receipt => ({
  ref: { pk: 'T#acme#D#abcdef', sk: 'CH#v2:REGISTRATION', id: 'c-1' },
  channel: 'SMS',
  outcome: 'delivered',
  provider: 'sms-voice-v2',
  providerStatus: 'DELIVERED',
  at: Date.parse('2026-12-05T12:00:00Z'),
  destination: '+919812345670',
  ...extra,
});

describe('engine › receipt events', () => {
  it("names the code's tenant and purpose, the SMS number's country, and the recipient masked", () => {
    const event = receiptEvent(receipt());
    expect(event).toMatchObject({
      type: 'otp.delivered',
      tenantId: 'acme',
      verificationId: 'c-1',
      channel: 'SMS',
      country: 'IN',
      provider: 'sms-voice-v2',
      providerStatus: 'DELIVERED',
    });
    expect(JSON.stringify(event)).not.toContain('9812345670');
  });

  it('gives an e-mail no country, and a masked recipient only the country it came with', () => {
    expect(receiptEvent(receipt({ channel: 'EMAIL', destination: 'ana@example.in' }))).not.toHaveProperty(
      'country',
    );
    const masked = receipt({ channel: 'WHATSAPP', masked: { recipient: '+91*******670' } });
    expect(receiptEvent(masked)).not.toHaveProperty('country');
    expect(receiptEvent(masked)).toMatchObject({ recipient: '+91*******670' });
    expect(receiptEvent({ ...masked, masked: { recipient: '+91*******670', country: 'IN' } })).toMatchObject({
      country: 'IN',
    });
  });

  it('tells a failed delivery at the receipt stage with the provider’s word as the reason', () => {
    expect(receiptEvent(receipt({ outcome: 'failed', providerStatus: 'UNREACHABLE' }))).toMatchObject({
      type: 'otp.delivery_failed',
      stage: 'receipt',
      reason: 'UNREACHABLE',
    });
  });
});
