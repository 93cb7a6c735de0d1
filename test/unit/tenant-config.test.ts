import { describe, expect, it } from '@jest/globals';
import { demoTenant } from '../../local/demo-tenant';
import { autofillCost, tenantConfigSchema } from '../../shared/tenant-config';
import { tenantSchema } from '../../shared/tenants';

const DLT = { entityId: '1101000000000000001', templateId: '1107000000000000001' };

/** A tenant record that serves only the US, so no DLT ids are needed unless a test opens IN. */
const record = (extra: Record<string, unknown> = {}) => ({
  tenantId: 'acme',
  name: 'Acme',
  policy: { allowedRegions: ['US'] },
  ...extra,
});

/** The messages of the issues a config raises, with their paths. */
const issues = (raw: unknown): string[] => {
  const result = tenantConfigSchema.safeParse(raw);
  return result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('tenant-config', () => {
  describe('tenantConfigSchema › India DLT', () => {
    it('refuses a tenant that allows IN, or every region, without DLT ids', () => {
      for (const allowedRegions of [['IN'], ['US', 'IN'], ['*']]) {
        const found = issues(record({ policy: { allowedRegions } }));
        expect(found).toHaveLength(1);
        expect(found[0]).toMatch(/^dlt: .*Indian carriers drop SMS/);
      }
      // The default policy allows IN, so a bare record is refused too.
      expect(issues({ tenantId: 'acme', name: 'Acme' })).toEqual([expect.stringMatching(/^dlt:/)]);
    });

    it('accepts it with DLT ids, and a tenant that does not allow IN without them', () => {
      expect(issues(record({ policy: { allowedRegions: ['IN'] }, dlt: DLT }))).toEqual([]);
      expect(issues(record())).toEqual([]);
    });

    it('refuses malformed DLT ids in the record shape itself', () => {
      expect(tenantSchema.safeParse(record({ dlt: { entityId: '', templateId: '1' } })).success).toBe(false);
      expect(
        tenantSchema.safeParse(record({ dlt: { entityId: '1'.repeat(51), templateId: '1' } })).success,
      ).toBe(false);
      expect(tenantSchema.safeParse(record({ dlt: { entityId: '1 2', templateId: '1' } })).success).toBe(
        false,
      );
    });

    it('still reads a stored tenant that predates the rule (reading must not take it down)', () => {
      expect(
        tenantSchema.safeParse({ tenantId: 'old', name: 'Old', policy: { allowedRegions: ['IN'] } }).success,
      ).toBe(true);
    });
  });

  describe('tenantConfigSchema › autofill and segments', () => {
    it('refuses a one-segment template that the autofill lines push to two, naming it', () => {
      // 120 GSM-7 characters with a 6-digit code: 1 segment; + hash line (12) + origin line (22) = 160… +1.
      const sms = `${'x'.repeat(100)} {{ validation_code }} ${'y'.repeat(13)}`;
      const fits = record({ templates: { login: { sms } }, smsAutofill: { domain: 'example.com' } });
      expect(issues(fits)).toEqual([]);
      const over = record({
        templates: { login: { sms: `${sms}yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy` } },
        smsAutofill: { domain: 'example.com', appHash: 'FA+9qCX9VSu' },
      });
      expect(issues(over)).toEqual([
        'templates.login.sms: templates.login.sms is one GSM-7 segment, but 2 with the autofill lines (smsAutofill): shorten the text or the domain',
      ]);
    });

    it('checks the locale texts and the built-ins, and lets a text already over one segment be', () => {
      const found = issues(
        record({
          templates: {
            login: {
              sms: `${'x'.repeat(400)} {{ validation_code }}`,
              locales: { hi: { sms: `${'क'.repeat(60)} {{ validation_code }}` } },
            },
          },
          smsAutofill: { domain: `${'d'.repeat(30)}.com` },
        }),
      );
      expect(found).toContain(
        'templates.login.locales.hi.sms: templates.login.locales.hi.sms is one UCS-2 segment, but 2 with the autofill lines (smsAutofill): shorten the text or the domain',
      );
      expect(found.some((f) => f.startsWith('smsAutofill: the built-in hi SMS'))).toBe(true);
      expect(found.some((f) => f.startsWith('templates.login.sms'))).toBe(false);
    });

    it('reports the segments of a text with and without the lines for the longest code', () => {
      expect(autofillCost('Code {{ validation_code }}', 10, { domain: 'example.com' })).toEqual({
        plain: { encoding: 'GSM-7', segments: 1 },
        withAutofill: { encoding: 'GSM-7', segments: 1 },
      });
    });

    it('refuses an app hash that is not 11 base64 characters and a domain that is not a host', () => {
      expect(issues(record({ smsAutofill: { appHash: 'short' } }))).toHaveLength(1);
      expect(issues(record({ smsAutofill: { domain: 'https://example.com' } }))).toHaveLength(1);
    });
  });

  describe('tenantConfigSchema › templates', () => {
    it('refuses a template without exactly one placeholder, in any locale and part', () => {
      expect(issues(record({ templates: { login: { locales: { fr: { sms: 'Pas de code' } } } } }))).toEqual([
        expect.stringMatching(/^templates\.login\.locales\.fr\.sms: .*found 0/),
      ]);
      expect(
        issues(
          record({
            templates: {
              login: { email: { subject: 'S', html: '<p>{{ validation_code }}{{ validation_code }}</p>' } },
            },
          }),
        ),
      ).toEqual([expect.stringMatching(/^templates\.login\.email: .*HTML template.*found 2/)]);
      expect(issues(record({ templates: { login: { email: { subject: 'S' } } } }))).toHaveLength(1);
    });

    it('refuses a locale key that is not a lower-case language tag', () => {
      expect(issues(record({ locales: { default: 'EN' } }))).toHaveLength(1);
      expect(issues(record({ locales: { byRegion: { IN: 'hi', vn: 'vi' } } }))).toHaveLength(1);
      expect(
        issues(record({ templates: { login: { locales: { 'pt-BR': { sms: '{{ validation_code }}' } } } } })),
      ).toHaveLength(1);
    });
  });

  describe('tenantConfigSchema › test destinations', () => {
    const tests = (testDestinations: unknown, policy: Record<string, unknown> = {}) =>
      issues(record({ testDestinations, policy: { allowedRegions: ['US'], ...policy } }));

    it('accepts E.164 phones, even of types no channel may reach, and lower-case e-mails', () => {
      expect(
        tests([
          { to: '+15005550006', code: '123456' },
          { to: 'test@example.com', code: '000000' },
          { to: '+447911123456', code: '123456' },
        ]),
      ).toEqual([]);
    });

    it('refuses an entry not written as requests are matched, naming the form to write', () => {
      expect(
        tests([
          { to: '+1 500 555 0006', code: '123456' },
          { to: 'Test@Example.com', code: '123456' },
          { to: '15005550006', code: '123456' },
          { to: '+15555550100', code: '123456' },
        ]),
      ).toEqual([
        'testDestinations.0.to: write it as +15005550006, the form requests are matched in',
        'testDestinations.1.to: write it as test@example.com, the form requests are matched in',
        'testDestinations.2.to: not a valid E.164 phone number (+15005550006) or e-mail address',
        // +1 555 555 0100 is no valid number: no dialect would ever hand it to the engine.
        'testDestinations.3.to: not a valid E.164 phone number (+15005550006) or e-mail address',
      ]);
    });

    it('refuses an entry listed twice', () => {
      expect(
        tests([
          { to: '+15005550006', code: '123456' },
          { to: '+15005550006', code: '654321' },
        ]),
      ).toEqual(['testDestinations.1.to: listed twice']);
    });

    it('refuses a code the tenant could not send: other length, letters in a numeric tenant, or outside the alphanumeric alphabet', () => {
      expect(tests([{ to: '+15005550006', code: '12345' }])).toEqual([
        'testDestinations.0.code: 6 digits (policy.codeLength), like every code of this tenant',
      ]);
      expect(tests([{ to: '+15005550006', code: '12345A' }])).toHaveLength(1);
      const alnum = { codeAlphabet: 'alphanumeric', codeLength: 8 };
      expect(tests([{ to: '+15005550006', code: 'AB23CD45' }], alnum)).toEqual([]);
      // 0, 1, O, I and L are never in an alphanumeric code; lower case is not how it is matched.
      expect(tests([{ to: '+15005550006', code: 'AB01CD45' }], alnum)).toEqual([
        'testDestinations.0.code: 8 characters of 23456789ABCDEFGHJKMNPQRSTUVWXYZ (policy.codeLength, policy.codeAlphabet)',
      ]);
      expect(tests([{ to: '+15005550006', code: 'ab23cd45' }], alnum)).toHaveLength(1);
    });

    it('refuses test destinations for a tenant whose codes are shorter than 6 (a fixed code is guessed across days)', () => {
      expect(tests([{ to: '+15005550006', code: '1234' }], { codeLength: 4 })).toEqual([
        'policy.codeLength: test destinations need codes of at least 6 characters: a fixed code is guessed across days',
      ]);
      expect(tests([{ to: '+15005550006', code: '12345' }], { codeLength: 5 })).toHaveLength(1);
      expect(tests([], { codeLength: 4 })).toEqual([]);
      expect(tests([{ to: '+15005550006', code: '1234567' }], { codeLength: 7 })).toEqual([]);
    });

    it('keeps the list short and its entries strict in the record shape', () => {
      const many = Array.from({ length: 101 }, (_, i) => ({ to: `t${i}@example.com`, code: '123456' }));
      expect(tenantSchema.safeParse(record({ testDestinations: many })).success).toBe(false);
      expect(
        tenantSchema.safeParse(record({ testDestinations: [{ to: 'a@example.com', code: '123456', x: 1 }] }))
          .success,
      ).toBe(false);
      expect(tenantSchema.parse(record()).testDestinations).toEqual([]);
    });
  });

  describe('the local demo tenant', () => {
    it('passes the write-time rules with its demo DLT ids and autofill lines', () => {
      const demo = demoTenant();
      expect(tenantConfigSchema.safeParse(demo).success).toBe(true);
      expect(demo.policy.allowedRegions).toContain('IN');
      expect(demo.dlt).toEqual({ entityId: expect.any(String), templateId: expect.any(String) });
      expect(tenantConfigSchema.safeParse({ ...demo, dlt: undefined }).success).toBe(false);
    });

    it('lists the test phone and e-mail npm start prints, with code 123456', () => {
      expect(demoTenant().testDestinations).toEqual([
        { to: '+15005550006', code: '123456' },
        { to: 'test@example.com', code: '123456' },
      ]);
    });
  });
});
