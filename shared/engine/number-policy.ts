import type { NumberType } from 'libphonenumber-js/max';
import { CountryNotAllowedError, InvalidInputError } from '../errors';
import type { Phone } from '../phone';
import type { Policy } from '../tenants';
import type { PhoneChannel } from './types';

/**
 * Number types each phone channel may go to (DESIGN §3). Never premium-rate, toll-free, shared
 * cost, personal, UAN, voicemail or pager numbers: those are what SMS and call pumping aims at,
 * or they cannot take the message. A type libphonenumber cannot tell (undefined) is refused too.
 */
const TYPES: Record<PhoneChannel, ReadonlySet<NumberType>> = {
  SMS: new Set(['MOBILE', 'FIXED_LINE_OR_MOBILE']),
  WHATSAPP: new Set(['MOBILE', 'FIXED_LINE_OR_MOBILE']),
  ZALO: new Set(['MOBILE', 'FIXED_LINE_OR_MOBILE']),
  VOICE: new Set(['MOBILE', 'FIXED_LINE_OR_MOBILE', 'FIXED_LINE']),
};

/** True when the tenant's policy lets `channel` go to a number of this type. */
export const typeAllowed = (phone: Phone, channel: PhoneChannel, policy: Policy): boolean =>
  phone.type !== undefined && (TYPES[channel].has(phone.type) || (policy.allowVoip && phone.type === 'VOIP'));

/**
 * Refuses a phone delivery that the tenant's number policy does not allow: a region outside
 * `allowedRegions` (`CountryNotAllowedError`) or a number type the channel may not go to
 * (`InvalidInputError('phone')`, each dialect's "invalid number"). Checked before anything is
 * written, so a refusal charges nothing.
 */
export const assertNumberAllowed = (phone: Phone, channel: PhoneChannel, policy: Policy): void => {
  const allowed = policy.allowedRegions;
  if (!allowed.includes('*') && (phone.region === undefined || !allowed.includes(phone.region))) {
    throw new CountryNotAllowedError(`Region ${phone.region ?? 'unknown'} is not allowed for this tenant`);
  }
  if (!typeAllowed(phone, channel, policy)) {
    throw new InvalidInputError('phone', `Number type ${phone.type ?? 'unknown'} cannot take ${channel}`);
  }
};
