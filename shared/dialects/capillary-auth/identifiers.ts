import type { AppDeps } from '../../app-deps';
import { hmac } from '../../crypto';
import { numberAllowed } from '../../engine/number-policy';
import type { Delivery, EngineDeps } from '../../engine/types';
import { maskDestination } from '../../mask';
import { normalizeEmail, type Phone, parsePhone } from '../../phone';
import type { Tenant } from '../../tenants';
import { refusals } from './errors';
import type { IdentifierType } from './schemas';

/** An identifier as parsed once: its canonical text and, for MOBILE, the parsed number. */
export interface Identifier {
  type: IdentifierType;
  canonical: string;
  phone?: Phone;
}

/**
 * The identifier in the one form sessions, tokens and limits use: E.164 for MOBILE (so
 * `9940000000` and `+919940000000` are one customer), lower-case for EMAIL, the username as
 * given. An invalid mobile or e-mail is 1540. A USERNAME is not looked up here, so token/generate
 * says nothing about whether it exists.
 */
export const identify = (type: IdentifierType, value: string, tenant: Tenant): Identifier => {
  if (type === 'MOBILE') {
    const phone = parsePhone(value, tenant.policy.defaultCountry);
    if (!phone) throw refusals.noDestination();
    return { type, canonical: phone.e164, phone };
  }
  const canonical = type === 'EMAIL' ? normalizeEmail(value) : value.trim();
  if (!canonical) throw refusals.noDestination();
  return { type, canonical };
};

/** The canonical text of an identifier (see `identify`). */
export const canonicalIdentifier = (type: IdentifierType, value: string, tenant: Tenant): string =>
  identify(type, value, tenant).canonical;

/** A keyed hash of (tenant, type, identifier): what a session stores instead of the identifier. */
export const identifierHash = (pepper: Buffer, tenantId: string, type: string, canonical: string): string =>
  hmac(pepper, 'ae-identifier', tenantId, type, canonical);

/** Where the code goes, and the subject the engine counts limits against. */
export interface Destination {
  subject: string;
  delivery: Delivery;
  /**
   * True for a USERNAME with no usable contact: the engine runs exactly as for a real user
   * (same writes, limits and answers) but its sender drops the message.
   */
  decoy: boolean;
}

/** Engine deps whose only channel silently drops the message (a decoy's code goes nowhere). */
export const decoyDeps = (deps: EngineDeps): EngineDeps => ({ ...deps, senders: { EMAIL: async () => {} } });

/**
 * The destination of an identifier. MOBILE goes by SMS, EMAIL by e-mail; a USERNAME goes to the
 * contact's phone (SMS), else its e-mail. A username that does not exist, or has neither, gets a
 * decoy destination derived from it (`<hmac>@decoy.invalid`), so the answer is the same as for a
 * real user and nothing is sent.
 */
export const destinationOf = async (
  deps: AppDeps,
  tenant: Tenant,
  { type, canonical, phone: mobile }: Identifier,
): Promise<Destination> => {
  if (mobile)
    return { subject: canonical, delivery: { channel: 'SMS', to: canonical, phone: mobile }, decoy: false };
  if (type === 'EMAIL')
    return { subject: canonical, delivery: { channel: 'EMAIL', to: canonical }, decoy: false };
  const contact = await deps.tenants.contact(tenant.tenantId, canonical);
  const parsed = contact?.phone ? parsePhone(contact.phone, tenant.policy.defaultCountry) : undefined;
  // A phone the number policy refuses is no phone for a USERNAME: the engine would refuse it
  // before any write, and those missing requests would tell a decoy from a real user.
  const phone = parsed && numberAllowed(parsed, 'SMS', tenant.policy) ? parsed : undefined;
  if (phone)
    return { subject: phone.e164, delivery: { channel: 'SMS', to: phone.e164, phone }, decoy: false };
  const email = contact?.email ? normalizeEmail(contact.email) : undefined;
  if (email) return { subject: email, delivery: { channel: 'EMAIL', to: email }, decoy: false };
  if (contact) {
    // The operator should know; the caller must not (it would tell the account exists).
    deps.logger.warn('contact has no usable phone or e-mail', {
      tenant: tenant.tenantId,
      phone: contact.phone ? maskDestination(contact.phone) : undefined,
      email: contact.email ? maskDestination(contact.email) : undefined,
    });
  }
  const pepper = await deps.pepper();
  const subject = `${hmac(pepper, 'ae-decoy', tenant.tenantId, canonical).slice(0, 24)}@decoy.invalid`;
  return { subject, delivery: { channel: 'EMAIL', to: subject }, decoy: true };
};
