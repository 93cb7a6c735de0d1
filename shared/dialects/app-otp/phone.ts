import {
  type CountryCode,
  getCountries,
  getCountryCallingCode,
  isSupportedCountry,
} from 'libphonenumber-js/max';
import { type Phone, parsePhoneWith } from '../../phone';

/** Dialling codes of every region libphonenumber knows (non-geographic ranges such as +800 are not SMS targets). */
const CALLING_CODES = new Set<string>(getCountries().map((c) => getCountryCallingCode(c)));

export type ResolvedPhone =
  | { ok: true; phone: Phone }
  | { ok: false; error: 'INVALID_PHONE_NUMBER' | 'INVALID_COUNTRY_CODE' };

/**
 * Seed 001's `{phone_number, countryCode}` as one E.164 number. `countryCode` is an ISO alpha-2
 * region (`IN`) or a dialling code (`+91`, `91`); the number may be national (`9876543219`, with
 * or without the trunk `0`) or already carry the country code (`919876543219`, `+919876543219`).
 * A number whose own country code differs from `countryCode` is refused rather than re-routed:
 * the caller said which country it meant. Number types (premium rate, fixed line …) and regions
 * are the engine's number policy, the same for every dialect.
 */
export const resolvePhone = (phoneNumber: string | number, countryCode: string | number): ResolvedPhone => {
  const cc = String(countryCode).trim();
  let callingCode: string;
  let options: { defaultCountry: CountryCode } | { defaultCallingCode: string };
  if (/^[A-Za-z]{2}$/.test(cc)) {
    const region = cc.toUpperCase();
    if (!isSupportedCountry(region)) return { ok: false, error: 'INVALID_COUNTRY_CODE' };
    callingCode = getCountryCallingCode(region);
    options = { defaultCountry: region };
  } else {
    const dialling = /^\+?(\d{1,4})$/.exec(cc)?.[1];
    // Checked before parsing: libphonenumber throws on a calling code it has no metadata for.
    if (!dialling || !CALLING_CODES.has(dialling)) return { ok: false, error: 'INVALID_COUNTRY_CODE' };
    callingCode = dialling;
    options = { defaultCallingCode: dialling };
  }
  const raw = String(phoneNumber)
    .trim()
    .replace(/[\s\-().]/g, '');
  if (!/^\+?\d{4,17}$/.test(raw)) return { ok: false, error: 'INVALID_PHONE_NUMBER' };
  // One parse: the number comes back as the `Phone` the engine carries.
  const phone = parsePhoneWith(raw, options);
  return phone && phone.callingCode === callingCode
    ? { ok: true, phone }
    : { ok: false, error: 'INVALID_PHONE_NUMBER' };
};
