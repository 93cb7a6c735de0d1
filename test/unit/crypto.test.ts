import { describe, expect, it } from '@jest/globals';
import {
  generateCode,
  hmac,
  normalizeCode,
  open,
  openCode,
  randomId,
  safeEqual,
  seal,
  sealCode,
  sha256,
} from '../../shared/crypto';

const PEPPER = Buffer.from('unit-pepper-0123456789abcdef-0123456789');

describe('crypto', () => {
  describe('generateCode', () => {
    it('returns numeric codes of the requested length', () => {
      for (let length = 4; length <= 10; length++) {
        expect(generateCode(length)).toMatch(new RegExp(`^\\d{${length}}$`));
      }
    });

    it('emits every digit 0-9 at every position, about equally, over 2000 draws', () => {
      const perPosition = Array.from({ length: 6 }, () => new Array<number>(10).fill(0));
      const total = new Array<number>(10).fill(0);
      for (let i = 0; i < 2000; i++) {
        const code = generateCode(6);
        for (let p = 0; p < 6; p++) {
          const digit = Number(code[p]);
          (perPosition[p] as number[])[digit] = ((perPosition[p] as number[])[digit] ?? 0) + 1;
          total[digit] = (total[digit] ?? 0) + 1;
        }
      }
      // A position misses a digit with odds 0.9^2000; an off-by-one bound (randomInt(0, 9)) never emits 9.
      for (const counts of perPosition) for (const c of counts) expect(c).toBeGreaterThan(0);
      // 12 000 digits: 1 200 expected each, standard deviation about 33; ±200 is six deviations.
      for (const c of total) {
        expect(c).toBeGreaterThan(1000);
        expect(c).toBeLessThan(1400);
      }
    });

    it('draws alphanumeric codes from the unambiguous alphabet only, using all of it', () => {
      const alphabet = '23456789ABCDEFGHJKMNPQRSTUVWXYZ';
      const seen = new Set<string>();
      for (let i = 0; i < 1000; i++) {
        const code = generateCode(8, 'alphanumeric');
        expect(code).toMatch(/^[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{8}$/);
        for (const c of code) seen.add(c);
      }
      expect([...seen].sort().join('')).toBe([...alphabet].sort().join(''));
    });

    it('rarely repeats a code (1000 draws of 10^6)', () => {
      const codes = new Set(Array.from({ length: 1000 }, () => generateCode(6)));
      // Expected collisions about 0.5; more than 5 would mean a weak generator.
      expect(codes.size).toBeGreaterThan(995);
    });
  });

  describe('normalizeCode', () => {
    it('drops whitespace and upper-cases what the user typed', () => {
      expect(normalizeCode(' ab 3k\t9 ')).toBe('AB3K9');
      expect(normalizeCode('123 456')).toBe('123456');
    });
  });

  describe('hmac', () => {
    it('is deterministic, keyed, and separates its parts', () => {
      expect(hmac(PEPPER, 'a', 'b')).toBe(hmac(PEPPER, 'a', 'b'));
      expect(hmac(PEPPER, 'a', 'b')).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(hmac(PEPPER, 'a', 'b')).not.toBe(hmac(Buffer.from('other pepper'), 'a', 'b'));
      // Without a separator ('ab','c') and ('a','bc') would hash alike.
      expect(hmac(PEPPER, 'ab', 'c')).not.toBe(hmac(PEPPER, 'a', 'bc'));
    });
  });

  describe('sha256', () => {
    it('matches the SHA-256 test vector of "abc" in base64url', () => {
      expect(sha256('abc')).toBe('ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0');
    });
  });

  describe('safeEqual', () => {
    it('compares strings of any length', () => {
      expect(safeEqual('secret', 'secret')).toBe(true);
      expect(safeEqual('secret', 'secreT')).toBe(false);
      expect(safeEqual('secret', 'secret-longer')).toBe(false);
      expect(safeEqual('', '')).toBe(true);
    });
  });

  describe('randomId', () => {
    it('returns 144-bit base64url ids that do not repeat', () => {
      const ids = new Set(Array.from({ length: 1000 }, () => randomId()));
      expect(ids.size).toBe(1000);
      for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_-]{24}$/);
      expect(randomId(32)).toHaveLength(43);
    });
  });

  describe('sealCode / openCode', () => {
    const aad = 'T#t1#D#abc|CH#login|id-1';

    it('round-trips a code without showing it in the sealed text', () => {
      const sealed = sealCode(PEPPER, aad, '409172');
      expect(sealed).not.toContain('409172');
      expect(Buffer.from(sealed, 'base64url').toString('latin1')).not.toContain('409172');
      expect(openCode(PEPPER, aad, sealed)).toBe('409172');
    });

    it('uses a fresh IV each time', () => {
      expect(sealCode(PEPPER, aad, '409172')).not.toBe(sealCode(PEPPER, aad, '409172'));
    });

    it('refuses another challenge (AAD), another pepper, or a tampered text', () => {
      const sealed = sealCode(PEPPER, aad, '409172');
      expect(() => openCode(PEPPER, `${aad}x`, sealed)).toThrow();
      expect(() => openCode(Buffer.from('another pepper entirely'), aad, sealed)).toThrow();
      const raw = Buffer.from(sealed, 'base64url');
      raw[raw.length - 1] = (raw[raw.length - 1] ?? 0) ^ 1;
      expect(() => openCode(PEPPER, aad, raw.toString('base64url'))).toThrow();
    });
  });

  describe('seal / open', () => {
    it('keys each purpose apart: a value sealed for one does not open for the other under the same secret', () => {
      const sealed = seal(PEPPER, 'tenant-secret', 'aad', 'secret value');
      expect(open(PEPPER, 'tenant-secret', 'aad', sealed)).toBe('secret value');
      expect(() => open(PEPPER, 'code', 'aad', sealed)).toThrow();
      expect(() => openCode(PEPPER, 'aad', sealed)).toThrow();
    });
  });
});
