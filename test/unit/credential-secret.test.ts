import { describe, expect, it } from '@jest/globals';
import {
  estimateSecretBits,
  generateSecret,
  MIN_SECRET_BITS,
  secretProblem,
} from '../../shared/credential-secret';
import { CREDENTIAL_KINDS } from '../../shared/tenants';

const KEY_KINDS = CREDENTIAL_KINDS.filter((k) => k !== 'summitai-form');

describe('credential-secret', () => {
  describe('estimateSecretBits', () => {
    it.each([
      ['1234', 4 * Math.log2(10)],
      ['9'.repeat(39), 39 * Math.log2(10)],
      ['deadbeef', 8 * 4],
      ['DEADBEEF', 8 * 4],
      ['password', 8 * Math.log2(26)],
      ['Password1', 9 * Math.log2(62)],
      ['Pass-word1', 10 * Math.log2(94)],
    ])('estimates %s as length × log2(alphabet)', (secret, bits) => {
      expect(estimateSecretBits(secret)).toBeCloseTo(bits, 6);
    });

    it('gives an empty secret 0 bits', () => {
      expect(estimateSecretBits('')).toBe(0);
    });
  });

  describe('secretProblem', () => {
    it.each(KEY_KINDS)('refuses `--secret 1234` for %s, naming the bits it has', (kind) => {
      expect(secretProblem(kind, '1234')).toMatch(/at least 128 bits \(this one has about 13\)/);
    });

    it.each([
      ['a dictionary word', 'password'],
      ['a short mixed secret', 'Tr0ub4dor&3'],
      ['31 hex digits (124 bits)', '0123456789abcdef0123456789abcde'],
      ['38 decimal digits (126 bits)', '01234567890123456789012345678901234567'],
    ])('refuses %s for a key', (_, secret) => {
      expect(secretProblem('loginradius-apikey', secret)).toMatch(/128 bits/);
    });

    it.each([
      ['one repeated character', 'a'.repeat(64)],
      ['a repeated pair', 'ab'.repeat(40)],
    ])('refuses %s however long', (_, secret) => {
      expect(secretProblem('v2-basic', secret)).toMatch(/8 different characters/);
    });

    it.each([
      ['a space', 'correct horse battery staple horse'],
      ['a non-ASCII character', 'pässwört-0123456789-ABCDEFGHIJ'],
      ['a newline', 'abcdefghij\nABCDEFGHIJ0123456789'],
    ])('refuses a key with %s', (_, secret) => {
      expect(secretProblem('summitai-apikey', secret)).toMatch(/printable ASCII/);
    });

    it.each([
      ['32 hex digits (128 bits)', '3f9a1c07e4b25d86a0c9f1e7b3d24a58'],
      ['39 decimal digits', '012345678901234567890123456789012345678'],
      ['24 base64url characters', 'q3Vx_9TzKp0LmW2aR7cY-Hd8'],
      ['the demo client secret', 'demo-secret-local-only-0123456789'],
      ['a generated secret', generateSecret()],
    ])('accepts %s for every key kind', (_, secret) => {
      for (const kind of KEY_KINDS) expect(secretProblem(kind, secret)).toBeUndefined();
    });

    it('refuses a secret longer than authenticate would ever take', () => {
      expect(secretProblem('v2-basic', generateSecret().repeat(24))).toMatch(/longer than 1024/);
      expect(secretProblem('summitai-form', 'x'.repeat(1025))).toMatch(/longer than 1024/);
    });

    it('asks a FORM password (scrypt) for 15 characters, not 128 bits', () => {
      expect(secretProblem('summitai-form', 'XXXX@123')).toMatch(/at least 15 characters/);
      expect(secretProblem('summitai-form', 'fourteen chars')).toMatch(/at least 15 characters/);
      expect(secretProblem('summitai-form', 'fifteen chars!!')).toBeUndefined();
      // Code points, not UTF-16 units or bytes: 15 characters with umlauts pass, 14 do not.
      expect(secretProblem('summitai-form', 'Fünfzehn Zeich')).toMatch(/at least 15 characters/);
      expect(secretProblem('summitai-form', 'Fünfzehn Zeiche')).toBeUndefined();
      expect(secretProblem('summitai-form', '🔑'.repeat(15))).toBeUndefined();
    });
  });

  describe('generateSecret', () => {
    it('returns 43 base64url characters that pass the rule for every kind', () => {
      for (let i = 0; i < 200; i++) {
        const secret = generateSecret();
        expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
        expect(estimateSecretBits(secret)).toBeGreaterThanOrEqual(MIN_SECRET_BITS);
        for (const kind of CREDENTIAL_KINDS) expect(secretProblem(kind, secret)).toBeUndefined();
      }
    });
  });
});
