import { InvalidInputError } from './errors';

/** The code placeholder of seed 004's templates, spaces inside the braces optional. */
const PLACEHOLDER = /\{\{\s*validation_code\s*\}\}/g;

/** Built-in texts, the last choice of seed 004's template hierarchy (the seed's wording). */
export const BUILT_IN_TEMPLATES = {
  sms: 'Hi user.Your otp for validation is {{ validation_code }}.',
  email: {
    subject: 'Validation Code',
    // Names no other channel: the built-in text goes out whatever channels a request has (the
    // seed's example body, which promises an SMS too, is a request's own template).
    body: 'Dear Customer, The validation code for your request is: {{ validation_code }}. Do not share it with anyone.',
  },
  voice:
    'Your validation code is {{ validation_code }}. I repeat, your validation code is {{ validation_code }}.',
} as const;

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

/** Replaces every placeholder with the code. */
export const render = (template: string, code: string): string => template.replace(PLACEHOLDER, code);

/** Spells a code out for text-to-speech: "4 0 9 1 7 2". */
export const spellOut = (code: string): string => code.split('').join(' ');
