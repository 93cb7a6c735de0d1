import { describe, expect, it } from '@jest/globals';
import { createHandler } from '../../../functions/loginradius';
import type { Tenant } from '../../../shared/tenants';
import { apiEvent, appHarness, invoke } from '../../support/app-harness';
import { lastCode, wrongCodeFor } from '../../support/harness';

const BASE = '/identity/v2/manage/account/smsotp';
const APIKEY = 'lr-test-apikey';
const APISECRET = 'lr-test-apisecret-0123456789abcdef';
const PHONE = '+919876543210';
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

/** Seed 000's example bodies, with a real number in place of the seed's `xxxxxxxxxxx` placeholder. */
const SEED: Record<string, Record<string, string>> = {
  addphone: { Phone: PHONE, Uid: '<Uid>' },
  phoneverification: { Phone: PHONE },
  forgotpassword: { Phone: PHONE },
  forgotpin: { Phone: PHONE },
  onetouchlogin: { Phone: PHONE },
  smartlogin: { Phone: PHONE },
  passwordlesslogin: { Phone: PHONE },
};

type Options = { query?: Record<string, string>; headers?: Record<string, string> };

const setup = async (
  tenant?: Partial<Tenant>,
  fail?: NonNullable<Parameters<typeof appHarness>[0]>['fail'],
) => {
  const h = await appHarness({ ...(tenant && { tenant }), ...(fail && { fail }) });
  await h.tenants.putCredential('loginradius-apikey', APIKEY, h.tenant.tenantId, APISECRET);
  const handler = createHandler(h.deps);
  const call = (method: 'POST' | 'PUT', path: string, body: unknown, o: Options = {}) =>
    invoke(
      handler,
      apiEvent(method, path, {
        body,
        query: o.query ?? { apikey: APIKEY, apisecret: APISECRET },
        ...(o.headers && { headers: o.headers }),
      }),
    );
  const generate = (type: string, body: unknown, o?: Options) => call('POST', `${BASE}/${type}`, body, o);
  const verify = (type: string, body: unknown, o?: Options) => call('PUT', `${BASE}/${type}/verify`, body, o);
  return { ...h, handler, call, generate, verify };
};

/** The vendor error body, with the Description left open unless given. */
const lrError = (ErrorCode: number, Message: string, Description: unknown = expect.any(String)) => ({
  Description,
  ErrorCode,
  Message,
  IsProviderError: false,
  ProviderErrorResponse: null,
});

