import { describe, expect, it } from '@jest/globals';
import { createHandler } from '../../../functions/capillary-v2';
import { apiEvent, appHarness, invoke } from '../../support/app-harness';
import { lastCode } from '../../support/harness';

/** The seed's three example bodies (the SMS one closed: the seed's copy is cut off). */
const SEED = {
  EMAIL: {
    entityType: 'email',
    entityValue: 'tomsawyer@gmail.com',
    action: 'REGISTRATION',
    template: 'Hi user.Your OTP for validation is {{ validation_code }}.Enjoy',
    emailTemplate: {
      subject: 'Validation Code',
      body: 'Dear Customer, The validation code for your request is: {{ validation_code }}. You will also receive the validation code by SMS on your registered mobile number shortly.',
    },
    channels: [
      { type: 'SMS', value: '9955882233' },
      { type: 'EMAIL', value: 'tomsawyer@gmail.com' },
      { type: 'PHONE', value: '9955882233' },
    ],
  },
  WHATSAPP: {
    entityType: 'mobile',
    entityValue: '919986000581',
    action: 'POINTS',
    whatsappTemplateName: 'test_temp2',
    channels: [{ type: 'whatsapp', value: '919986000586' }],
  },
  SMS: {
    entityType: 'MOBILE',
    entityValue: '911234567896',
    action: 'POINTSTRANSFER',
    template: 'Hi user.Your OTP for validation is {{ validation_code }}.Enjoy',
    channels: [
      { type: 'SMS', value: '911234567896' },
      { type: 'PHONE', value: '911234567896' },
    ],
  },
};

/**
 * The seed's SMS example goes to +91 1234567896, a fixed-line number: the tenant here opens SMS
 * and WhatsApp to fixed lines, as the local demo tenant does. The default policy refuses it
 * (see "refuses SMS to a fixed-line number under the default number policy").
 */
const SEED_NUMBER_TYPES = {
  SMS: ['MOBILE', 'FIXED_LINE_OR_MOBILE', 'FIXED_LINE'],
  WHATSAPP: ['MOBILE', 'FIXED_LINE_OR_MOBILE', 'FIXED_LINE'],
} as const;

const setup = async (policy: Record<string, unknown> = { numberTypes: SEED_NUMBER_TYPES }) => {
  const h = await appHarness({ tenant: { policy } as never });
  const handler = createHandler(h.deps);
  const post = (path: string, body: unknown, headers: Record<string, string> = { authorization: h.basic }) =>
    invoke(handler, apiEvent('POST', path, { body, headers }));
  return { ...h, handler, post };
};

