import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { describe, expect, it } from '@jest/globals';
import { mockClient } from 'aws-sdk-client-mock';
import { createAwsSenders } from '../../../shared/channels/aws';
import { issue, verify } from '../../../shared/engine';
import type { IssueRequest, MessageContent } from '../../../shared/engine/types';
import { InvalidInputError } from '../../../shared/errors';
import {
  BUILT_IN_LOCALES,
  BUILT_IN_TEMPLATES,
  render,
  type SavedTemplates,
  withLocales,
} from '../../../shared/templates';
import type { Tenant } from '../../../shared/tenants';
import {
  engineHarness,
  lastCode,
  phoneDelivery,
  scanItems,
  smsIssue,
  testTenant,
  verifyOf,
} from '../../support/harness';

const INDIA = '+919955882233';
const US = '+14155550123';
const VIETNAM = '+84912345678';
const EMAIL = 'tomsawyer@example.com';
const DLT = { entityId: '1101000000000000001', templateId: '1107000000000000001' };

/** Content as a dialect passes it: the tenant's texts else the built-ins, plus the texts per locale. */
const content = (saved?: SavedTemplates, given: { sms?: boolean; email?: boolean } = {}): MessageContent =>
  withLocales(
    {
      sms: saved?.sms ?? BUILT_IN_TEMPLATES.sms,
      email: saved?.email ?? BUILT_IN_TEMPLATES.email,
      voice: saved?.voice ?? BUILT_IN_TEMPLATES.voice,
    },
    saved,
    given,
  );

const issueTo = (tenant: Tenant, to: string, extra: Partial<IssueRequest> = {}): IssueRequest =>
  smsIssue(tenant, to, 'test:formats', { content: content(tenant.templates.login), ...extra });

