import { hmac, normalizeCode } from '../crypto';

type Key = { pk: string; sk: string };

/** The stored hash of a code, bound to its challenge key so it is useless anywhere else. */
export const codeHash = (pepper: Buffer, key: Key, code: string): string =>
  hmac(pepper, 'code', key.pk, key.sk, normalizeCode(code));

/** The associated data that binds a sealed code to its challenge. */
export const sealAad = (key: Key, id: string): string => `${key.pk}|${key.sk}|${id}`;

/** The associated data of a challenge's sealed note (its client-side name of the destination). */
export const noteAad = (key: Key, id: string): string => `${sealAad(key, id)}|note`;
