import { VoiceId } from '@aws-sdk/client-pinpoint-sms-voice-v2';
import { describe, expect, it } from '@jest/globals';
import { demoTenant } from '../../local/demo-tenant';
import { tenantSchema, VOICE_IDS } from '../../shared/tenants';
import { testTenant } from '../support/harness';

const WHATSAPP_ID = 'phone-number-id-0123456789abcdef0123456789abcdef';

/** Whether a tenant with these channel settings parses. */
const accepts = (channels: Record<string, unknown>): boolean =>
  tenantSchema.safeParse({ tenantId: 't-1', name: 'Tenant', channels }).success;

/** Whether a tenant with this action template parses. */
const acceptsTemplate = (template: Record<string, unknown>): boolean =>
  tenantSchema.safeParse({ tenantId: 't-1', name: 'Tenant', templates: { login: template } }).success;

describe('tenants', () => {
  describe('tenantSchema', () => {
    it('parses the local demo tenant and the test tenant', () => {
      expect(() => demoTenant()).not.toThrow();
      expect(() => testTenant()).not.toThrow();
    });

    it.each([
      WHATSAPP_ID,
      'arn:aws:social-messaging:us-east-1:123456789012:phone-number-id/0123456789abcdef0123456789abcdef',
    ])('accepts the WhatsApp phoneNumberId %s', (phoneNumberId) => {
      expect(accepts({ whatsapp: { phoneNumberId } })).toBe(true);
    });

    it.each([
      '15550100000',
      '+15550100000',
      'local-whatsapp-phone-number-id',
      'phone-number-id-',
      'arn:aws:social-messaging:us-east-1:123456789012:waba/0123',
    ])('refuses the WhatsApp phoneNumberId %s, which AWS would refuse', (phoneNumberId) => {
      expect(accepts({ whatsapp: { phoneNumberId } })).toBe(false);
    });

    it("accepts every voiceId of the SDK's VoiceId enum and refuses others", () => {
      expect([...VOICE_IDS].sort()).toEqual(Object.values(VoiceId).sort());
      for (const voiceId of Object.values(VoiceId))
        expect(accepts({ voice: { originationIdentity: 'pool-1', voiceId } })).toBe(true);
      for (const voiceId of ['joanna', 'Joanna', 'NOBODY', ''])
        expect(accepts({ voice: { originationIdentity: 'pool-1', voiceId } })).toBe(false);
    });

    it.each(['ACME', 'ACME-OTP', 'Otp123', 'a1b', 'A1234567890'])(
      'accepts the SNS senderId %s',
      (senderId) => {
        expect(accepts({ sms: { senderId } })).toBe(true);
      },
    );

    it.each([
      'AB', // under 3
      'ACMEOTPSENDER', // over 11
      '12345', // no letter
      'ACME OTP', // space
      'ACME_OTP', // underscore
      'ÀCME', // not ASCII
    ])('refuses the SNS senderId %s, which SNS would refuse', (senderId) => {
      expect(accepts({ sms: { senderId } })).toBe(false);
    });

    it('takes an E.164 SMS origination number and refuses anything else', () => {
      expect(accepts({ sms: { originationNumber: '+18005550100' } })).toBe(true);
      for (const originationNumber of ['18005550100', '+0800555', '+1 800 555 0100', 'pool-123'])
        expect(accepts({ sms: { originationNumber } })).toBe(false);
    });

    it('takes WhatsApp language codes as Meta names them (en, en_US) and a Graph API version like v24.0', () => {
      const whatsapp = (extra: Record<string, unknown>) =>
        accepts({ whatsapp: { phoneNumberId: WHATSAPP_ID, ...extra } });
      for (const languageCode of ['en', 'en_US', 'pt_BR', 'fil'])
        expect(whatsapp({ languageCode })).toBe(true);
      for (const languageCode of ['en-US', 'EN', 'english', ''])
        expect(whatsapp({ languageCode })).toBe(false);
      expect(whatsapp({ metaApiVersion: 'v24.0' })).toBe(true);
      for (const metaApiVersion of ['24.0', 'v24', 'latest'])
        expect(whatsapp({ metaApiVersion })).toBe(false);
    });

    it('takes a Zalo template parameter name of letters, digits and underscores', () => {
      const zalo = (templateParameter: string) =>
        accepts({ zalo: { url: 'https://zns.example/send', accessToken: 't', templateParameter } });
      expect(zalo('ma_otp')).toBe(true);
      expect(zalo('otp code')).toBe(false);
    });

    it('refuses an e-mail sender with a non-ASCII local part or a domain not in punycode', () => {
      expect(accepts({ email: { from: 'otp@xn--bcher-kva.de' } })).toBe(true);
      expect(accepts({ email: { from: 'ñame@example.com' } })).toBe(false);
      expect(accepts({ email: { from: 'otp@bücher.de' } })).toBe(false);
    });

    it('sizes an SMS template in UTF-8 bytes against the 1,600 bytes of one SNS publish', () => {
      const code = ' {{ validation_code }}';
      expect(acceptsTemplate({ sms: `${'a'.repeat(1600 - code.length)}${code}` })).toBe(true);
      expect(acceptsTemplate({ sms: `${'a'.repeat(1601 - code.length)}${code}` })).toBe(false);
      // 600 Devanagari characters are 1,800 bytes: under a character limit, over SNS's.
      expect(acceptsTemplate({ sms: `${'क'.repeat(600)}${code}` })).toBe(false);
    });

    it('refuses a voice template over 3,000 characters', () => {
      const code = ' {{ validation_code }}';
      expect(acceptsTemplate({ voice: `${'a'.repeat(3000 - code.length)}${code}` })).toBe(true);
      expect(acceptsTemplate({ voice: `${'a'.repeat(3001 - code.length)}${code}` })).toBe(false);
    });
  });
});
