import escapeHtml from 'escape-html';
import { InvalidInputError } from './errors';

/** The code placeholder of seed 004's templates, spaces inside the braces optional. */
const PLACEHOLDER = /\{\{\s*validation_code\s*\}\}/g;

/** An e-mail template: a text body, an HTML body, or both (multipart; the text part is derived when only HTML is given). */
export interface EmailTemplate {
  subject: string;
  body?: string | undefined;
  html?: string | undefined;
}

/** The default texts of one locale. */
export interface LocaleTexts {
  sms: string;
  email: { subject: string; body: string };
  voice: string;
}

/**
 * Built-in texts per locale, the last choice of seed 004's template hierarchy. English is the
 * seed's wording; the others say the same thing the way a bank or shop in that language would,
 * in the formal register of the English e-mail. `pt` is Brazilian Portuguese (the largest
 * audience; readers in Portugal read it without trouble). The SMS texts in UCS-2 scripts (Hindi,
 * Vietnamese, and Spanish and Portuguese for `ó`, `é` outside GSM-7) are kept short: one segment
 * is 70 characters there, and with both autofill lines and a 6-digit code each stays one segment
 * for a domain of up to 20 characters (test/unit/templates.test.ts). The e-mail and voice texts
 * say it in full.
 * No e-mail names another channel: the built-in text goes out whatever channels a request has
 * (the seed's example body, which promises an SMS too, is a request's own template).
 */
export const BUILT_IN_LOCALES = {
  en: {
    sms: 'Hi user.Your otp for validation is {{ validation_code }}.',
    email: {
      subject: 'Validation Code',
      body: 'Dear Customer, The validation code for your request is: {{ validation_code }}. Do not share it with anyone.',
    },
    voice:
      'Your validation code is {{ validation_code }}. I repeat, your validation code is {{ validation_code }}.',
  },
  hi: {
    sms: 'आपका सत्यापन कोड {{ validation_code }} है।',
    email: {
      subject: 'सत्यापन कोड',
      body: 'प्रिय ग्राहक, आपके अनुरोध का सत्यापन कोड {{ validation_code }} है। इसे किसी के साथ साझा न करें।',
    },
    voice: 'आपका सत्यापन कोड है {{ validation_code }}। एक बार फिर, आपका सत्यापन कोड है {{ validation_code }}।',
  },
  es: {
    sms: 'Su código es {{ validation_code }}.',
    email: {
      subject: 'Código de verificación',
      body: 'Estimado cliente: el código de verificación de su solicitud es {{ validation_code }}. No lo comparta con nadie.',
    },
    voice:
      'Su código de verificación es {{ validation_code }}. Repito, su código de verificación es {{ validation_code }}.',
  },
  pt: {
    sms: 'Seu código é {{ validation_code }}.',
    email: {
      subject: 'Código de verificação',
      body: 'Prezado cliente, o código de verificação da sua solicitação é {{ validation_code }}. Não o compartilhe com ninguém.',
    },
    voice:
      'Seu código de verificação é {{ validation_code }}. Repetindo, seu código de verificação é {{ validation_code }}.',
  },
  fr: {
    sms: 'Votre code de vérification est {{ validation_code }}.',
    email: {
      subject: 'Code de vérification',
      body: 'Bonjour, le code de vérification de votre demande est {{ validation_code }}. Ne le communiquez à personne.',
    },
    voice:
      'Votre code de vérification est {{ validation_code }}. Je répète, votre code de vérification est {{ validation_code }}.',
  },
  vi: {
    sms: 'Mã OTP của bạn là {{ validation_code }}.',
    email: {
      subject: 'Mã xác minh',
      body: 'Kính gửi Quý khách, mã xác minh cho yêu cầu của Quý khách là {{ validation_code }}. Vui lòng không chia sẻ mã này với bất kỳ ai.',
    },
    voice:
      'Mã xác minh của bạn là {{ validation_code }}. Xin nhắc lại, mã xác minh của bạn là {{ validation_code }}.',
  },
  id: {
    sms: 'Kode verifikasi Anda adalah {{ validation_code }}.',
    email: {
      subject: 'Kode verifikasi',
      body: 'Pelanggan yang terhormat, kode verifikasi untuk permintaan Anda adalah {{ validation_code }}. Jangan berikan kode ini kepada siapa pun.',
    },
    voice:
      'Kode verifikasi Anda adalah {{ validation_code }}. Sekali lagi, kode verifikasi Anda adalah {{ validation_code }}.',
  },
} as const satisfies Record<string, LocaleTexts>;

export type BuiltInLocale = keyof typeof BUILT_IN_LOCALES;

/** The English built-ins, the texts every dialect falls back to (seed 004's wording). */
export const BUILT_IN_TEMPLATES = BUILT_IN_LOCALES.en;

/** The locale of texts when neither the request nor the tenant chooses one. */
export const DEFAULT_LOCALE = 'en';

/** BCP 47 language tag as templates are keyed: `hi`, `pt-br`, `zh-hant` (lower case). */
export const LOCALE_PATTERN = /^[a-z]{2,3}(-[a-z0-9]{2,8})*$/;

