import { describe, expect, it } from '@jest/globals';
import { APP_HASH, AUTOFILL_DOMAIN, withAutofill } from '../../shared/sms-autofill';
import { smsSegments } from '../../shared/sms-segments';

/**
 * The WICG parser of an origin-bound one-time code message ("Parsing", steps as written): the
 * last line, `@` host, one space, `#` code. Returns undefined for failure.
 */
const parseOriginBound = (message: string): { host: string; code: string } | undefined => {
  const line = message.replace(/\r\n?/g, '\n').split('\n').at(-1) ?? '';
  const match = /^@([^\t\n\f\r ]+) #([^\t\n\f\r ]+)/.exec(line);
  return match ? { host: match[1] as string, code: match[2] as string } : undefined;
};

describe('sms-autofill', () => {
  describe('withAutofill', () => {
    it('writes the app hash line, a blank line and the origin-bound line last, byte for byte', () => {
      const out = withAutofill('Your code is 493817.', '493817', {
        domain: 'example.com',
        appHash: 'FA+9qCX9VSu',
      });
      expect(Buffer.from(out)).toEqual(
        Buffer.from([
          ...Buffer.from('Your code is 493817.'),
          0x0a,
          ...Buffer.from('FA+9qCX9VSu'),
          0x0a,
          0x0a,
          0x40, // @
          ...Buffer.from('example.com'),
          0x20,
          0x23, // #
          ...Buffer.from('493817'),
        ]),
      );
      expect(parseOriginBound(out)).toEqual({ host: 'example.com', code: '493817' });
    });

    it('adds only what is configured and drops trailing whitespace before the lines', () => {
      expect(withAutofill('Code 1234.', '1234', {})).toBe('Code 1234.');
      expect(withAutofill('Code 1234. \n', '1234', {})).toBe('Code 1234. \n');
      expect(withAutofill('Code 1234. \n', '1234', { domain: 'a.example' })).toBe(
        'Code 1234.\n\n@a.example #1234',
      );
      expect(withAutofill('Code 1234.', '1234', { appHash: 'AAAAAAAAAAA' })).toBe('Code 1234.\nAAAAAAAAAAA');
      // Without the domain line there is nothing a WICG parser reads.
      expect(
        parseOriginBound(withAutofill('Code 1234.', '1234', { appHash: 'AAAAAAAAAAA' })),
      ).toBeUndefined();
    });
  });

  describe('AUTOFILL_DOMAIN and APP_HASH', () => {
    it('takes hosts only, lower case, at least two labels', () => {
      for (const ok of ['example.com', 'login.example.co.uk', 'xn--bcher-kva.example', 'a-b.c9.io'])
        expect(AUTOFILL_DOMAIN.test(ok)).toBe(true);
      for (const bad of [
        'https://example.com',
        'example.com:443',
        'Example.com',
        'localhost',
        'a b.com',
        '-a.com',
        'a.com/x',
        '',
      ])
        expect(AUTOFILL_DOMAIN.test(bad)).toBe(false);
    });

    it('takes exactly 11 characters of the base64 alphabet as an app hash', () => {
      for (const ok of ['FA+9qCX9VSu', 'AAAAAAAAAAA', 'z/z/z/z/z/z']) expect(APP_HASH.test(ok)).toBe(true);
      for (const bad of [
        'FA+9qCX9VS',
        'FA+9qCX9VSuu',
        'FA-9qCX9VSu',
        'FA_9qCX9VSu',
        'FA+9qCX9VS=',
        'FA+9qCX9VS\n',
      ])
        expect(APP_HASH.test(bad)).toBe(false);
    });
  });
});

describe('sms-segments', () => {
  describe('smsSegments', () => {
    it('counts GSM-7 at 160 per single segment and 153 per part beyond', () => {
      expect(smsSegments('a'.repeat(160))).toEqual({ encoding: 'GSM-7', segments: 1 });
      expect(smsSegments('a'.repeat(161))).toEqual({ encoding: 'GSM-7', segments: 2 });
      expect(smsSegments('a'.repeat(306))).toEqual({ encoding: 'GSM-7', segments: 2 });
      expect(smsSegments('a'.repeat(307))).toEqual({ encoding: 'GSM-7', segments: 3 });
      // The extension table (€ [ ] { } ^ ~ | \) takes two septets each.
      expect(smsSegments('€'.repeat(80))).toEqual({ encoding: 'GSM-7', segments: 1 });
      expect(smsSegments(`${'€'.repeat(80)}a`)).toEqual({ encoding: 'GSM-7', segments: 2 });
    });

    it('counts UCS-2 at 70 per single segment and 67 per part beyond, from one non-GSM character', () => {
      expect(smsSegments('ó'.repeat(70))).toEqual({ encoding: 'UCS-2', segments: 1 });
      expect(smsSegments(`${'a'.repeat(70)}ó`)).toEqual({ encoding: 'UCS-2', segments: 2 });
      expect(smsSegments('क'.repeat(134))).toEqual({ encoding: 'UCS-2', segments: 2 });
      expect(smsSegments('क'.repeat(135))).toEqual({ encoding: 'UCS-2', segments: 3 });
    });
  });
});