describe('loginradius', () => {
  describe('generate', () => {
    it.each(Object.entries(SEED))('accepts the seed %s example and sends one SMS', async (type, body) => {
      const t = await setup();
      const res = await t.generate(type, body);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        Token: expect.stringMatching(/\S{16,}/),
        ExpiresIn: new Date(t.clock.now() + 600_000).toISOString(),
      });
      expect(t.sent).toHaveLength(1);
      expect(t.sent[0]).toMatchObject({ channel: 'SMS', to: PHONE });
      expect(t.sent[0]?.text).toContain(t.sent[0]?.code);
      expect(JSON.stringify(res.body)).not.toContain(t.sent[0]?.code);
      expect(t.logLines.join('\n')).not.toContain(t.sent[0]?.code);
    });

    it('matches the type case-insensitively and maps phoneidverification to phoneverification', async () => {
      const t = await setup();
      expect((await t.generate('ForgotPassword', { Phone: PHONE })).status).toBe(200);
      expect((await t.generate('PHONEIDVERIFICATION', { Phone: '+14155550123' })).status).toBe(200);
      const res = await t.verify('phoneverification', { Phone: '+14155550123', Otp: lastCode(t.sent) });
      expect(res).toMatchObject({ status: 200, body: { IsVerified: true } });
    });

    it('matches body keys case-insensitively', async () => {
      const t = await setup();
      expect((await t.generate('addphone', { phone: PHONE, uid: 'u-1' })).status).toBe(200);
      expect((await t.generate('forgotpin', { PHONE: '+14155550123' })).status).toBe(200);
      expect(t.sent.map((m) => m.to)).toEqual([PHONE, '+14155550123']);
    });

    it('accepts a form body and normalises national numbers with the tenant default country', async () => {
      const t = await setup();
      const res = await t.generate('passwordlesslogin', 'Phone=98765%2043210', { headers: FORM });
      expect(res.status).toBe(200);
      expect(t.sent[0]?.to).toBe(PHONE);
    });

    it.each(['Content-type', 'CONTENT-TYPE'])(
      'accepts a form body whose content type header is spelt %s',
      async (name) => {
        const t = await setup();
        const event = apiEvent('POST', `${BASE}/forgotpassword`, {
          body: `Phone=${encodeURIComponent(PHONE)}`,
          query: { apikey: APIKEY, apisecret: APISECRET },
        });
        // Header names arrive as the client spelt them; no lower-case copy.
        const res = await invoke(t.handler, {
          ...event,
          headers: { [name]: 'application/x-www-form-urlencoded' },
        });
        expect(res.status).toBe(200);
        expect(t.sent[0]?.to).toBe(PHONE);
      },
    );

    it('re-sends the same code under the same Token within expiry', async () => {
      const t = await setup();
      const first = await t.generate('forgotpassword', { Phone: '9876543210' });
      t.clock.advance(31_000);
      const again = await t.generate('forgotpassword', { Phone: '919876543210' });
      expect(again.status).toBe(200);
      expect(again.body.Token).toBe(first.body.Token);
      expect(again.body.ExpiresIn).toBe(first.body.ExpiresIn);
      expect(t.sent.map((m) => m.code)).toEqual([t.sent[0]?.code, t.sent[0]?.code]);
    });

    it('gives the same answer for forgotpassword and login types whatever the number (no account store)', async () => {
      const t = await setup();
      for (const [type, phone] of [
        ['forgotpassword', PHONE],
        ['forgotpassword', '+14155550123'],
        ['onetouchlogin', '+84912345678'],
      ] as const) {
        const res = await t.generate(type, { Phone: phone });
        expect(res.status).toBe(200);
        expect(Object.keys(res.body).sort()).toEqual(['ExpiresIn', 'Token']);
      }
      expect(t.sent).toHaveLength(3);
    });

    it("uses the tenant's template for the type, else the built-in text", async () => {
      const t = await setup({ templates: { forgotpin: { sms: 'PIN reset code {{ validation_code }}' } } });
      await t.generate('forgotpin', { Phone: PHONE });
      await t.generate('smartlogin', { Phone: PHONE });
      expect(t.sent[0]?.text).toBe(`PIN reset code ${t.sent[0]?.code}`);
      expect(t.sent[1]?.text).toBe(
        `${t.sent[1]?.code} is your verification code to log in. It expires in 10 minutes. Do not share it with anyone.`,
      );
    });
  });

  describe('generate errors', () => {
    it.each([
      ['an unknown type', 'resetpassword'],
      ['a percent-encoded type', 'forgot%20password'],
    ])('returns 1182 for %s', async (_, type) => {
      const t = await setup();
      const res = await t.generate(type, { Phone: PHONE });
      expect(res.status).toBe(400);
      expect(res.body).toEqual(lrError(1182, 'You have entered an invalid sms otp type'));
      expect(t.sent).toHaveLength(0);
    });

    it.each([
      ['922 without apikey', { apisecret: APISECRET }, 922, 'API key is missing'],
      ['923 without apisecret', { apikey: APIKEY }, 923, 'API secret is missing'],
      [
        '902 for a wrong secret',
        { apikey: APIKEY, apisecret: 'wrong' },
        902,
        'The API secret is unauthorized',
      ],
      [
        '902 for an unknown key',
        { apikey: 'nobody', apisecret: APISECRET },
        902,
        'The API secret is unauthorized',
      ],
    ])('returns 401 %s', async (_, query, code, message) => {
      const t = await setup();
      const res = await t.generate('forgotpassword', { Phone: PHONE }, { query });
      expect(res.status).toBe(401);
      expect(res.body).toEqual(lrError(code, message));
      expect(t.sent).toHaveLength(0);
    });

    it('checks credentials before the type, so a stranger learns nothing', async () => {
      const t = await setup();
      const res = await t.generate('nonsense', { Phone: PHONE }, { query: { apikey: APIKEY } });
      expect(res).toMatchObject({ status: 401, body: { ErrorCode: 923 } });
    });

    it.each([
      ['addphone without Uid', 'addphone', { Phone: PHONE }, 'The uid is a required parameter.'],
      [
        'addphone with a blank Uid',
        'addphone',
        { Phone: PHONE, Uid: '  ' },
        'The uid is a required parameter.',
      ],
      ['no Phone', 'forgotpassword', { Uid: 'u' }, 'The phone is a required parameter.'],
      ['a blank Phone', 'forgotpassword', { Phone: ' ' }, 'The phone is a required parameter.'],
      [
        'a Phone of the wrong type',
        'forgotpassword',
        { Phone: true },
        'The phone is not formatted correctly.',
      ],
      [
        'a Uid of the wrong type',
        'addphone',
        { Phone: PHONE, Uid: 7 },
        'The uid is not formatted correctly.',
      ],
      [
        "the seed's placeholder phone",
        'forgotpassword',
        { Phone: 'xxxxxxxxxxx' },
        'The phone number is not valid, please use a valid phone number with its country code.',
      ],
      [
        'a too-short phone',
        'phoneverification',
        { Phone: '12' },
        'The phone number is not valid, please use a valid phone number with its country code.',
      ],
      [
        'a country the tenant does not allow',
        'forgotpassword',
        { Phone: '+447911123456' },
        "SMS to this phone number's country is not enabled for this site.",
      ],
    ])('returns 400 908 for %s', async (_, type, body, description) => {
      const t = await setup();
      const res = await t.generate(type, body);
      expect(res.status).toBe(400);
      expect(res.body).toEqual(lrError(908, 'A parameter is not formatted correctly', description));
      expect(t.sent).toHaveLength(0);
    });

    it.each([
      ['malformed JSON', '{"Phone":', undefined],
      ['an unsupported content type', '<Phone>+919876543210</Phone>', { 'content-type': 'application/xml' }],
      ['a malformed form', 'Phone', FORM],
      ['a JSON array', '[1,2]', undefined],
      ['a JSON string', '"+919876543210"', undefined],
      ['no body at all', undefined, undefined],
    ])('returns 400 965 for %s', async (_, body, headers) => {
      const t = await setup();
      const res = await t.generate('forgotpassword', body, headers ? { headers } : {});
      expect(res.status).toBe(400);
      expect(res.body).toEqual(lrError(965, 'The post body is invalid.'));
      expect(res.headers?.['cache-control']).toBe('no-store');
      expect(t.sent).toHaveLength(0);
    });

    it('returns 413 965 for a body over the limit', async () => {
      const t = await setup();
      const res = await t.generate('forgotpassword', { Phone: PHONE, pad: 'x'.repeat(70_000) });
      expect(res).toMatchObject({ status: 413, body: { ErrorCode: 965 } });
      expect(t.sent).toHaveLength(0);
    });

    it('returns 429 with Retry-After when the resend gap is not over', async () => {
      const t = await setup();
      await t.generate('forgotpassword', { Phone: PHONE });
      const res = await t.generate('forgotpassword', { Phone: PHONE });
      expect(res.status).toBe(429);
      expect(res.body).toEqual(lrError(429, 'Too Many Request'));
      expect(Number(res.headers?.['retry-after'])).toBeGreaterThan(0);
      expect(t.sent).toHaveLength(1);
    });

    it('returns 503 1000 with IsProviderError when the SMS provider fails', async () => {
      const t = await setup(undefined, ['SMS']);
      const res = await t.generate('forgotpassword', { Phone: PHONE });
      expect(res.status).toBe(503);
      expect(res.body).toEqual({
        ...lrError(1000, 'Oops, something is going wrong, please try again.'),
        IsProviderError: true,
        ProviderErrorResponse: expect.any(String),
      });
      expect(t.sent).toHaveLength(0);
    });

    it("returns 500 1000 when the tenant's template has no placeholder, and sends nothing", async () => {
      const t = await setup({ templates: { forgotpassword: { sms: 'Your code is on its way' } } });
      const res = await t.generate('forgotpassword', { Phone: PHONE });
      expect(res).toMatchObject({ status: 500, body: { ErrorCode: 1000 } });
      expect(t.sent).toHaveLength(0);
    });

    it('returns 404 in the vendor shape for an unknown route', async () => {
      const t = await setup();
      const res = await t.call('POST', `${BASE}/forgotpassword/verify`, { Phone: PHONE });
      expect(res.status).toBe(404);
      expect(res.body).toEqual(lrError(404, 'Not Found'));
    });
  });

  describe('routing', () => {
    it('takes the type from pathParameters when the path carries a custom domain base path', async () => {
      const t = await setup();
      const event = apiEvent('POST', `${BASE}/forgotpassword`, {
        body: { Phone: PHONE },
        query: { apikey: APIKEY, apisecret: APISECRET },
      });
      const res = await invoke(t.handler, { ...event, path: `/lr${BASE}/forgotpassword` });
      expect(event).toMatchObject({
        resource: `${BASE}/{smsotptype}`,
        pathParameters: { smsotptype: 'forgotpassword' },
      });
      expect(res.status).toBe(200);
      expect(t.sent).toHaveLength(1);
    });
  });

  describe('verify', () => {
    it.each(Object.keys(SEED))('verifies a %s code once, then refuses it with 1067', async (type) => {
      const t = await setup();
      await t.generate(type, SEED[type]);
      const body = { Phone: PHONE, Otp: lastCode(t.sent) };
      expect(await t.verify(type, body)).toMatchObject({ status: 200, body: { IsVerified: true } });
      const again = await t.verify(type, body);
      expect(again.status).toBe(403);
      expect(again.body).toEqual(
        lrError(1067, 'Invalid OTP Code', 'The OTP code is invalid, please request for a new OTP.'),
      );
    });

    it('accepts a form body, lower-case keys and a numeric Otp', async () => {
      const t = await setup();
      await t.generate('onetouchlogin', { Phone: PHONE });
      const code = lastCode(t.sent);
      const form = await t.verify('onetouchlogin', `phone=%2B919876543210&OTP=${code}`, { headers: FORM });
      expect(form).toMatchObject({ status: 200, body: { IsVerified: true } });
      await t.generate('smartlogin', { Phone: PHONE });
      const numeric = lastCode(t.sent);
      if (!numeric.startsWith('0')) {
        const res = await t.verify('smartlogin', { phone: PHONE, otp: Number(numeric) });
        expect(res).toMatchObject({ status: 200, body: { IsVerified: true } });
      }
    });

    it('refuses a code issued for another type, which stays usable for its own', async () => {
      const t = await setup();
      await t.generate('forgotpassword', { Phone: PHONE });
      const code = lastCode(t.sent);
      const other = await t.verify('passwordlesslogin', { Phone: PHONE, Otp: code });
      expect(other).toMatchObject({ status: 403, body: { ErrorCode: 1067 } });
      const own = await t.verify('forgotpassword', { Phone: PHONE, Otp: code });
      expect(own).toMatchObject({ status: 200, body: { IsVerified: true } });
    });

    it('returns 1067 for a wrong code', async () => {
      const t = await setup();
      await t.generate('forgotpassword', { Phone: PHONE });
      const res = await t.verify('forgotpassword', { Phone: PHONE, Otp: wrongCodeFor(lastCode(t.sent)) });
      expect(res.status).toBe(403);
      expect(res.body).toEqual(
        lrError(1067, 'Invalid OTP Code', 'The OTP code is incorrect, please check the code and try again.'),
      );
    });

    it('returns 1067 for an expired code', async () => {
      const t = await setup();
      await t.generate('forgotpassword', { Phone: PHONE });
      t.clock.advance(601_000);
      const res = await t.verify('forgotpassword', { Phone: PHONE, Otp: lastCode(t.sent) });
      expect(res.status).toBe(403);
      expect(res.body).toEqual(
        lrError(1067, 'Invalid OTP Code', 'The OTP code has expired, please request for a new OTP.'),
      );
    });

    it('returns 1067 for a code never issued', async () => {
      const t = await setup();
      const res = await t.verify('forgotpin', { Phone: PHONE, Otp: '123456' });
      expect(res).toMatchObject({ status: 403, body: { ErrorCode: 1067 } });
    });

    it('locks the code after five wrong attempts, even for the right code', async () => {
      const t = await setup();
      await t.generate('forgotpassword', { Phone: PHONE });
      const code = lastCode(t.sent);
      for (let i = 0; i < 5; i++) await t.verify('forgotpassword', { Phone: PHONE, Otp: wrongCodeFor(code) });
      const res = await t.verify('forgotpassword', { Phone: PHONE, Otp: code });
      expect(res.status).toBe(403);
      expect(res.body).toEqual(lrError(1067, 'Invalid OTP Code', expect.stringContaining('locked')));
    });

    it("returns 429 once the destination's daily failures are used up, for verify and generate", async () => {
      const t = await setup({ policy: { maxDailyFailuresPerDestination: 2 } as Tenant['policy'] });
      await t.generate('forgotpassword', { Phone: PHONE });
      const code = lastCode(t.sent);
      for (let i = 0; i < 2; i++) await t.verify('forgotpassword', { Phone: PHONE, Otp: wrongCodeFor(code) });
      const res = await t.verify('forgotpassword', { Phone: PHONE, Otp: code });
      expect(res.status).toBe(429);
      expect(res.body).toEqual(lrError(429, 'Too Many Request'));
      const generate = await t.generate('smartlogin', { Phone: PHONE });
      expect(generate).toMatchObject({ status: 429, body: { ErrorCode: 429 } });
      expect(t.sent).toHaveLength(1);
    });

    it.each([
      ['no Otp', { Phone: PHONE }, 'The otp is a required parameter.'],
      ['a blank Otp', { Phone: PHONE, Otp: '' }, 'The otp is a required parameter.'],
      ['no Phone', { Otp: '123456' }, 'The phone is a required parameter.'],
    ])('returns 400 908 for %s', async (_, body, description) => {
      const t = await setup();
      const res = await t.verify('forgotpassword', body);
      expect(res.status).toBe(400);
      expect(res.body).toEqual(lrError(908, 'A parameter is not formatted correctly', description));
    });

    it('returns 1182 for an unknown type and 401 902 for wrong credentials', async () => {
      const t = await setup();
      const type = await t.verify('resetpassword', { Phone: PHONE, Otp: '123456' });
      expect(type).toMatchObject({ status: 400, body: { ErrorCode: 1182 } });
      const auth = await t.verify(
        'forgotpassword',
        { Phone: PHONE, Otp: '123456' },
        { query: { apikey: APIKEY, apisecret: 'nope' } },
      );
      expect(auth).toMatchObject({ status: 401, body: { ErrorCode: 902 } });
    });

    it('returns 400 965 for malformed JSON', async () => {
      const t = await setup();
      const res = await t.verify('forgotpassword', '{"Phone": "+91');
      expect(res).toMatchObject({ status: 400, body: { ErrorCode: 965 } });
    });
  });
});