describe('capillary-v2', () => {
  describe('generate', () => {
    it('puts the code into an e-mail subject that holds {{ validation_code }}, never the placeholder', async () => {
      const t = await setup();
      const res = await t.post('/v2/otp/generate', {
        ...SEED.EMAIL,
        emailTemplate: { subject: '{{ validation_code }} is your code', body: 'Code: {{validation_code}}' },
        channels: [{ type: 'EMAIL', value: 'tomsawyer@gmail.com' }],
      });
      expect(res.status).toBe(200);
      const [email] = t.sent;
      expect(email?.subject).toBe(`${email?.code} is your code`);
      expect(email?.subject).not.toContain('validation_code');
    });

    it('refuses SMS to a fixed-line number under the default number policy, sending nothing', async () => {
      const t = await setup({});
      const res = await t.post('/v2/otp/generate', SEED.SMS);
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ errors: [{ code: 8056, message: 'Invalid mobile' }], warnings: [] });
      expect(t.sent).toEqual([]);
    });

    it.each(Object.entries(SEED))(
      'accepts the seed %s example and sends to every channel',
      async (_, body) => {
        const t = await setup();
        const res = await t.post('/v2/otp/generate', body);
        expect(res.status).toBe(200);
        expect(res.body.createdId).toEqual(expect.any(Number));
        expect(res.body.createdId).not.toBe(1);
        expect(res.body.warnings).toEqual([]);
        expect(t.sent.map((m) => m.channel).sort()).toEqual(
          body.channels.map((c) => (c.type === 'PHONE' ? 'VOICE' : c.type.toUpperCase())).sort(),
        );
        expect(new Set(t.sent.map((m) => m.code)).size).toBe(1);
        expect(JSON.stringify(res.body)).not.toContain(t.sent[0]?.code);
      },
    );

    it('re-sends the same code with createdId 1 within expiry', async () => {
      const t = await setup();
      await t.post('/v2/otp/generate', SEED.SMS);
      const first = lastCode(t.sent);
      t.clock.advance(31_000);
      const again = await t.post('/v2/otp/generate', SEED.SMS);
      expect(again).toMatchObject({ status: 200, body: { createdId: 1, warnings: [] } });
      expect(lastCode(t.sent)).toBe(first);
    });

    it.each([
      [
        '607 for WhatsApp without a template name',
        { ...SEED.WHATSAPP, whatsappTemplateName: undefined },
        400,
        607,
      ],
      [
        '621 for Zalo without an identifier',
        { ...SEED.SMS, channels: [{ type: 'ZALO', value: '84912345678' }] },
        400,
        621,
      ],
      ['8056 for an invalid mobile', { ...SEED.SMS, entityValue: '12', channels: undefined }, 400, 8056],
      [
        '8056 for an invalid channel mobile',
        { ...SEED.SMS, channels: [{ type: 'SMS', value: 'abc' }] },
        400,
        8056,
      ],
      ['608 for a template without placeholder', { ...SEED.SMS, template: 'Hello there' }, 400, 608],
      [
        '608 for a template with two placeholders',
        { ...SEED.SMS, template: '{{ validation_code }} {{validation_code}}' },
        400,
        608,
      ],
      [
        '608 for an SMS template over the 1,600 bytes of one SNS publish (600 Devanagari characters)',
        { ...SEED.SMS, template: `${'क'.repeat(600)} {{ validation_code }}` },
        400,
        608,
      ],
      ['600 for an invalid action', { ...SEED.SMS, action: 'LAUNCH' }, 400, 600],
      ['601 for an invalid entity type', { ...SEED.SMS, entityType: 'FAX' }, 400, 601],
      ['602 for an invalid e-mail entity', { ...SEED.EMAIL, entityValue: 'not-an-email' }, 400, 602],
      ['603 for an invalid channel', { ...SEED.SMS, channels: [{ type: 'PIGEON', value: '1' }] }, 400, 603],
    ])('returns %s', async (_, body, status, code) => {
      const t = await setup();
      const res = await t.post('/v2/otp/generate', body);
      expect(res.status).toBe(status);
      expect(res.body).toEqual({ errors: [{ code, message: expect.any(String) }], warnings: [] });
      expect(t.sent).toHaveLength(0);
    });

    // Header injection: a subject or address with a line break would add headers (Bcc: …) to the
    // message SES builds. Every control character is refused, not only CR and LF.
    it.each([
      ['a subject with CR/LF', { subject: 'Hello\r\nBcc: x@evil.example' }, {}, 608],
      ['a subject with a lone LF', { subject: 'Hello\nBcc: x@evil.example' }, {}, 608],
      ['a subject with a NUL', { subject: 'Hello\u0000' }, {}, 608],
      ['a subject with a TAB', { subject: 'Hello\tthere' }, {}, 608],
      ['a subject with a Unicode line separator', { subject: 'Hello\u2028Bcc: x@evil.example' }, {}, 608],
      ['an e-mail entity with a control character', {}, { entityValue: 'tom\u001b@example.org' }, 602],
      [
        'an EMAIL channel address with a control character',
        {},
        { channels: [{ type: 'EMAIL', value: 'tom\u0000@example.org' }] },
        603,
      ],
      [
        'an EMAIL channel address followed by CR/LF and a header',
        {},
        { channels: [{ type: 'EMAIL', value: 'tom@example.org\r\nBcc: x@evil.example' }] },
        603,
      ],
    ])('refuses %s with 400 in the vendor shape, sending nothing', async (_, template, fields, code) => {
      const t = await setup();
      const body = {
        ...SEED.EMAIL,
        channels: [{ type: 'EMAIL', value: 'tomsawyer@gmail.com' }],
        emailTemplate: { ...SEED.EMAIL.emailTemplate, ...template },
        ...fields,
      };
      const res = await t.post('/v2/otp/generate', body);
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ errors: [{ code, message: expect.any(String) }], warnings: [] });
      expect(t.sent).toEqual([]);
    });

    it('returns 429 when the resend gap is not over', async () => {
      const t = await setup();
      await t.post('/v2/otp/generate', SEED.SMS);
      const res = await t.post('/v2/otp/generate', SEED.SMS);
      expect(res.status).toBe(429);
      expect(res.body).toEqual({ errors: [{ code: 429, message: expect.any(String) }], warnings: [] });
    });

    it('warns with Gateway error for a failing channel and still sends the others', async () => {
      const t = await appHarness({
        fail: ['VOICE'],
        tenant: { policy: { numberTypes: SEED_NUMBER_TYPES } } as never,
      });
      const res = await invoke(
        createHandler(t.deps),
        apiEvent('POST', '/v2/otp/generate', { body: SEED.SMS, headers: { authorization: t.basic } }),
      );
      expect(res.status).toBe(200);
      expect(res.body.warnings).toEqual([{ code: 606, message: 'Gateway error', channel: 'VOICE' }]);
      expect(t.sent.map((m) => m.channel)).toEqual(['SMS']);
    });

    it('returns 401 for a wrong secret, a missing header and a malformed header', async () => {
      const t = await setup();
      for (const authorization of [
        `Basic ${Buffer.from(`${t.clientId}:wrong`).toString('base64')}`,
        '',
        'Basic !!!',
      ]) {
        const res = await t.post('/v2/otp/generate', SEED.SMS, { authorization });
        expect(res.status).toBe(401);
        expect(res.body).toEqual({ errors: [{ code: 401, message: 'Invalid credentials' }], warnings: [] });
      }
      expect(t.sent).toHaveLength(0);
    });

    it('returns 400 in the vendor shape for malformed JSON', async () => {
      const t = await setup();
      const res = await invoke(
        t.handler,
        apiEvent('POST', '/v2/otp/generate', { body: '{"entityType":', headers: { authorization: t.basic } }),
      );
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ errors: [{ code: 400, message: 'Malformed request body' }], warnings: [] });
      expect(res.headers?.['cache-control']).toBe('no-store');
    });
  });

  describe('routing', () => {
    it('serves a request by its resource when the path carries a custom domain base path', async () => {
      const t = await setup();
      // Behind a custom domain mapped at /otp, API Gateway sends the base path in `path` and the
      // route template in `resource`.
      const event = apiEvent('POST', '/v2/otp/generate', {
        body: SEED.SMS,
        headers: { authorization: t.basic },
      });
      const res = await invoke(t.handler, { ...event, path: '/otp/v2/otp/generate' });
      expect(res.status).toBe(200);
      expect(t.sent.map((m) => m.channel).sort()).toEqual(['SMS', 'VOICE']);
    });
  });

  describe('validate', () => {
    it('gives entity true once, then entity false', async () => {
      const t = await setup();
      await t.post('/v2/otp/generate', SEED.EMAIL);
      const code = lastCode(t.sent);
      const body = { entityType: 'EMAIL', entityValue: 'tomsawyer@gmail.com', action: 'REGISTRATION', code };
      expect(await t.post('/v2/otp/validate', body)).toEqual({
        status: 200,
        body: { entity: true, warnings: [] },
        headers: expect.anything(),
      });
      const second = await t.post('/v2/otp/validate', body);
      expect(second.status).toBe(400);
      expect(second.body).toMatchObject({ entity: false, errors: [{ code: 604 }] });
    });

    it('returns 605 with entity false for a wrong code and accepts `otp` as the field name', async () => {
      const t = await setup();
      await t.post('/v2/otp/generate', SEED.SMS);
      const code = lastCode(t.sent);
      const base = { entityType: 'MOBILE', entityValue: '+911234567896', action: 'POINTSTRANSFER' };
      const wrong = await t.post('/v2/otp/validate', {
        ...base,
        code: code === '000000' ? '111111' : '000000',
      });
      expect(wrong).toMatchObject({ status: 400, body: { entity: false, errors: [{ code: 605 }] } });
      const right = await t.post('/v2/otp/validate', { ...base, otp: code });
      expect(right).toMatchObject({ status: 200, body: { entity: true } });
    });

    it('returns 604 when no code was issued', async () => {
      const t = await setup();
      const res = await t.post('/v2/otp/validate', {
        entityType: 'MOBILE',
        entityValue: '911234567896',
        action: 'POINTS',
        code: '123456',
      });
      expect(res).toMatchObject({ status: 400, body: { entity: false, errors: [{ code: 604 }] } });
    });
  });
});