describe('engine', () => {
  describe('issue › SMS autofill lines', () => {
    it('ends the SMS with the app hash line, a blank line and "@domain #code", byte for byte', async () => {
      const h = await engineHarness();
      const tenant = testTenant({ smsAutofill: { domain: 'example.com', appHash: 'FA+9qCX9VSu' } });
      const req = issueTo(tenant, US);
      await issue(h.deps, req);
      const code = lastCode(h.sent);
      const expected = `Hi user.Your otp for validation is ${code}.\nFA+9qCX9VSu\n\n@example.com #${code}`;
      expect(Buffer.from(h.sent[0]?.text ?? '', 'utf8')).toEqual(Buffer.from(expected, 'utf8'));
      // The code in the line is the code that verifies.
      await expect(verify(h.deps, verifyOf(req, code))).resolves.toBeDefined();
    });

    it("takes the request's app hash over the tenant's, and adds nothing when neither is set", async () => {
      const h = await engineHarness();
      const withHash = testTenant({ smsAutofill: { appHash: 'AAAAAAAAAAA' } });
      await issue(h.deps, issueTo(withHash, US, { appHash: 'Zz0+/Zz0+/Z' }));
      const code = lastCode(h.sent);
      expect(h.sent[0]?.text).toBe(`Hi user.Your otp for validation is ${code}.\nZz0+/Zz0+/Z`);

      await issue(h.deps, issueTo(testTenant(), INDIA));
      expect(h.sent[1]?.text).toBe(`Hi user.Your otp for validation is ${lastCode(h.sent)}.`);
    });

    it('refuses a request app hash that is not 11 base64 characters, writing and sending nothing', async () => {
      const h = await engineHarness();
      const tenant = testTenant({ smsAutofill: { domain: 'example.com' } });
      for (const appHash of ['short', 'AAAAAAAAAA\n', 'AAAAA\n\n@evil.example #1', 'AAAAAAAAAAAA']) {
        await expect(issue(h.deps, issueTo(tenant, US, { appHash }))).rejects.toBeInstanceOf(
          InvalidInputError,
        );
      }
      expect(h.sent).toEqual([]);
      expect(await scanItems(h.ddb, h.tableName)).toEqual([]);
    });

    it('puts the lines on SMS only: e-mail and voice of the same request stay as written', async () => {
      const h = await engineHarness();
      const tenant = testTenant({ smsAutofill: { domain: 'example.com' } });
      await issue(
        h.deps,
        issueTo(tenant, US, { deliveries: [phoneDelivery('VOICE', US), { channel: 'EMAIL', to: EMAIL }] }),
      );
      for (const m of h.sent) expect(m.text).not.toContain('@example.com');
    });
  });

  describe('issue › locales', () => {
    it("sends the tenant's locale for the phone's region, and the default elsewhere", async () => {
      const h = await engineHarness();
      const tenant = testTenant({ locales: { default: 'en', byRegion: { VN: 'vi', IN: 'hi' } } });
      await issue(h.deps, issueTo(tenant, VIETNAM));
      await issue(h.deps, issueTo(tenant, INDIA));
      await issue(h.deps, issueTo(tenant, US));
      const [vi, hi, en] = h.sent;
      expect(vi?.text).toBe(render(BUILT_IN_LOCALES.vi.sms, vi?.code ?? ''));
      expect(vi?.text).toBe(`Mã OTP của bạn là ${vi?.code}.`);
      expect(hi?.text).toBe(`आपका सत्यापन कोड ${hi?.code} है।`);
      expect(en?.text).toBe(`Hi user.Your otp for validation is ${en?.code}.`);
    });

    it("takes the request's locale first, most specific tag first, and falls through one without texts", async () => {
      const h = await engineHarness();
      const tenant = testTenant({ locales: { default: 'es', byRegion: { VN: 'vi' } } });
      await issue(h.deps, issueTo(tenant, US, { locale: 'pt-BR' }));
      await issue(h.deps, issueTo(tenant, VIETNAM, { locale: 'de' }));
      await issue(h.deps, issueTo(tenant, INDIA, { locale: 'not a locale!' }));
      await issue(h.deps, issueTo(tenant, `+1415555013${4}`, { locale: 'en-GB' }));
      expect(h.sent.map((m) => m.text.replace(m.code, '#'))).toEqual([
        'Seu código é #.',
        'Mã OTP của bạn là #.',
        'Su código es #.',
        'Hi user.Your otp for validation is #.',
      ]);
    });

    it('sends e-mail and voice in the locale too; e-mail has no region, so it gets the default', async () => {
      const h = await engineHarness();
      const tenant = testTenant({ locales: { default: 'fr', byRegion: { VN: 'vi' } } });
      await issue(
        h.deps,
        issueTo(tenant, VIETNAM, {
          deliveries: [phoneDelivery('VOICE', VIETNAM), { channel: 'EMAIL', to: EMAIL }],
        }),
      );
      const voice = h.sent.find((m) => m.channel === 'VOICE');
      const email = h.sent.find((m) => m.channel === 'EMAIL');
      const code = lastCode(h.sent);
      expect(voice?.text).toBe(render(BUILT_IN_LOCALES.vi.voice, code.split('').join(' ')));
      expect(email?.subject).toBe('Code de vérification');
      expect(email?.text).toBe(render(BUILT_IN_LOCALES.fr.email.body, code));
    });

    it("prefers the tenant's text for the locale, and keeps its untranslated text over a built-in", async () => {
      const h = await engineHarness();
      const tenant = testTenant({
        locales: { default: 'en', byRegion: { VN: 'vi', IN: 'hi' } },
        templates: {
          login: {
            sms: 'Acme: your code is {{ validation_code }}',
            locales: { vi: { sms: 'Acme: mã của bạn là {{ validation_code }}' } },
          },
        },
      });
      await issue(h.deps, issueTo(tenant, VIETNAM));
      await issue(h.deps, issueTo(tenant, INDIA));
      expect(h.sent.map((m) => m.text.replace(m.code, '#'))).toEqual([
        'Acme: mã của bạn là #',
        // No Hindi text of its own: the tenant's text (its brand, its DLT-registered wording) stays.
        'Acme: your code is #',
      ]);
    });

    it("keeps a request's own template in every locale", async () => {
      const h = await engineHarness();
      const tenant = testTenant({ locales: { default: 'en', byRegion: { VN: 'vi' } } });
      const own = { ...BUILT_IN_TEMPLATES, sms: 'Code {{ validation_code }} (request)' };
      await issue(h.deps, issueTo(tenant, VIETNAM, { content: withLocales(own, undefined, { sms: true }) }));
      expect(h.sent[0]?.text).toBe(`Code ${lastCode(h.sent)} (request)`);
    });
  });

  describe('issue › India DLT', () => {
    it('passes the DLT ids to SNS on SMS to India only, with the template key and locale ids first', async () => {
      const h = await engineHarness();
      const sns = new SNSClient({ region: 'us-east-1' });
      const mock = mockClient(sns);
      mock.on(PublishCommand).resolves({ MessageId: 'm-1' });
      h.deps.senders = createAwsSenders({ sesFrom: 'no-reply@example.com', clients: { sns } });
      const tenant = testTenant({
        dlt: DLT,
        locales: { default: 'en', byRegion: { IN: 'hi' } },
        templates: {
          plain: { sms: 'Code {{ validation_code }}', dltTemplateId: '1107000000000000002' },
          hindi: {
            sms: 'Code {{ validation_code }}',
            dltTemplateId: '1107000000000000002',
            locales: { hi: { sms: 'कोड {{ validation_code }}', dltTemplateId: '1107000000000000003' } },
          },
        },
      });
      const attributes = (i: number) => mock.commandCalls(PublishCommand)[i]?.args[0].input.MessageAttributes;

      await issue(h.deps, { ...issueTo(tenant, INDIA), purpose: 'test:a', content: content() });
      await issue(h.deps, { ...issueTo(tenant, US), purpose: 'test:b', content: content() });
      await issue(h.deps, {
        ...issueTo(tenant, INDIA),
        purpose: 'test:c',
        content: content(tenant.templates.plain),
      });
      await issue(h.deps, {
        ...issueTo(tenant, INDIA),
        purpose: 'test:d',
        content: content(tenant.templates.hindi),
      });

      expect(mock).toHaveReceivedCommandTimes(PublishCommand, 4);
      expect(attributes(0)).toMatchObject({
        'AWS.SNS.SMS.SMSType': { DataType: 'String', StringValue: 'Transactional' },
        'AWS.MM.SMS.EntityId': { DataType: 'String', StringValue: DLT.entityId },
        'AWS.MM.SMS.TemplateId': { DataType: 'String', StringValue: DLT.templateId },
      });
      expect(attributes(1)).not.toHaveProperty(['AWS.MM.SMS.EntityId']);
      expect(attributes(1)).not.toHaveProperty(['AWS.MM.SMS.TemplateId']);
      expect(attributes(2)?.['AWS.MM.SMS.TemplateId']?.StringValue).toBe('1107000000000000002');
      expect(attributes(3)?.['AWS.MM.SMS.TemplateId']?.StringValue).toBe('1107000000000000003');
      expect(mock.commandCalls(PublishCommand)[3]?.args[0].input.Message).toMatch(/^कोड \d{6}$/);
    });

    it('sends no DLT attributes for a tenant without DLT ids (stored before the rule)', async () => {
      const h = await engineHarness();
      await issue(h.deps, issueTo(testTenant(), INDIA));
      expect(h.sent[0]?.dlt).toBeUndefined();
      await issue(h.deps, { ...issueTo(testTenant({ dlt: DLT }), INDIA), purpose: 'test:x' });
      expect(h.sent[1]?.dlt).toEqual(DLT);
    });
  });

  describe('issue › HTML e-mail', () => {
    it('fills the HTML part with the escaped code and leaves the text part to be derived', async () => {
      const h = await engineHarness();
      const tenant = testTenant({ policy: { codeAlphabet: 'alphanumeric' } });
      const html = '<p>Your code: <b>{{ validation_code }}</b></p>';
      const email = (purpose: string, c: MessageContent): IssueRequest => ({
        tenant,
        purpose,
        subject: EMAIL,
        deliveries: [{ channel: 'EMAIL', to: EMAIL }],
        content: c,
      });
      await issue(h.deps, email('test:text', content()));
      await issue(h.deps, email('test:html', { ...content(), email: { subject: 'Code', html } }));
      const [plain, rich] = h.sent;
      expect(plain?.html).toBeUndefined();
      expect(rich?.text).toBe('');
      expect(rich?.html).toBe(`<p>Your code: <b>${rich?.code}</b></p>`);
    });
  });
});
