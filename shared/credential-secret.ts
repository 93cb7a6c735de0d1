import { randomId } from './crypto';
import type { CredentialKind } from './tenants';

/**
 * The rule for a secret an operator gives `credential create --secret` instead of letting it be
 * generated. Keys and client secrets are stored as unsalted SHA-256 (fast to check on every
 * request), which is safe only for a secret no one can guess: a table leak must not let
 * `1234` be found by hashing a dictionary. FORM passwords are chosen by people and stored with
 * salted scrypt, so they get a length floor instead. README "Operating it" states the same rule.
 */

/** Bits a key or client secret must reach by `estimateSecretBits`. */
export const MIN_SECRET_BITS = 128;
/**
 * Characters a SummitAI FORM password must have. It is the only factor of that login, and NIST
 * SP 800-63B rev. 4 asks 15 characters of a password used alone (and forbids composition rules,
 * so there are none); scrypt makes each guess of a leaked hash cost tens of milliseconds.
 */
export const MIN_PASSWORD_LENGTH = 15;
/** Longer than this, `TenantDirectory.authenticate` would never accept the secret. */
export const MAX_SECRET_LENGTH = 1024;
/** Distinct characters a key must use, so `aaaa…` and `abab…` are refused however long. */
export const MIN_DISTINCT_CHARACTERS = 8;

/** Printable ASCII without the space: what travels unchanged in Basic headers, query strings and JSON. */
const KEY_CHARACTERS = /^[\x21-\x7e]+$/;

/**
 * An estimate of a key's entropy: length × log2(alphabet), where the alphabet is 10 for digits
 * only, 16 for hex (one case), else the sum of the classes it uses (lower-case 26, upper-case 26,
 * digits 10, other printable ASCII 32). It credits every character as if drawn at random from
 * that alphabet, so it is an upper bound for a chosen secret: it catches short and narrow ones
 * (`1234` is 13 bits), not a long phrase; generating the secret (the default) is the real answer.
 */
export const estimateSecretBits = (secret: string): number => {
  if (secret.length === 0) return 0;
  let alphabet: number;
  if (/^[0-9]+$/.test(secret)) alphabet = 10;
  else if (/^[0-9a-f]+$/.test(secret) || /^[0-9A-F]+$/.test(secret)) alphabet = 16;
  else {
    alphabet =
      (/[a-z]/.test(secret) ? 26 : 0) +
      (/[A-Z]/.test(secret) ? 26 : 0) +
      (/[0-9]/.test(secret) ? 10 : 0) +
      (/[^a-zA-Z0-9]/.test(secret) ? 32 : 0);
  }
  return secret.length * Math.log2(alphabet);
};

/**
 * Why a secret given for `kind` is refused, or undefined when it may be stored.
 * - `summitai-form` (a person's password, scrypt): 15 to 1024 characters.
 * - every other kind (a key or client secret, SHA-256): printable ASCII without spaces, at most
 *   1024 characters, at least 8 distinct characters and at least 128 bits by
 *   `estimateSecretBits` (e.g. 24 random base64url characters, 32 hex digits, 39 decimal digits).
 */
export const secretProblem = (kind: CredentialKind, secret: string): string | undefined => {
  const length = [...secret].length;
  if (length > MAX_SECRET_LENGTH) return `the secret is longer than ${MAX_SECRET_LENGTH} characters`;
  if (kind === 'summitai-form') {
    return length < MIN_PASSWORD_LENGTH
      ? `a FORM password needs at least ${MIN_PASSWORD_LENGTH} characters`
      : undefined;
  }
  const bits = Math.floor(estimateSecretBits(secret));
  if (bits < MIN_SECRET_BITS)
    return `a key or client secret needs at least ${MIN_SECRET_BITS} bits (this one has about ${bits}): leave out --secret to generate one`;
  if (!KEY_CHARACTERS.test(secret)) return 'a key or client secret must be printable ASCII without spaces';
  if (new Set(secret).size < MIN_DISTINCT_CHARACTERS)
    return `a key or client secret needs at least ${MIN_DISTINCT_CHARACTERS} different characters`;
  return undefined;
};

/** A generated secret: 32 bytes from the CSPRNG as base64url (256 bits, 43 characters). */
export const generateSecret = (): string => randomId(32);
