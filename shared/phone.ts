import { domainToASCII } from 'node:url';
import {
  type CountryCode,
  getCountries,
  getCountryCallingCode,
  type NumberType,
  parsePhoneNumberFromString,
} from 'libphonenumber-js/max';
import { hasControlCharacters } from './control-characters';

/**
 * A phone number parsed once, at the edge, and carried from there: the engine, the number policy
 * and the pumping counters read its fields and never parse it again.
 */
export interface Phone {
  /** `+919876543210`. */
  readonly e164: string;
  /**
   * ISO 3166 region the number belongs to (`US`, `JM`, `JE`), not its dialling code: `+1` is 25
   * regions and `+44` includes Jersey, Guernsey and the Isle of Man.
   */
  readonly region: string | undefined;
  /** libphonenumber's number type (`MOBILE`, `PREMIUM_RATE` …); undefined when its metadata does not say. */
  readonly type: NumberType | undefined;
  /** Dialling code without `+` (`91`). */
  readonly callingCode: string;
  /** The digits after the dialling code. */
  readonly nationalNumber: string;
}

let parses = 0;

/**
 * How many times libphonenumber has parsed a number in this process. Every parse goes through
 * `parse` below, so a test can hold the count per request (test/integration/phone-parses.test.ts):
 * a number is parsed once, where it enters, and carried as a `Phone` from there.
 */
export const phoneParses = (): number => parses;

/** The one call of libphonenumber's parser; a `Phone` when the number is valid. */
const parse = (
  text: string,
  options?: Parameters<typeof parsePhoneNumberFromString>[1],
): Phone | undefined => {
  parses++;
  return phoneOf(parsePhoneNumberFromString(text, options));
};

const phoneOf = (parsed: ReturnType<typeof parsePhoneNumberFromString>): Phone | undefined =>
  parsed?.isValid()
    ? {
        e164: parsed.number,
        region: parsed.country,
        type: parsed.getType(),
        callingCode: parsed.countryCallingCode,
        nationalNumber: parsed.nationalNumber,
      }
    : undefined;

/**
 * Parses a phone number, or undefined when it is not a valid one. Vendor APIs send numbers three
 * ways: `+919876543210`, `919876543210` (country code, no plus) and `9876543210` (national, the
 * tenant's default region). National is tried first, then the digits as an international number.
 */
export const parsePhone = (raw: string, defaultRegion: string): Phone | undefined => {
  const cleaned = raw.trim().replace(/[\s\-().]/g, '');
  if (!/^\+?\d{4,17}$/.test(cleaned)) return undefined;
  if (cleaned.startsWith('+')) return parse(cleaned);
  return parse(cleaned, defaultRegion.toUpperCase() as CountryCode) ?? parse(`+${cleaned}`);
};

/**
 * Parses `text` as libphonenumber does with these options (a default region, or a default
 * dialling code such as `91`); undefined when it is not a valid number. For dialects whose
 * country comes in a field of its own (app-otp's `countryCode`).
 */
export const parsePhoneWith = (
  text: string,
  options: { defaultCountry: CountryCode } | { defaultCallingCode: string },
): Phone | undefined => parse(text, options);

/** Parses an E.164 number (`+…`) as stored in a contact or a test; undefined when invalid. */
export const parseE164 = (e164: string): Phone | undefined =>
  e164.startsWith('+') ? parse(e164) : undefined;

/**
 * Lower-cased, trimmed e-mail address, or undefined when it is not one. An address becomes a
 * message header, so one with a control character anywhere (even a trailing CR/LF that trimming
 * would hide) is refused, whichever dialect passed it. SES sends to 7-bit addresses only: a
 * non-ASCII local part is refused (SES would fail the send), an internationalised domain is
 * written in punycode (`bücher.de` → `xn--bcher-kva.de`).
 */
export const normalizeEmail = (raw: string): string | undefined => {
  if (hasControlCharacters(raw)) return undefined;
  const trimmed = raw.trim().toLowerCase();
  const at = trimmed.lastIndexOf('@');
  const local = trimmed.slice(0, at);
  if (at < 0 || !/^[\x21-\x7e]+$/.test(local)) return undefined;
  const domain = domainToASCII(trimmed.slice(at + 1));
  const email = `${local}@${domain}`;
  return domain && /^[^\s@]{1,64}@[^\s@]{1,253}\.[a-z0-9-]{2,63}$/.test(email) && email.length <= 254
    ? email
    : undefined;
};

/**
 * The regions a legacy dialling code (`policy.allowedCountryCodes`, before regions) meant. A code
 * shared by several regions means its main market only, never the whole plan: `1` meant the US
 * and Canada, not Jamaica or the Dominican Republic; `44` meant Great Britain, not Jersey,
 * Guernsey or Man. A code with one region maps to it.
 */
const MAIN_REGIONS: Record<string, string[]> = {
  '1': ['US', 'CA'],
  '7': ['RU'],
  '44': ['GB'],
  '47': ['NO'],
  '61': ['AU'],
  '212': ['MA'],
  '262': ['RE'],
  '290': ['SH'],
  '358': ['FI'],
  '590': ['GP'],
  '599': ['CW'],
};

export const regionsOfCallingCode = (code: string): string[] =>
  MAIN_REGIONS[code] ?? getCountries().filter((c) => getCountryCallingCode(c) === code);
