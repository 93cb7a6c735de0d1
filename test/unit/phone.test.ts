import { describe, expect, it } from '@jest/globals';
import { normalizeEmail } from '../../shared/phone';

describe('phone', () => {
  describe('normalizeEmail', () => {
    it('lower-cases and trims an address', () => {
      expect(normalizeEmail('  Tom.Sawyer@Example.ORG ')).toBe('tom.sawyer@example.org');
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
