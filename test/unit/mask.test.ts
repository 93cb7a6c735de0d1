import { describe, expect, it } from '@jest/globals';
import { maskDestination, maskEmail, maskEmailStrict, maskPhone } from '../../shared/mask';

describe('mask', () => {
  describe('maskPhone', () => {
    it('keeps the + with the next 2 digits and the last 3 digits of an E.164 number', () => {
      expect(maskPhone('+919876543219')).toBe('+91*******219');
      // Two digits whatever the dialling code's length: +1 numbers show one area-code digit.
      expect(maskPhone('+14155552671')).toBe('+14******671');
    });

    it('ignores spaces and dashes and keeps only the last 3 digits of a national number', () => {
      expect(maskPhone('+91 98765-43219')).toBe('+91*******219');
      expect(maskPhone('9876543219')).toBe('*******219');
    });

    it('hides short input completely', () => {
      expect(maskPhone('12345')).toBe('*****');
      expect(maskPhone('')).toBe('');
    });

    it('never shows more than 5 digits of the number', () => {
      for (const phone of ['+919876543219', '+447911123456', '+84912345678', '0912345678']) {
        const digits = maskPhone(phone).replace(/\D/g, '');
        expect(digits.length).toBeLessThanOrEqual(5);
        expect(maskPhone(phone)).toHaveLength(phone.length);
      }
    });
  });

  describe('maskEmail', () => {
    it('keeps two letters of the local part and the domain', () => {
      expect(maskEmail('tomsawyer@gmail.com')).toBe('to***@gmail.com');
      expect(maskEmail('t@gmail.com')).toBe('t***@gmail.com');
    });

    it('hides what is not an address', () => {
      expect(maskEmail('@gmail.com')).toBe('***');
      expect(maskEmail('no-at-sign')).toBe('***');
    });

    it('uses the last @ so a quoted local part cannot push the domain out', () => {
      expect(maskEmail('"a@b"@example.com')).toBe('"a***@example.com');
    });
  });

  describe('maskEmailStrict', () => {
    it('hides the host too, keeping the top-level domain (SummitAI style)', () => {
      expect(maskEmailStrict('tomsawyer@symphony.com')).toBe('to***@sy***.com');
      expect(maskEmailStrict('ab@mail.example.co')).toBe('ab***@ma***.co');
      expect(maskEmailStrict('ab@localhost')).toBe('ab***@lo***');
      expect(maskEmailStrict('nope')).toBe('***');
    });
  });

  describe('maskDestination', () => {
    it('masks e-mails as e-mails and everything else as phones', () => {
      expect(maskDestination('tomsawyer@gmail.com')).toBe('to***@gmail.com');
      expect(maskDestination('+919876543219')).toBe('+91*******219');
    });
  });
});
