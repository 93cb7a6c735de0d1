import { describe, expect, it } from '@jest/globals';
import { normalizeEmail } from '../../shared/phone';

describe('phone', () => {
  describe('normalizeEmail', () => {
    it('lower-cases and trims an address', () => {
      expect(normalizeEmail('  Tom.Sawyer@Example.ORG ')).toBe('tom.sawyer@example.org');
    });

    // SES takes 7-bit addresses only: a non-ASCII local part cannot be sent, an IDN domain goes
    // in punycode.
    it('refuses a non-ASCII local part and writes an internationalised domain in punycode', () => {
      expect(normalizeEmail('ñame@example.com')).toBeUndefined();
      expect(normalizeEmail('用户@example.com')).toBeUndefined();
      expect(normalizeEmail('Otto@Bücher.de')).toBe('otto@xn--bcher-kva.de');
      expect(normalizeEmail('otto@xn--bcher-kva.de')).toBe('otto@xn--bcher-kva.de');
    });

    // Defence in depth behind the dialect schemas: an address is used as an e-mail header.
    it.each([
      ['a NUL in the local part', 'tom\u0000@example.org'],
      ['an ESC in the local part', 'tom\u001b@example.org'],
      ['a unit separator in the domain', 'tom@exa\u001fmple.org'],
      ['a DEL', 'tom\u007f@example.org'],
      ['a C1 next-line (NEL)', 'tom\u0085@example.org'],
      ['a trailing CR/LF', 'tom@example.org\r\n'],
      ['CR/LF and a header', 'tom@example.org\r\nBcc: x@evil.example'],
    ])('refuses an address with %s', (_, raw) => {
      expect(normalizeEmail(raw)).toBeUndefined();
    });
  });
});
