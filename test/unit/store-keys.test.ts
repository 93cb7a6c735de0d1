import { createHmac } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { codeHash, noteAad, sealAad } from '../../shared/engine/challenge';
import { dayCounterTtl, hourCounterTtl, recipientPk, subjectPk } from '../../shared/store/keys';

/**
 * The derivations that stored data depends on. A deployed table holds items under these keys and
 * codes under these hashes and sealed under these associated data: a changed label or format
 * would orphan every live code and counter at the next deploy (a regenerate would no longer find
 * the live code, a counter would start again at zero). So they are pinned here, each computed
 * independently with node:crypto, and the TTLs by their calendar meaning.
 */

const PEPPER = Buffer.from('pepper-for-known-answers-0123456789');
/** HMAC-SHA256 of the parts joined by NUL, base64url: the format of shared/crypto.ts `hmac`. */
const mac = (...parts: string[]) =>
  createHmac('sha256', PEPPER).update(parts.join('\u0000')).digest('base64url');

describe('store › derived keys and hashes stay stable', () => {
  it('keys a subject and a recipient by separate keyed hashes, 32 characters each', () => {
    expect(subjectPk(PEPPER, 't1', '+919812345670')).toBe(
      `T#t1#D#${mac('destination', 't1', '+919812345670').slice(0, 32)}`,
    );
    expect(recipientPk(PEPPER, 't1', '+919812345670')).toBe(
      `T#t1#R#${mac('recipient', 't1', '+919812345670').slice(0, 32)}`,
    );
  });

  it("hashes a code with its challenge's key, normalised (spaces out, upper case)", () => {
    const key = { pk: 'T#t1#D#abc', sk: 'CH#login' };
    expect(codeHash(PEPPER, key, ' ab 12c ')).toBe(mac('code', key.pk, key.sk, 'AB12C'));
    expect(sealAad(key, 'c-1')).toBe('T#t1#D#abc|CH#login|c-1');
    expect(noteAad(key, 'c-1')).toBe('T#t1#D#abc|CH#login|c-1|note');
  });

  it('lets an hourly counter expire two hours after its hour ends, a daily one a day after its day', () => {
    const at = (iso: string) => Date.parse(iso) / 1000;
    expect(hourCounterTtl(Date.parse('2026-12-05T12:30:00Z'))).toBe(at('2026-12-05T15:00:00Z'));
    expect(hourCounterTtl(Date.parse('2026-12-05T12:00:00Z'))).toBe(at('2026-12-05T15:00:00Z'));
    expect(dayCounterTtl(Date.parse('2026-12-05T23:59:59Z'))).toBe(at('2026-12-07T00:00:00Z'));
    expect(dayCounterTtl(Date.parse('2026-12-31T00:00:00Z'))).toBe(at('2027-01-02T00:00:00Z'));
  });
});
