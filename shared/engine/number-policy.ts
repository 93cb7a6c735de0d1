import type { NumberType } from 'libphonenumber-js/max';
import { CountryNotAllowedError, InvalidInputError } from '../errors';
import type { Phone } from '../phone';
import type { Policy } from '../tenants';
import type { PhoneChannel } from './types';

/**
 * True when the tenant's policy lets `channel` go to a number of this type (the defaults in shared/tenants.ts;
 * `policy.numberTypes` can only choose among mobile, fixed-line and VoIP types, so premium-rate,
 * toll-free and the other pumped types are never allowed). A type libphonenumber cannot tell
 * (undefined) is refused.
 */
export const typeAllowed = (phone: Phone, channel: PhoneChannel, policy: Policy): boolean =>
  // The policy lists types only (tenantSchema), so an undefined type is never among them.
  (policy.numberTypes[channel] as readonly (NumberType | undefined)[]).includes(phone.type);

/** True when the number's region is one of `allowedRegions` (or they hold `*`). */
const regionAllowed = (phone: Phone, policy: Policy): boolean => {
  const allowed = policy.allowedRegions;
  // Regions are strings (tenantSchema), so a number of no region is among them only by `*`.
  return allowed.includes('*') || (allowed as readonly (string | undefined)[]).includes(phone.region);
};

/** `assertNumberAllowed` as a predicate: true when `channel` may go to `phone`. */
export const numberAllowed = (phone: Phone, channel: PhoneChannel, policy: Policy): boolean =>
  regionAllowed(phone, policy) && typeAllowed(phone, channel, policy);

/**
 * Refuses a phone delivery that the tenant's number policy does not allow: a region outside
 * `allowedRegions` (`CountryNotAllowedError`) or a number type the channel may not go to
 * (`InvalidInputError('phone')`, each dialect's "invalid number"). Checked before anything is
 * written, so a refusal charges nothing.
 */
export const assertNumberAllowed = (phone: Phone, channel: PhoneChannel, policy: Policy): void => {
  if (!regionAllowed(phone, policy)) {
    throw new CountryNotAllowedError(`Region ${phone.region ?? 'unknown'} is not allowed for this tenant`);
  }
  if (!typeAllowed(phone, channel, policy)) {
    throw new InvalidInputError('phone', `Number type ${phone.type ?? 'unknown'} cannot take ${channel}`);
  }
};
