import { describe, expect, it } from '@jest/globals';
import { InvalidInputError } from '../../shared/errors';
import { assertTemplate, BUILT_IN_TEMPLATES, render, spellOut } from '../../shared/templates';

/** The error `fn` throws, for assertions on its fields. */
const thrown = (fn: () => void): unknown => {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
};

describe('templates', () => {
  describe('assertTemplate', () => {
    it('accepts exactly one placeholder, with or without spaces inside the braces', () => {
      expect(() => assertTemplate('Code {{ validation_code }}.', 'sms')).not.toThrow();
      expect(() => assertTemplate('Code {{validation_code}}.', 'sms')).not.toThrow();
      expect(() => assertTemplate('Code {{   validation_code  }}.', 'sms')).not.toThrow();
    });

    it('refuses no placeholder and two placeholders with InvalidInputError on the template field', () => {
      for (const [template, found] of [
        ['No code here', 0],
        ['{{ validation_code }} and {{validation_code}}', 2],
        ['{{ validation-code }}', 0],
      ] as const) {
        const error = thrown(() => assertTemplate(template, 'sms'));
        expect(error).toBeInstanceOf(InvalidInputError);
        expect(error).toMatchObject({ field: 'template' });
        expect((error as Error).message).toContain(`(found ${found})`);
        expect((error as Error).message).toContain('sms template');
      }
    });

    it('holds for the built-in SMS and e-mail texts; the voice script repeats the code on purpose', () => {
      expect(() => assertTemplate(BUILT_IN_TEMPLATES.sms, 'sms')).not.toThrow();
      expect(() => assertTemplate(BUILT_IN_TEMPLATES.email.body, 'email')).not.toThrow();
      // The built-in e-mail goes out whatever the other channels are: it promises no SMS.
      expect(BUILT_IN_TEMPLATES.email.body).not.toMatch(/SMS|mobile/i);
      expect(BUILT_IN_TEMPLATES.voice.match(/\{\{\s*validation_code\s*\}\}/g)).toHaveLength(2);
    });
  });

  describe('render', () => {
    it('fills every placeholder with the code', () => {
      expect(render(BUILT_IN_TEMPLATES.sms, '409172')).toBe('Hi user.Your otp for validation is 409172.');
      expect(render('{{validation_code}}-{{ validation_code }}', 'AB12')).toBe('AB12-AB12');
      expect(render(BUILT_IN_TEMPLATES.voice, '1 2')).not.toContain('validation_code');
    });

    it('leaves a text without a placeholder as it is', () => {
      expect(render('Hello', '409172')).toBe('Hello');
    });
  });

  describe('spellOut', () => {
    it('spaces the symbols for text-to-speech', () => {
      expect(spellOut('409172')).toBe('4 0 9 1 7 2');
      expect(spellOut('A7')).toBe('A 7');
    });
  });
});
