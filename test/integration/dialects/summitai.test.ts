import { describe, expect, it } from '@jest/globals';
import { createHandler } from '../../../functions/summitai';
import { SEED_GENERATE, SUMMITAI_DEMO, seedDemo, validateBody } from '../../../local/demo/summitai';
import { apiKeyCredentialId, formCredentialId } from '../../../shared/dialects/summitai/credentials';
import type { Tenant } from '../../../shared/tenants';
import { apiEvent, appHarness, invoke } from '../../support/app-harness';
import { lastCode, scanItems, testTenant, wrongCodeFor } from '../../support/harness';
import { summitRefusal } from '../../support/summitai';

type Body = Record<string, unknown>;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const PROXY = SEED_GENERATE.objCommonParameters._ProxyDetails;

/** The seed's generate request with parts of `_ProxyDetails` / `objUserInformation` replaced. */
const generateWith = (proxy: Body = {}, user: Body = {}, replaceProxy = false) => ({
  ...SEED_GENERATE,
  objCommonParameters: {
    _ProxyDetails: replaceProxy ? proxy : { ...PROXY, ...proxy },
    objUserInformation: { ...SEED_GENERATE.objCommonParameters.objUserInformation, ...user },
  },
});

const setup = async (options: { tenant?: Partial<Tenant>; fail?: Array<'SMS' | 'EMAIL'> } = {}) => {
  const h = await appHarness(options);
  await seedDemo(h.tenants, h.tenant.tenantId);
  const handler = createHandler(h.deps);
  const post = (body: unknown) => invoke(handler, apiEvent('POST', '/adm/service', { body }));
  /** Generate with the seed's request; returns the TransactionID and the code the user received. */
  const generate = async () => {
    const res = await post(SEED_GENERATE);
    expect(res.status).toBe(200);
    const out = res.body.OutputObject as { OTP_Communication: Array<{ TransactionID: string }> };
    return { transactionId: out.OTP_Communication[0]?.TransactionID as string, code: lastCode(h.sent) };
  };
  return { ...h, handler, post, generate };
};

/** The envelope of a refused request: `Errors` filled, nothing else. */
const refused = summitRefusal;

