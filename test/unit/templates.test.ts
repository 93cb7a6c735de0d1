import { describe, expect, it } from '@jest/globals';
import { InvalidInputError } from '../../shared/errors';
import { withAutofill } from '../../shared/sms-autofill';
import { smsSegments } from '../../shared/sms-segments';
import {
  assertEmailTemplate,
  assertTemplate,
  BUILT_IN_LOCALES,
  BUILT_IN_TEMPLATES,
  localeCandidates,
  render,
  renderHtml,
  spellOut,
  withLocales,
} from '../../shared/templates';

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

  describe('BUILT_IN_LOCALES', () => {
    it('ships English, Hindi, Spanish, Portuguese, French, Vietnamese and Indonesian', () => {
      expect(Object.keys(BUILT_IN_LOCALES).sort()).toEqual(['en', 'es', 'fr', 'hi', 'id', 'pt', 'vi']);
      expect(BUILT_IN_LOCALES.en).toBe(BUILT_IN_TEMPLATES);
    });

    it.each(Object.entries(BUILT_IN_LOCALES))(
      '%s: one code in SMS and e-mail, two in voice, no SMS promised',
      (_, t) => {
        expect(() => assertTemplate(t.sms, 'sms')).not.toThrow();
        expect(() => assertTemplate(t.email.body, 'email')).not.toThrow();
        expect(t.voice.match(/\{\{\s*validation_code\s*\}\}/g)).toHaveLength(2);
        expect(`${t.email.subject} ${t.email.body}`).not.toMatch(
          /SMS|mobile|móvil|celular|portable|di động|ponsel|एसएमएस|मोबाइल/i,
        );
      },
    );

    it('keeps every built-in SMS one segment with both autofill lines for a domain of 20 characters', () => {
      const domain = `${'d'.repeat(16)}.com`;
      const sizes = Object.entries(BUILT_IN_LOCALES).map(([locale, t]) => {
        const text = withAutofill(render(t.sms, '999999'), '999999', { domain, appHash: 'FA+9qCX9VSu' });
        return [locale, smsSegments(text).segments];
      });
      expect(sizes).toEqual(Object.keys(BUILT_IN_LOCALES).map((l) => [l, 1]));
      // The bound is tight for Hindi: one more character of domain and it takes two.
      const hindi = withAutofill(render(BUILT_IN_LOCALES.hi.sms, '999999'), '999999', {
        domain: `d${domain}`,
        appHash: 'FA+9qCX9VSu',
      });
      expect(smsSegments(hindi)).toEqual({ encoding: 'UCS-2', segments: 2 });
    });
  });

  describe('localeCandidates', () => {
    it('lower-cases a tag and tries its language after it', () => {
      expect(localeCandidates('pt-BR')).toEqual(['pt-br', 'pt']);
      expect(localeCandidates('pt_BR')).toEqual(['pt-br', 'pt']);
      expect(localeCandidates(' HI ')).toEqual(['hi']);
      expect(localeCandidates('zh-Hant-TW')).toEqual(['zh-hant-tw', 'zh']);
    });

    it('yields nothing for no tag or a malformed one', () => {
      for (const bad of [undefined, '', '1234', 'en--us', '<script>', 'e'])
        expect(localeCandidates(bad)).toEqual([]);
    });
  });

  describe('withLocales', () => {
    it('adds the built-in translations for channels neither the request nor the tenant wrote', () => {
      const c = withLocales({ ...BUILT_IN_TEMPLATES }, undefined);
      expect(Object.keys(c.translations ?? {}).sort()).toEqual(['es', 'fr', 'hi', 'id', 'pt', 'vi']);
      expect(c.translations?.hi).toEqual(BUILT_IN_LOCALES.hi);
    });

    it("uses the tenant's locale text, keeps its untranslated text, and never translates a request's text", () => {
      const saved = {
        sms: 'Acme {{ validation_code }}',
        dltTemplateId: '1',
        locales: {
          hi: { sms: 'एक्मे {{ validation_code }}', dltTemplateId: '2' },
          th: { voice: 'รหัส {{ validation_code }}' },
        },
      };
      const c = withLocales({ ...BUILT_IN_TEMPLATES, sms: saved.sms }, saved);
      expect(c.dltTemplateId).toBe('1');
      expect(c.translations?.hi).toMatchObject({ sms: 'एक्मे {{ validation_code }}', dltTemplateId: '2' });
      expect(c.translations?.vi?.sms).toBeUndefined();
      expect(c.translations?.vi?.email).toEqual(BUILT_IN_LOCALES.vi.email);
      expect(c.translations?.th).toEqual({ voice: 'รหัส {{ validation_code }}' });

      const given = withLocales({ ...BUILT_IN_TEMPLATES }, saved, { sms: true, email: true });
      for (const t of Object.values(given.translations ?? {})) {
        expect(t.sms).toBeUndefined();
        expect(t.email).toBeUndefined();
      }
    });

    it("refuses a tenant's locale text without exactly one placeholder", () => {
      const saved = { locales: { fr: { sms: 'Pas de code' } } };
      expect(() => withLocales({ ...BUILT_IN_TEMPLATES }, saved)).toThrow(InvalidInputError);
    });
  });

  describe('assertEmailTemplate', () => {
    it('needs a text or an HTML part, each with exactly one placeholder', () => {
      expect(() =>
        assertEmailTemplate({ subject: 's', html: '<b>{{ validation_code }}</b>' }, 'e'),
      ).not.toThrow();
      expect(() => assertEmailTemplate({ subject: 's' }, 'e')).toThrow(InvalidInputError);
      expect(() =>
        assertEmailTemplate({ subject: 's', body: '{{ validation_code }}', html: '<b>no code</b>' }, 'e'),
      ).toThrow(/e HTML template/);
    });
  });

  describe('renderHtml', () => {
    it('escapes what it puts into the markup', () => {
      expect(renderHtml('<p>{{ validation_code }}</p>', '12<b>"&\'')).toBe(
        '<p>12&lt;b&gt;&quot;&amp;&#39;</p>',
      );
      // `$&` in a replacement string would repeat the match; the code is inserted literally.
      expect(renderHtml('<p>{{ validation_code }}</p>', '$&$1')).toBe('<p>$&amp;$1</p>');
    });
  });

  describe('spellOut', () => {
    it('spaces the symbols for text-to-speech', () => {
      expect(spellOut('409172')).toBe('4 0 9 1 7 2');
      expect(spellOut('A7')).toBe('A 7');
    });
  });
});
