import { describe, expect, it } from '@jest/globals';
import { issue, verify } from '../../../shared/engine';
import { InvalidCodeError } from '../../../shared/errors';
import { BUILT_IN_TEMPLATES } from '../../../shared/templates';
import { policySchema } from '../../../shared/tenants';
import {
  engineHarness,
  lastCode,
  phoneDelivery,
  rejection,
  scanItems,
  smsIssue,
  testTenant,
  verifyOf,
  wrongCodeFor,
} from '../../support/harness';

const PHONE = '+919955882233';
const EMAIL = 'tomsawyer@example.com';

/** Every string and number leaf of an item, with its attribute path. */
const leaves = (value: unknown, path = ''): Array<[string, string | number]> => {
  if (typeof value === 'string' || typeof value === 'number') return [[path, value]];
  if (value instanceof Set) return [...value].flatMap((v, i) => leaves(v, `${path}[${i}]`));
  if (Array.isArray(value)) return value.flatMap((v, i) => leaves(v, `${path}[${i}]`));
  if (value && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) => [
      ...leaves(k, `${path}.<key>`),
      ...leaves(v, path ? `${path}.${k}` : k),
    ]);
  }
  return [];
};

describe('engine', () => {
  describe('issue › code', () => {
    it('sends a 6-digit numeric code by default', async () => {
      const h = await engineHarness();
      expect(policySchema.parse({}).codeLength).toBe(6);
      expect(policySchema.parse({}).codeAlphabet).toBe('numeric');
      await issue(h.deps, smsIssue(testTenant(), PHONE));
      expect(h.sent).toHaveLength(1);
      expect(lastCode(h.sent)).toMatch(/^\d{6}$/);
      expect(h.sent[0]?.text).toBe(`Hi user.Your otp for validation is ${lastCode(h.sent)}.`);
    });

    it('sends and verifies codes of every policy length from 4 to 10', async () => {
      const h = await engineHarness();
      for (let length = 4; length <= 10; length++) {
        const req = smsIssue(testTenant({ policy: { codeLength: length } }), PHONE);
        await issue(h.deps, req);
        const code = lastCode(h.sent);
        expect(code).toMatch(new RegExp(`^\\d{${length}}$`));
        await expect(verify(h.deps, verifyOf(req, code))).resolves.toEqual({ verifiedAt: h.clock.now() });
      }
    });

    it('refuses policy code lengths outside 4–10', () => {
      expect(policySchema.safeParse({ codeLength: 3 }).success).toBe(false);
      expect(policySchema.safeParse({ codeLength: 11 }).success).toBe(false);
      expect(policySchema.safeParse({ codeLength: 4 }).success).toBe(true);
      expect(policySchema.safeParse({ codeLength: 10 }).success).toBe(true);
    });

    it('sends alphanumeric codes when the policy asks and verifies them case-insensitively', async () => {
      const h = await engineHarness();
      const tenant = testTenant({ policy: { codeLength: 8, codeAlphabet: 'alphanumeric' } });
      const codes: string[] = [];
      for (const purpose of ['a', 'b', 'c', 'd', 'e']) {
        await issue(h.deps, smsIssue(tenant, PHONE, purpose));
        codes.push(lastCode(h.sent));
      }
      for (const code of codes) expect(code).toMatch(/^[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{8}$/);
      // 40 symbols from a 31-letter alphabet: an all-digit draw has odds of about (8/31)^40.
      expect(codes.join('')).toMatch(/[A-Z]/);
      const lower = codes[0]?.toLowerCase() ?? '';
      await expect(
        verify(h.deps, { tenant, purpose: 'a', subject: PHONE, code: lower }),
      ).resolves.toBeDefined();
    });

    it('issues a different code and challenge id for each fresh issue', async () => {
      const h = await engineHarness();
      const tenant = testTenant();
      const ids = new Set<string>();
      for (let i = 0; i < 10; i++)
        ids.add((await issue(h.deps, smsIssue(tenant, PHONE, `p${i}`))).challengeId);
      expect(ids.size).toBe(10);
      // Ten draws of 10^6: a single collision has odds of about 1 in 22 000, two of them never.
      expect(new Set(h.sent.map((m) => m.code)).size).toBeGreaterThanOrEqual(9);
    });

    it('issues a new code after the previous one was used', async () => {
      const h = await engineHarness();
      const req = smsIssue(testTenant(), PHONE);
      const first = await issue(h.deps, req);
      const firstCode = lastCode(h.sent);
      await verify(h.deps, verifyOf(req, firstCode));
      const second = await issue(h.deps, req);
      expect(second.resent).toBe(false);
      expect(second.challengeId).not.toBe(first.challengeId);
      expect(h.sent).toHaveLength(2);
      await expect(verify(h.deps, verifyOf(req, lastCode(h.sent)))).resolves.toBeDefined();
    });
  });

  describe('storage', () => {
    it('keeps no code, phone number or e-mail address in clear, only codeHash and sealed', async () => {
      const h = await engineHarness();
      const tenant = testTenant();
      const sms = smsIssue(tenant, PHONE, 'lr:forgotpassword', { binding: { authCode: 'bind-1' } });
      await issue(h.deps, sms);
      h.clock.advance(30_000);
      await issue(h.deps, sms);
      await rejection(verify(h.deps, verifyOf(sms, wrongCodeFor(lastCode(h.sent)))), InvalidCodeError);
      const both = {
        ...smsIssue(tenant, PHONE, 'v2:REGISTRATION'),
        deliveries: [phoneDelivery('SMS', PHONE), { channel: 'EMAIL' as const, to: EMAIL }],
      };
      await issue(h.deps, both);
      const mail = {
        tenant,
        purpose: 'v2:LOGIN',
        subject: EMAIL,
        deliveries: [{ channel: 'EMAIL' as const, to: EMAIL }],
        content: { ...BUILT_IN_TEMPLATES },
      };
      await issue(h.deps, mail);
      await verify(h.deps, verifyOf(mail, lastCode(h.sent)));

      const codes = new Set(h.sent.map((m) => m.code));
      expect(codes.size).toBeGreaterThanOrEqual(2);
      const items = await scanItems(h.ddb, h.tableName);
      const challenges = items.filter((i) => String(i.sk).startsWith('CH#'));
      expect(challenges).toHaveLength(3);
      for (const c of challenges) {
        expect(c.codeHash).toMatch(/^[A-Za-z0-9_-]{43}$/);
        expect(c.sealed).toMatch(/^[A-Za-z0-9_-]{40,}$/);
        expect(Object.keys(c)).not.toEqual(expect.arrayContaining(['code']));
        expect(c.pk).toMatch(new RegExp(`^T#${tenant.tenantId}#D#[A-Za-z0-9_-]{32}$`));
      }
      const clear = [PHONE, PHONE.slice(1), PHONE.slice(3), EMAIL, 'tomsawyer', 'example.com'];
      for (const item of items) {
        for (const [path, value] of leaves(item)) {
          const text = String(value);
          for (const secret of clear)
            expect({ path, text, has: text.includes(secret) }).toMatchObject({ has: false });
          for (const code of codes) {
            // Numbers (timestamps) may contain any 6 digits by chance; only strings can hold a code.
            const leaked = typeof value === 'string' ? text.includes(code) : text === code;
            expect({ path, leaked }).toEqual({ path, leaked: false });
          }
        }
      }
    });
  });
});
