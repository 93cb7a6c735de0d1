import { type CountryCode, parsePhoneNumberFromString } from 'libphonenumber-js/max';

/**
 * Normalises a phone number to E.164, or undefined when it is not a valid number. Vendor APIs
 * send numbers three ways: `+919876543210`, `919876543210` (country code, no plus) and
 * `9876543210` (national, the tenant's default country). National is tried first, then the
 * digits as an international number.
 */
export const normalizePhone = (raw: string, defaultCountry: string): string | undefined => {
  const cleaned = raw.trim().replace(/[\s\-().]/g, '');
  if (!/^\+?\d{4,17}$/.test(cleaned)) return undefined;
  if (cleaned.startsWith('+')) {
    const phone = parsePhoneNumberFromString(cleaned);
    return phone?.isValid() ? phone.number : undefined;
  }
  const national = parsePhoneNumberFromString(cleaned, defaultCountry.toUpperCase() as CountryCode);
  if (national?.isValid()) return national.number;
  const international = parsePhoneNumberFromString(`+${cleaned}`);
  return international?.isValid() ? international.number : undefined;
};

/** Lower-cased, trimmed e-mail address, or undefined when it is not one. */
export const normalizeEmail = (raw: string): string | undefined => {
  const email = raw.trim().toLowerCase();
  return /^[^\s@]{1,64}@[^\s@]{1,253}\.[a-z0-9-]{2,63}$/.test(email) && email.length <= 254
    ? email
    : undefined;
};