/**
 * The keys to try for a requested locale, most specific first: `pt-BR` → `pt-br`, `pt`. A locale
 * that is no tag at all yields nothing (the next choice applies).
 */
export const localeCandidates = (locale: string | undefined): string[] => {
  const tag = locale?.trim().toLowerCase().replace(/_/g, '-');
  if (!tag || !LOCALE_PATTERN.test(tag)) return [];
  const primary = tag.split('-')[0] as string;
  return primary === tag ? [tag] : [tag, primary];
};

/**
 * Checks a template holds exactly one code placeholder (the seed warns that several would show
 * the code in all of them). Voice scripts may repeat the code and skip this check.
 */
export const assertTemplate = (template: string, what: string): void => {
  const count = template.match(PLACEHOLDER)?.length ?? 0;
  if (count !== 1) {
    throw new InvalidInputError(
      'template',
      `The ${what} template must contain exactly one {{ validation_code }} placeholder (found ${count})`,
    );
  }
};

/** Checks each part an e-mail template has (text body, HTML body) holds exactly one placeholder. */
export const assertEmailTemplate = (template: EmailTemplate, what: string): void => {
  if (template.body === undefined && template.html === undefined)
    throw new InvalidInputError('template', `The ${what} template needs a body or an html part`);
  if (template.body !== undefined) assertTemplate(template.body, what);
  if (template.html !== undefined) assertTemplate(template.html, `${what} HTML`);
};

/** Replaces every placeholder with the code. */
export const render = (template: string, code: string): string => template.replace(PLACEHOLDER, code);

/**
 * Fills an HTML template. The code is escaped like any text put into markup: codes are digits or
 * letters today, and escaping keeps that true for the markup whatever the code alphabet becomes.
 * The template itself is the tenant's or the caller's own markup and is sent as given; the local
 * inbox shows it in a sandboxed frame (local/inbox-page.ts).
 */
export const renderHtml = (template: string, code: string): string =>
  template.replace(PLACEHOLDER, () => escapeHtml(code));

/** Spells a code out for text-to-speech: "4 0 9 1 7 2". */
export const spellOut = (code: string): string => code.split('').join(' ');

/** The texts of one locale a tenant saved; a channel it leaves out falls back (see `withLocales`). */
export interface LocalizedTemplates {
  sms?: string | undefined;
  email?: EmailTemplate | undefined;
  voice?: string | undefined;
  /** India DLT template id of this locale's SMS text (each registered text has its own). */
  dltTemplateId?: string | undefined;
}

/** A tenant's templates for one key (action, SMS OTP type, …), as `tenant.templates` holds them. */
export interface SavedTemplates extends LocalizedTemplates {
  locales?: Record<string, LocalizedTemplates> | undefined;
}

/** What a dialect chose, with the texts per locale the engine picks from for each recipient. */
export interface Localized {
  translations?: Record<string, LocalizedTemplates>;
  dltTemplateId?: string;
}

const BUILT_IN_OTHER_LOCALES = (Object.keys(BUILT_IN_LOCALES) as BuiltInLocale[]).filter(
  (l) => l !== DEFAULT_LOCALE,
);

/**
 * Adds the texts per locale to a dialect's choice. Per channel and locale, most specific first:
 * a text the request gave (`given`) is used in every locale, as written; else the tenant's text
 * for that locale; else, when the tenant has no text of its own for the channel, the built-in
 * translation. A tenant's own text without a translation is kept as is in every locale: it may
 * carry a brand name, or be the exact text registered with India's DLT, which a generic built-in
 * must not replace. The dialect's own texts (`content`) are the English fallback.
 */
export const withLocales = <C extends object>(
  content: C,
  saved: SavedTemplates | undefined,
  given: { sms?: boolean; email?: boolean } = {},
): C & Localized => {
  const translations: Record<string, LocalizedTemplates> = {};
  const locales = new Set<string>([...BUILT_IN_OTHER_LOCALES, ...Object.keys(saved?.locales ?? {})]);
  for (const locale of locales) {
    const own = saved?.locales?.[locale];
    const builtIn: LocaleTexts | undefined = BUILT_IN_LOCALES[locale as BuiltInLocale];
    const sms = given.sms ? undefined : (own?.sms ?? (saved?.sms ? undefined : builtIn?.sms));
    const email = given.email ? undefined : (own?.email ?? (saved?.email ? undefined : builtIn?.email));
    const voice = own?.voice ?? (saved?.voice ? undefined : builtIn?.voice);
    if (own?.sms) assertTemplate(own.sms, `${locale} SMS`);
    if (own?.email) assertEmailTemplate(own.email, `${locale} e-mail`);
    const texts: LocalizedTemplates = {
      ...(sms !== undefined && { sms }),
      ...(email !== undefined && { email }),
      ...(voice !== undefined && { voice }),
      ...(own?.dltTemplateId !== undefined && { dltTemplateId: own.dltTemplateId }),
    };
    if (Object.keys(texts).length > 0) translations[locale] = texts;
  }
  return {
    ...content,
    translations,
    ...(saved?.dltTemplateId !== undefined && { dltTemplateId: saved.dltTemplateId }),
  };
};
