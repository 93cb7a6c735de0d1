import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  hkdfSync,
  randomBytes,
  randomInt,
  scryptSync,
  timingSafeEqual,
} from 'node:crypto';

export type CodeAlphabet = 'numeric' | 'alphanumeric';

const ALPHABETS: Record<CodeAlphabet, string> = {
  numeric: '0123456789',
  // No 0/O, 1/I/L: codes are read off a phone screen and typed back.
  alphanumeric: '23456789ABCDEFGHJKMNPQRSTUVWXYZ',
};

/**
 * A fresh code from the CSPRNG. `randomInt(0, n)` has an exclusive upper bound, so every symbol
 * of the alphabet can appear (a well-known sample used `randomInt(0, 9)` and never sent a 9).
 */
export const generateCode = (length: number, alphabet: CodeAlphabet = 'numeric'): string => {
  const symbols = ALPHABETS[alphabet];
  let code = '';
  for (let i = 0; i < length; i++) code += symbols[randomInt(0, symbols.length)];
  return code;
};

/**
 * True when `code` is one a tenant with this length and alphabet could have been sent: a fixed
 * test code (shared/tenant-config.ts) must be, so every dialect's own code format takes it.
 */
export const fitsCodePolicy = (code: string, length: number, alphabet: CodeAlphabet): boolean =>
  code.length === length && [...code].every((c) => ALPHABETS[alphabet].includes(c));

/** Codes are compared case-insensitively and without spaces (users type what they read). */
export const normalizeCode = (code: string): string => code.replace(/\s+/g, '').toUpperCase();

/** HMAC-SHA256 as base64url. */
export const hmac = (key: Buffer, ...parts: string[]): string =>
  createHmac('sha256', key).update(parts.join('\u0000')).digest('base64url');

/** SHA-256 of a high-entropy secret, for stored credentials (the secrets are 32 random bytes). */
export const sha256 = (value: string): string => createHash('sha256').update(value).digest('base64url');

/** Constant-time string equality (lengths may differ; both sides are hashed first). */
export const safeEqual = (a: string, b: string): boolean =>
  timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());

/** A random opaque identifier (base64url of 18 bytes = 144 bits). */
export const randomId = (bytes = 18): string => randomBytes(bytes).toString('base64url');

/**
 * What a sealing key is for: the HKDF `info` that derives the AES key, so one secret never keys
 * two purposes. `code` is keyed from the pepper, `tenant-secret` from the tenant sealing key.
 */
export type SealPurpose = 'code' | 'tenant-secret';

const HKDF_INFO: Record<SealPurpose, string> = {
  code: 'otp-code-encryption-v1',
  'tenant-secret': 'otp-tenant-secret-encryption-v1',
};

const aesKey = (secret: Buffer, purpose: SealPurpose): Buffer =>
  Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), HKDF_INFO[purpose], 32));

/**
 * AES-256-GCM under a key derived from `secret` for `purpose`, bound to `aad` (opening with any
 * other AAD fails): base64url of IV (12 bytes), tag (16) and ciphertext.
 */
export const seal = (secret: Buffer, purpose: SealPurpose, aad: string, plaintext: string): string => {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', aesKey(secret, purpose), iv);
  cipher.setAAD(Buffer.from(aad));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
};

/** Reverses `seal`; throws when the ciphertext, its binding, the key or the purpose differs. */
export const open = (secret: Buffer, purpose: SealPurpose, aad: string, sealed: string): string => {
  const raw = Buffer.from(sealed, 'base64url');
  const decipher = createDecipheriv('aes-256-gcm', aesKey(secret, purpose), raw.subarray(0, 12));
  decipher.setAAD(Buffer.from(aad));
  decipher.setAuthTag(raw.subarray(12, 28));
  return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
};

/**
 * Encrypts a code so a resend within expiry can send the same code again without storing it in
 * clear (AES-256-GCM, key derived from the pepper, bound to the challenge by its AAD).
 */
export const sealCode = (pepper: Buffer, aad: string, code: string): string =>
  seal(pepper, 'code', aad, code);

/** Reverses `sealCode`; throws when the ciphertext or its binding was tampered with. */
export const openCode = (pepper: Buffer, aad: string, sealed: string): string =>
  open(pepper, 'code', aad, sealed);

const SCRYPT = { N: 2 ** 14, r: 8, p: 1, keylen: 32 } as const;

/**
 * A salted scrypt hash for secrets people choose (SummitAI FORM passwords), which a fast hash
 * would expose to offline guessing: `scrypt$<salt>$<hash>`.
 */
export const scryptHash = (secret: string): string => {
  const salt = randomBytes(16);
  const hash = scryptSync(secret, salt, SCRYPT.keylen, { N: SCRYPT.N, r: SCRYPT.r, p: SCRYPT.p });
  return `scrypt$${salt.toString('base64url')}$${hash.toString('base64url')}`;
};

/** Checks a secret against `scryptHash` output in constant time. */
export const scryptVerify = (secret: string, stored: string): boolean => {
  const [scheme, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const actual = scryptSync(secret, Buffer.from(salt, 'base64url'), expected.length, {
    N: SCRYPT.N,
    r: SCRYPT.r,
    p: SCRYPT.p,
  });
  return actual.length === expected.length && timingSafeEqual(actual, expected);
};