describe('summitai', () => {
  describe('ADM_GenerateOTP', () => {
    it('accepts the seed sample as written and sends one code to e-mail and SMS', async () => {
      const t = await setup();
      const res = await t.post(SEED_GENERATE);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        Errors: '',
        Message: '',
        Output: '',
        TokenID: '',
        OrgID: 1,
        OutputObject: {
          OTP_Communication: [
            {
              Message: 'OTP sent to to***@sy***.com and ***219',
              AuthenticationType: 'password',
              TransactionID: expect.stringMatching(UUID),
            },
          ],
        },
        OutputID: 0,
        Input: null,
      });
      expect(t.sent.map((m) => [m.channel, m.to])).toEqual([
        ['EMAIL', 'tomsawyer@symphony.com'],
        ['SMS', '+919876543219'],
      ]);
      expect(new Set(t.sent.map((m) => m.code)).size).toBe(1);
      expect(JSON.stringify(res.body)).not.toContain(lastCode(t.sent));
      expect(t.sent[0]?.text).toContain(lastCode(t.sent));
    });

    it('stores no code, password or API key in clear, and logs no code or contact', async () => {
      const t = await setup();
      const { code } = await t.generate();
      // The code as a number of its own: not a run of digits inside a timestamp.
      const codeAlone = new RegExp(`(?<![0-9A-Za-z])${code}(?![0-9A-Za-z])`);
      const table = JSON.stringify(await scanItems(t.ddb, t.tableName));
      expect(table).not.toMatch(codeAlone);
      expect(table).not.toContain(SUMMITAI_DEMO.form.password);
      expect(table).not.toContain(SUMMITAI_DEMO.apiKey);
      const logs = t.logLines.join('\n');
      expect(logs).toContain('otp issued');
      expect(logs).not.toMatch(codeAlone);
      expect(logs).not.toContain(SUMMITAI_DEMO.user.phone);
      expect(logs).not.toContain(SUMMITAI_DEMO.user.email);
    });

    it.each([
      ['APIKey', { AuthType: 'APIKey', APIKey: SUMMITAI_DEMO.apiKey, OrgID: 1 }],
      ['APIKEY', { AuthType: 'APIKEY', APIKey: SUMMITAI_DEMO.apiKey, OrgID: '1' }],
      ['no AuthType and an APIKey', { APIKey: SUMMITAI_DEMO.apiKey, OrgID: '1' }],
      ['no AuthType and a password', { UserName: 'google@sum.com', Password: 'XXXX@123', OrgID: '1' }],
    ])('authenticates with %s', async (_, proxy) => {
      const t = await setup();
      const res = await t.post(generateWith(proxy, {}, true));
      expect(res.status).toBe(200);
      expect(res.body.Errors).toBe('');
      expect(t.sent).toHaveLength(2);
    });

    it.each([
      ['SMS', ['SMS'], 'OTP sent to ***219'],
      ['EMAIL', ['EMAIL'], 'OTP sent to to***@sy***.com'],
    ] as const)('sends only %s when the tenant says so', async (channels, expected, message) => {
      const t = await setup({ tenant: { summitAiChannels: channels } });
      const res = await t.post(SEED_GENERATE);
      expect(res.status).toBe(200);
      expect(res.body.OutputObject).toMatchObject({ OTP_Communication: [{ Message: message }] });
      expect(t.sent.map((m) => m.channel)).toEqual(expected);
    });

    it('skips a channel the user has no contact for, and uses UserID when LoginUID is 0', async () => {
      const t = await setup();
      await t.tenants.putContact(t.tenant.tenantId, { userId: '42', email: 'Ana.Lopez@Example.com' });
      const res = await t.post(generateWith({}, { LoginUID: 0, UserID: '42' }));
      expect(res.status).toBe(200);
      expect(res.body.OutputObject).toMatchObject({
        OTP_Communication: [{ Message: 'OTP sent to an***@ex***.com' }],
      });
      expect(t.sent.map((m) => [m.channel, m.to])).toEqual([['EMAIL', 'ana.lopez@example.com']]);
    });

    it('re-sends the same code with the same TransactionID within expiry', async () => {
      const t = await setup();
      const first = await t.generate();
      t.clock.advance(31_000);
      const again = await t.generate();
      expect(again).toEqual(first);
      expect(t.sent).toHaveLength(4);
    });

    it('returns 429 with Retry-After when a re-send comes inside the 30 s gap', async () => {
      const t = await setup();
      await t.generate();
      const res = await t.post(SEED_GENERATE);
      expect(res.status).toBe(429);
      expect(res.body).toEqual(refused(/^An OTP was sent moments ago: wait 30 seconds/));
      expect(res.headers?.['retry-after']).toBe('30');
      expect(t.sent).toHaveLength(2);
    });

    it.each([
      ['a wrong password', { Password: 'XXXX@124' }],
      ['an unknown user name', { UserName: 'someone@sum.com' }],
      ['another OrgID', { OrgID: '2' }],
      ['no password', { Password: undefined }],
      ['a wrong API key', { AuthType: 'APIKey', APIKey: `${SUMMITAI_DEMO.apiKey}x` }],
      ['APIKey without a key', { AuthType: 'APIKey' }],
      ['an unsupported AuthType', { AuthType: 'TOKEN' }],
    ])('returns 401 for %s and sends nothing', async (_, proxy) => {
      const t = await setup();
      const res = await t.post(generateWith(proxy));
      expect(res.status).toBe(401);
      expect(res.body).toEqual(refused('Invalid credentials'));
      expect(res.headers?.['www-authenticate']).toContain('realm="summitai"');
      expect(t.sent).toHaveLength(0);
    });

    it('returns 400 User not found for an unknown user', async () => {
      const t = await setup();
      const res = await t.post(generateWith({}, { LoginUID: 968 }));
      expect(res).toMatchObject({ status: 400, body: refused('User not found') });
      expect(t.sent).toHaveLength(0);
    });

    it('returns 400 when the user has no contact for the tenant’s channels', async () => {
      const t = await setup({ tenant: { summitAiChannels: 'SMS' } });
      await t.tenants.putContact(t.tenant.tenantId, { userId: '42', email: 'ana@example.com' });
      const res = await t.post(generateWith({}, { LoginUID: 42 }));
      expect(res).toMatchObject({
        status: 400,
        body: refused('No registered mobile number or e-mail address for the user'),
      });
      expect(t.sent).toHaveLength(0);
    });

    it('returns 400 when the user’s phone is in a country the tenant does not send to', async () => {
      const t = await setup({ tenant: { summitAiChannels: 'SMS' } });
      await t.tenants.putContact(t.tenant.tenantId, { userId: '42', phone: '+442079460000' });
      const res = await t.post(generateWith({}, { LoginUID: 42 }));
      expect(res.status).toBe(400);
      expect(res.body.Errors).toMatch(/country/);
      expect(t.sent).toHaveLength(0);
    });

    it('returns 400 for a tenant template without exactly one placeholder', async () => {
      const t = await setup({ tenant: { templates: { ADM_GenerateOTP: { sms: 'Hello' } } } });
      const res = await t.post(SEED_GENERATE);
      expect(res).toMatchObject({ status: 400, body: refused(/template/) });
      expect(t.sent).toHaveLength(0);
    });

    it('uses the tenant’s ADM_GenerateOTP template', async () => {
      const t = await setup({
        tenant: {
          summitAiChannels: 'SMS',
          templates: { ADM_GenerateOTP: { sms: 'Code: {{ validation_code }}' } },
        },
      });
      await t.post(SEED_GENERATE);
      expect(t.sent[0]?.text).toBe(`Code: ${lastCode(t.sent)}`);
    });

    it('answers 200 naming only the channel that delivered when the other fails', async () => {
      const t = await setup({ fail: ['SMS'] });
      const res = await t.post(SEED_GENERATE);
      expect(res.status).toBe(200);
      expect(res.body.OutputObject).toMatchObject({
        OTP_Communication: [{ Message: 'OTP sent to to***@sy***.com' }],
      });
    });

    it('returns 503 when no channel delivers', async () => {
      const t = await setup({ fail: ['SMS', 'EMAIL'] });
      const res = await t.post(SEED_GENERATE);
      expect(res).toMatchObject({ status: 503, body: refused('The OTP could not be sent, try again later') });
      expect(t.sent).toHaveLength(0);
    });

    it('returns 400 for an unknown ServiceName after authenticating', async () => {
      const t = await setup();
      const res = await t.post({ ...SEED_GENERATE, ServiceName: 'ADM_DeleteUser' });
      expect(res).toMatchObject({ status: 400, body: refused(/^Invalid ServiceName/) });
      const unauth = await t.post({ ...generateWith({ Password: 'nope' }), ServiceName: 'ADM_DeleteUser' });
      expect(unauth.status).toBe(401);
      expect(t.sent).toHaveLength(0);
    });

    it.each([
      ['malformed JSON', '{"ServiceName":', /^Malformed request body$/],
      ['an empty body', '', /^Malformed request body$/],
      ['a JSON array', '[]', /^Invalid request/],
      ['no objCommonParameters', { ServiceName: 'ADM_GenerateOTP' }, /^Invalid request: objCommonParameters/],
      ['an OrgID that is not a number', generateWith({ OrgID: 'one' }), /OrgID/],
      [
        'no LoginUID or UserID',
        generateWith({}, { LoginUID: undefined, UserID: undefined }),
        /LoginUID or UserID/,
      ],
      ['a user id with odd characters', generateWith({}, { LoginUID: '9 6 7' }), /LoginUID/],
    ])('returns 400 for %s', async (_, body, message) => {
      const t = await setup();
      const res = await t.post(body);
      expect(res).toMatchObject({ status: 400, body: refused(message) });
      expect(res.headers?.['cache-control']).toBe('no-store');
      expect(t.sent).toHaveLength(0);
    });

    it('returns 413 in the envelope for a body over 64 KB', async () => {
      const t = await setup();
      const res = await t.post(generateWith({}, { UserName: 'x'.repeat(70_000) }));
      expect(res).toMatchObject({ status: 413, body: refused('Request body too large') });
    });

    it('returns 404 in the envelope for an unknown route, 405 for another method of the route', async () => {
      const t = await setup();
      const res = await invoke(t.handler, apiEvent('POST', '/adm/nope'));
      expect(res.status).toBe(404);
      expect(res.body).toEqual(refused(/./));
      const get = await invoke(t.handler, apiEvent('GET', '/adm/service'));
      expect(get.status).toBe(405);
      expect(get.body).toEqual(refused(/./));
    });
  });

  describe('ADM_ValidateOTP', () => {
    it('validates the code once, then refuses it as used', async () => {
      const t = await setup();
      const { transactionId, code } = await t.generate();
      const res = await t.post(validateBody(code, transactionId));
      expect(res).toEqual({
        status: 200,
        headers: expect.anything(),
        body: {
          Errors: '',
          Message: '',
          Output: '',
          TokenID: '',
          OrgID: 1,
          OutputObject: { OTP_Validation: [{ Message: 'OTP validated successfully' }] },
          OutputID: 0,
          Input: null,
        },
      });
      const again = await t.post(validateBody(code, transactionId));
      expect(again).toMatchObject({ status: 400, body: refused(/^No valid OTP found/) });
    });

    it('accepts OTP_Text as a number (leading zeros restored)', async () => {
      const t = await setup();
      const { transactionId, code } = await t.generate();
      const body = validateBody(code, transactionId);
      (body.objCommonParameters.objUserInformation as Body).OTP_Text = Number(code);
      expect((await t.post(body)).status).toBe(200);
    });

    it('returns 400 Invalid OTP for a wrong code, then still accepts the right one', async () => {
      const t = await setup();
      const { transactionId, code } = await t.generate();
      const wrong = await t.post(validateBody(wrongCodeFor(code), transactionId));
      expect(wrong).toMatchObject({ status: 400, body: refused('Invalid OTP') });
      expect((await t.post(validateBody(code, transactionId))).status).toBe(200);
    });

    it('returns 400 Invalid OTP for the right code with another TransactionID', async () => {
      const t = await setup();
      const { code } = await t.generate();
      const res = await t.post(validateBody(code, '1fc795a0-df9e-4b8d-b9ff-5734a409be43'));
      expect(res).toMatchObject({ status: 400, body: refused('Invalid OTP') });
    });

    it('refuses SummitAI’s documented sample (OTP_Text "TransactionID") as Invalid OTP', async () => {
      const t = await setup();
      await t.generate();
      const res = await t.post(validateBody('TransactionID', '1fc795a0-df9e-4b8d-b9ff-5734a409be43'));
      expect(res).toMatchObject({ status: 400, body: refused('Invalid OTP') });
    });

    it('returns 400 when no OTP was generated', async () => {
      const t = await setup();
      const res = await t.post(validateBody('123456', '1fc795a0-df9e-4b8d-b9ff-5734a409be43'));
      expect(res).toMatchObject({ status: 400, body: refused(/^No valid OTP found/) });
    });

    it('returns 400 OTP expired after 10 minutes', async () => {
      const t = await setup();
      const { transactionId, code } = await t.generate();
      t.clock.advance(600_000);
      const res = await t.post(validateBody(code, transactionId));
      expect(res).toMatchObject({ status: 400, body: refused('OTP expired: generate a new OTP') });
    });

    it('returns 429 once the code took its 5 wrong attempts, even for the right code', async () => {
      const t = await setup();
      const { transactionId, code } = await t.generate();
      for (let i = 0; i < 5; i++) await t.post(validateBody(wrongCodeFor(code), transactionId));
      const res = await t.post(validateBody(code, transactionId));
      expect(res).toMatchObject({ status: 429, body: refused(/locked until it expires/) });
    });

    it('returns 429 when the user’s daily failures are used up, and generate refuses too', async () => {
      const t = await setup({
        tenant: { policy: { maxDailyFailuresPerDestination: 2 } as Tenant['policy'] },
      });
      const { transactionId, code } = await t.generate();
      for (let i = 0; i < 2; i++) await t.post(validateBody(wrongCodeFor(code), transactionId));
      const res = await t.post(validateBody(code, transactionId));
      expect(res).toMatchObject({
        status: 429,
        body: refused('Too many failed OTP attempts for this user today'),
      });
      t.clock.advance(601_000);
      const sent = t.sent.length;
      expect((await t.post(SEED_GENERATE)).status).toBe(429);
      expect(t.sent).toHaveLength(sent);
    });

    it('keeps organisations apart: OrgID 2’s credentials cannot validate OrgID 1’s code', async () => {
      const t = await setup();
      const other = testTenant();
      await t.tenants.putTenant(other);
      await t.tenants.putCredential(
        'summitai-form',
        formCredentialId('2', 'google@sum.com'),
        other.tenantId,
        'other-pass',
      );
      await t.tenants.putContact(other.tenantId, { ...SUMMITAI_DEMO.user });
      const { transactionId, code } = await t.generate();
      const body = validateBody(code, transactionId);
      body.objCommonParameters._ProxyDetails = { ...PROXY, OrgID: '2', Password: 'other-pass' };
      expect(await t.post(body)).toMatchObject({ status: 400, body: refused(/^No valid OTP found/) });
      expect((await t.post(validateBody(code, transactionId))).status).toBe(200);
    });

    it('validates with APIKey authentication', async () => {
      const t = await setup();
      const { transactionId, code } = await t.generate();
      const body = validateBody(code, transactionId);
      body.objCommonParameters._ProxyDetails = {
        AuthType: 'APIKey',
        APIKey: SUMMITAI_DEMO.apiKey,
        OrgID: '1',
      } as never;
      expect((await t.post(body)).status).toBe(200);
      expect(apiKeyCredentialId('1', SUMMITAI_DEMO.apiKey)).not.toContain(SUMMITAI_DEMO.apiKey);
    });

    it.each([
      ['no OTP_Text', { OTP_Text: undefined }, /OTP_Text/],
      ['an empty OTP_Text', { OTP_Text: '' }, /OTP_Text/],
      ['no TransactionID', { TransactionID: undefined }, /TransactionID/],
      ['no LoginUID', { LoginUID: undefined }, /LoginUID or UserID/],
    ])('returns 400 for %s', async (_, change, message) => {
      const t = await setup();
      const body = validateBody('123456', '1fc795a0-df9e-4b8d-b9ff-5734a409be43');
      Object.assign(body.objCommonParameters.objUserInformation, change);
      expect(await t.post(body)).toMatchObject({ status: 400, body: refused(message) });
    });

    it('returns 401 for wrong credentials before looking at the code', async () => {
      const t = await setup();
      const { transactionId, code } = await t.generate();
      const body = validateBody(code, transactionId);
      body.objCommonParameters._ProxyDetails = { ...PROXY, Password: 'wrong' };
      expect(await t.post(body)).toMatchObject({ status: 401, body: refused('Invalid credentials') });
      expect((await t.post(validateBody(code, transactionId))).status).toBe(200);
    });
  });
});
