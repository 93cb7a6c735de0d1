import { beforeAll, describe, expect, it } from '@jest/globals';
import { SignJWT } from 'jose';
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { createHandler as appOtpHandler } from '../../functions/app-otp';
import { createHandler as capillaryAuthHandler } from '../../functions/capillary-auth';
import { createHandler as capillaryV2Handler } from '../../functions/capillary-v2';
import { createHandler as loginRadiusHandler } from '../../functions/loginradius';
import { createHandler as summitAiHandler } from '../../functions/summitai';
import { SEED_GENERATE, SUMMITAI_DEMO, seedDemo } from '../../local/demo/summitai';
import { putBrandPointer } from '../../shared/store/capillary-auth-sessions';
import { policySchema, type Tenant, tenantSchema } from '../../shared/tenants';
import { apiEvent, appHarness, invoke } from '../support/app-harness';
import { scanItems } from '../support/harness';
import { summitRefusal } from '../support/summitai';

/**
 * The number policy (shared/engine/number-policy.ts) end to end: every dialect that sends to a
 * phone number refuses premium-rate and toll-free numbers and numbers outside the tenant's
 * regions with its own "invalid number" answer, sends nothing and writes nothing, against
 * DynamoDB Local through the real Lambda handlers. Each dialect also sends to an allowed number
 * on the same harness, so a refusal cannot come from a broken set-up.
 */

type Harness = Awaited<ReturnType<typeof appHarness>>;
type Answer = Awaited<ReturnType<typeof invoke>>;

/**
 * The default number policy. `testTenant` narrows `allowedRegions` to IN, US and VN for other
 * tests; this file restores the schema's default (US, CA, GB, SG, VN, IN), so GB is open and the
 * UK numbers below are refused for their type, and Jersey, Guernsey and Man for their region
 * although their numbers are +44. `numberTypes` is left alone (the default).
 */
const DEFAULT_POLICY = policySchema.parse({});
const DEFAULT_NUMBER_POLICY = { allowedRegions: DEFAULT_POLICY.allowedRegions };
const defaultPolicyTenant = (extra: Omit<Partial<Tenant>, 'policy'> = {}) =>
  ({ ...extra, policy: DEFAULT_NUMBER_POLICY }) as never;

/** What refuses a number: its type (`InvalidInputError('phone')`) or its region (`CountryNotAllowedError`). */
type Refusal = 'type' | 'region';

interface RefusedNumber {
  label: string;
  e164: string;
  /** As a caller sends it to the dialects that take one string (default region IN). */
  raw: string;
  /** app-otp's `{phone_number, countryCode}`. */
  national: string;
  countryCode: string;
  /** What libphonenumber-js/max says (checked below). */
  region: string;
  type: string;
  refusal: Refusal;
}

const REFUSED: RefusedNumber[] = [
  {
    label: 'US premium rate +1 900',
    e164: '+19002345678',
    raw: '+19002345678',
    national: '9002345678',
    countryCode: 'US',
    region: 'US',
    type: 'PREMIUM_RATE',
    refusal: 'type',
  },
  {
    label: 'US toll-free +1 800',
    e164: '+18002345678',
    raw: '+18002345678',
    national: '8002345678',
    countryCode: '+1',
    region: 'US',
    type: 'TOLL_FREE',
    refusal: 'type',
  },
  {
    label: 'India toll-free 1800',
    e164: '+9118001234567',
    // National, as an Indian caller types it: the tenant's default region (IN) applies.
    raw: '18001234567',
    national: '18001234567',
    countryCode: 'IN',
    region: 'IN',
    type: 'TOLL_FREE',
    refusal: 'type',
  },
  {
    label: 'UK premium rate 09',
    e164: '+449098790000',
    raw: '+449098790000',
    national: '09098790000',
    countryCode: 'GB',
    region: 'GB',
    type: 'PREMIUM_RATE',
    refusal: 'type',
  },
  {
    label: 'UK 0845',
    e164: '+448454646000',
    raw: '+448454646000',
    national: '08454646000',
    countryCode: '44',
    region: 'GB',
    type: 'PREMIUM_RATE',
    refusal: 'type',
  },
  {
    label: 'Jamaica mobile +1 876',
    e164: '+18762345678',
    raw: '+18762345678',
    national: '8762345678',
    countryCode: '+1',
    region: 'JM',
    type: 'MOBILE',
    refusal: 'region',
  },
  {
    label: 'Dominican Republic +1 809',
    e164: '+18092345678',
    raw: '+18092345678',
    national: '8092345678',
    countryCode: '1',
    region: 'DO',
    type: 'FIXED_LINE_OR_MOBILE',
    refusal: 'region',
  },
  {
    label: 'Jersey mobile +44 7797',
    e164: '+447797123456',
    raw: '+447797123456',
    national: '07797123456',
    countryCode: 'GB',
    region: 'JE',
    type: 'MOBILE',
    refusal: 'region',
  },
  {
    label: 'Guernsey mobile +44 7911',
    e164: '+447911123456',
    raw: '+447911123456',
    national: '07911123456',
    countryCode: '+44',
    region: 'GG',
    type: 'MOBILE',
    refusal: 'region',
  },
  {
    label: 'Isle of Man mobile +44 7624',
    e164: '+447624123456',
    raw: '+447624123456',
    national: '07624123456',
    countryCode: 'GB',
    region: 'IM',
    type: 'MOBILE',
    refusal: 'region',
  },
];

/** Allowed controls: the same requests to these are accepted and sent. */
const IN_MOBILE = { e164: '+919955882233', national: '9955882233', countryCode: 'IN' };
const US_NUMBER = { e164: '+14155552671', national: '4155552671', countryCode: 'US' };
/** A London fixed line: voice may go to it, SMS and WhatsApp may not. */
const UK_FIXED_LINE = '+442079460000';

const cases = REFUSED.map((n) => [n.label, n] as const);

const WRITE_COMMANDS = [
  'PutItemCommand',
  'UpdateItemCommand',
  'DeleteItemCommand',
  'TransactWriteItemsCommand',
  'BatchWriteItemCommand',
];

const sortedItems = async (h: Harness) =>
  (await scanItems(h.ddb, h.tableName)).sort((a, b) => `${a.pk}|${a.sk}`.localeCompare(`${b.pk}|${b.sk}`));

/**
 * Runs one request and reports what it answered, the messages the recording senders got, the
 * write commands it sent to DynamoDB (a write rolled back later would still show here) and the
 * table before and after.
 */
const observe = async (h: Harness, call: () => Promise<Answer>) => {
  const before = await sortedItems(h);
  const sentBefore = h.sent.length;
  h.requests.reset();
  const res = await call();
  const writes = WRITE_COMMANDS.filter((c) => (h.requests.counts[c] ?? 0) > 0);
  const sent = h.sent.slice(sentBefore).map((m) => [m.channel, m.to]);
  const after = await sortedItems(h);
  return { res, sent, writes, before, after };
};

/** A refused request: `status` and `body` exactly, nothing sent, nothing written. */
const expectRefused = (o: Awaited<ReturnType<typeof observe>>, body: unknown, status = 400) => {
  expect({ status: o.res.status, body: o.res.body }).toEqual({ status, body });
  expect(o.sent).toEqual([]);
  expect(o.writes).toEqual([]);
  expect(o.after).toEqual(o.before);
};

describe('security › number policy (DynamoDB Local, dialect handlers)', () => {
  it('uses numbers whose region and type libphonenumber-js/max reads as the table says', () => {
    for (const n of REFUSED) {
      const parsed = parsePhoneNumberFromString(n.e164);
      expect([n.label, parsed?.isValid(), parsed?.country, parsed?.getType()]).toEqual([
        n.label,
        true,
        n.region,
        n.type,
      ]);
      const regionAllowed = DEFAULT_POLICY.allowedRegions.includes(n.region);
      expect([n.label, regionAllowed ? 'type' : 'region']).toEqual([n.label, n.refusal]);
    }
    expect(parsePhoneNumberFromString(IN_MOBILE.e164)?.getType()).toBe('MOBILE');
    expect(parsePhoneNumberFromString(US_NUMBER.e164)?.country).toBe('US');
    const fixed = parsePhoneNumberFromString(UK_FIXED_LINE);
    expect([fixed?.country, fixed?.getType()]).toEqual(['GB', 'FIXED_LINE']);
  });

  describe('capillary-v2 › /v2/otp/generate', () => {
    let h: Harness;
    let post: (body: unknown) => Promise<Answer>;
    beforeAll(async () => {
      h = await appHarness({ tenant: defaultPolicyTenant() });
      const handler = capillaryV2Handler(h.deps);
      post = (body) =>
        invoke(handler, apiEvent('POST', '/v2/otp/generate', { body, headers: { authorization: h.basic } }));
    });

    const v2Refusal = (n: RefusedNumber) => ({
      errors: [
        {
          code: 8056,
          message: n.refusal === 'type' ? 'Invalid mobile' : 'Invalid mobile: country not allowed',
        },
      ],
      warnings: [],
    });
    /**
     * The request bodies, each for one number and one customer. Every case has its own customer,
     * so that if a refused number were accepted, the next case would not be refused by the resend
     * gap of its code (a 429) but show what it sends.
     */
    const bodies: Array<[string, (n: RefusedNumber, customer: string) => Record<string, unknown>]> = [
      [
        'a MOBILE entity (SMS)',
        (n) => ({ entityType: 'MOBILE', entityValue: n.raw, action: 'REGISTRATION' }),
      ],
      [
        'an SMS channel',
        (n, customer) => ({
          entityType: 'EMAIL',
          entityValue: customer,
          action: 'REGISTRATION',
          channels: [{ type: 'SMS', value: n.raw }],
        }),
      ],
      [
        'a PHONE (voice) channel',
        (n, customer) => ({
          entityType: 'EMAIL',
          entityValue: customer,
          action: 'REGISTRATION',
          channels: [{ type: 'PHONE', value: n.raw }],
        }),
      ],
      [
        'a WHATSAPP channel',
        (n, customer) => ({
          entityType: 'EMAIL',
          entityValue: customer,
          action: 'REGISTRATION',
          whatsappTemplateName: 'otp_template',
          channels: [{ type: 'WHATSAPP', value: n.raw }],
        }),
      ],
      [
        // One refused channel refuses the request: not even the e-mail goes out.
        'an SMS channel beside an allowed e-mail channel',
        (n, customer) => ({
          entityType: 'EMAIL',
          entityValue: customer,
          action: 'REGISTRATION',
          channels: [
            { type: 'EMAIL', value: customer },
            { type: 'SMS', value: n.raw },
          ],
        }),
      ],
    ];

    describe.each(bodies.map(([label, bodyOf], i) => [label, bodyOf, i] as const))(
      'with %s',
      (_, bodyOf, i) => {
        it.each(cases)('refuses %s with 400 8056, sending and writing nothing', async (_label, n) => {
          const customer = `customer-${i}-${n.e164.slice(1)}@example.com`;
          expectRefused(await observe(h, () => post(bodyOf(n, customer))), v2Refusal(n));
        });
      },
    );

    it('accepts the same requests to allowed numbers (controls)', async () => {
      // A customer per request, so the controls do not meet each other's resend gap.
      const controls: Array<[Record<string, unknown>, string[][]]> = [
        [
          { entityType: 'MOBILE', entityValue: IN_MOBILE.national, action: 'REGISTRATION' },
          [['SMS', IN_MOBILE.e164]],
        ],
        [
          { entityType: 'MOBILE', entityValue: US_NUMBER.e164, action: 'REGISTRATION' },
          [['SMS', US_NUMBER.e164]],
        ],
        ...bodies.slice(1).map(([, bodyOf], i): [Record<string, unknown>, string[][]] => {
          const email = `control-${i}@example.com`;
          const body = bodyOf({ raw: IN_MOBILE.national } as RefusedNumber, email);
          const expected = (body.channels as Array<{ type: string; value: string }>).map((c) =>
            c.type === 'EMAIL' ? ['EMAIL', email] : [c.type === 'PHONE' ? 'VOICE' : c.type, IN_MOBILE.e164],
          );
          return [body, expected];
        }),
      ];
      for (const [body, expected] of controls) {
        const o = await observe(h, () => post(body));
        expect([body, o.res.status, o.res.body.warnings]).toEqual([body, 200, []]);
        expect(o.sent).toEqual(expected);
        expect(o.writes).toContain('TransactWriteItemsCommand');
      }
    });

    it('lets voice go to a UK fixed line but refuses SMS and WhatsApp to it', async () => {
      const base = { entityType: 'EMAIL', action: 'GENERIC', whatsappTemplateName: 'otp_template' };
      const refusal = { errors: [{ code: 8056, message: 'Invalid mobile' }], warnings: [] };
      expectRefused(
        await observe(h, () => post({ entityType: 'MOBILE', entityValue: UK_FIXED_LINE, action: 'GENERIC' })),
        refusal,
      );
      for (const type of ['SMS', 'WHATSAPP']) {
        expectRefused(
          await observe(h, () =>
            post({ ...base, entityValue: 'fixed@example.com', channels: [{ type, value: UK_FIXED_LINE }] }),
          ),
          refusal,
        );
      }
      const voice = await observe(h, () =>
        post({
          ...base,
          entityValue: 'fixed@example.com',
          channels: [{ type: 'PHONE', value: UK_FIXED_LINE }],
        }),
      );
      expect(voice.res).toMatchObject({ status: 200, body: { warnings: [] } });
      expect(voice.sent).toEqual([['VOICE', UK_FIXED_LINE]]);
    });
  });

  describe('capillary-v2 › a tenant with legacy allowedCountryCodes ["1"]', () => {
    it('allows +1 415 (US) and refuses +1 876 (Jamaica) and +1 809 (Dominican Republic)', async () => {
      const legacy = tenantSchema.parse({
        tenantId: 'legacy-nanp',
        name: 'Legacy tenant',
        policy: { allowedCountryCodes: ['1'] },
      });
      // The dialling code 1 meant its main market, not the 25 regions of the plan.
      expect(legacy.policy.allowedRegions).toEqual(['US', 'CA']);
      expect(legacy.policy).not.toHaveProperty('allowedCountryCodes');
      const h = await appHarness({ tenant: { policy: legacy.policy } as never });
      expect(h.tenant.policy.allowedRegions).toEqual(['US', 'CA']);
      const handler = capillaryV2Handler(h.deps);
      const generate = (entityValue: string) =>
        invoke(
          handler,
          apiEvent('POST', '/v2/otp/generate', {
            body: { entityType: 'MOBILE', entityValue, action: 'REGISTRATION' },
            headers: { authorization: h.basic },
          }),
        );
      const country = {
        errors: [{ code: 8056, message: 'Invalid mobile: country not allowed' }],
        warnings: [],
      };
      for (const refused of ['+18762345678', '+18092345678']) {
        expectRefused(await observe(h, () => generate(refused)), country);
      }
      const us = await observe(h, () => generate(US_NUMBER.e164));
      expect(us.res).toMatchObject({ status: 200, body: { warnings: [] } });
      expect(us.sent).toEqual([['SMS', US_NUMBER.e164]]);
    });
  });

  describe('loginradius › POST /identity/v2/manage/account/smsotp/forgotpassword', () => {
    const APIKEY = 'lr-policy-apikey';
    const APISECRET = 'lr-policy-apisecret-0123456789abcdef';
    let h: Harness;
    let forgot: (phone: string) => Promise<Answer>;
    beforeAll(async () => {
      h = await appHarness({ tenant: defaultPolicyTenant() });
      await h.tenants.putCredential('loginradius-apikey', APIKEY, h.tenant.tenantId, APISECRET);
      const handler = loginRadiusHandler(h.deps);
      forgot = (Phone) =>
        invoke(
          handler,
          apiEvent('POST', '/identity/v2/manage/account/smsotp/forgotpassword', {
            body: { Phone },
            query: { apikey: APIKEY, apisecret: APISECRET },
          }),
        );
    });

    it.each(cases)('refuses %s with 400 908, sending and writing nothing', async (_label, n) => {
      expectRefused(await observe(h, () => forgot(n.raw)), {
        Description:
          n.refusal === 'type'
            ? 'The phone number is not valid, please use a valid phone number with its country code.'
            : "SMS to this phone number's country is not enabled for this site.",
        ErrorCode: 908,
        Message: 'A parameter is not formatted correctly',
        IsProviderError: false,
        ProviderErrorResponse: null,
      });
    });

    it('accepts allowed numbers (controls)', async () => {
      for (const phone of [IN_MOBILE.e164, US_NUMBER.e164]) {
        const o = await observe(h, () => forgot(phone));
        expect(o.res.status).toBe(200);
        expect(Object.keys(o.res.body).sort()).toEqual(['ExpiresIn', 'Token']);
        expect(o.sent).toEqual([['SMS', phone]]);
      }
    });
  });

  describe('app-otp › /fe/users/auth/otp/register', () => {
    const ISSUER = 'https://id.number-policy.test';
    const HS_SECRET = 'hs256-secret-for-number-policy-0123456789';
    let h: Harness;
    let register: (body: unknown) => Promise<Answer>;
    beforeAll(async () => {
      h = await appHarness({
        tenant: defaultPolicyTenant({
          jwt: { issuer: ISSUER, hs256Secret: HS_SECRET, maxTokenAgeSeconds: 3600 },
        }),
      });
      const handler = appOtpHandler(h.deps);
      const token = await new SignJWT({ sub: 'user-1' })
        .setProtectedHeader({ alg: 'HS256' })
        .setIssuer(ISSUER)
        // Issued on the harness clock, which the verifier reads.
        .setIssuedAt(Math.floor(h.clock.now() / 1000))
        .setExpirationTime(Math.floor(h.clock.now() / 1000) + 3600)
        .sign(new TextEncoder().encode(HS_SECRET));
      register = (body) =>
        invoke(
          handler,
          apiEvent('POST', '/fe/users/auth/otp/register', { body, headers: { 'user-jwt-token': token } }),
        );
    });

    it.each(cases)('refuses %s with 400, sending and writing nothing', async (_label, n) => {
      const o = await observe(h, () => register({ phone_number: n.national, countryCode: n.countryCode }));
      expectRefused(o, { message: n.refusal === 'type' ? 'INVALID_PHONE_NUMBER' : 'COUNTRY_NOT_SUPPORTED' });
    });

    it('refuses them as E.164 numbers with their dialling code too', async () => {
      // Past the resend gap: were the numbers accepted above, this would show a send, not a 429.
      h.clock.advance(60_000);
      for (const n of REFUSED) {
        const countryCode = `+${parsePhoneNumberFromString(n.e164)?.countryCallingCode}`;
        const o = await observe(h, () => register({ phone_number: n.e164, countryCode }));
        expectRefused(o, {
          message: n.refusal === 'type' ? 'INVALID_PHONE_NUMBER' : 'COUNTRY_NOT_SUPPORTED',
        });
      }
    });

    it('accepts allowed numbers (controls)', async () => {
      for (const n of [IN_MOBILE, US_NUMBER]) {
        const o = await observe(h, () => register({ phone_number: n.national, countryCode: n.countryCode }));
        expect(o.res).toMatchObject({ status: 200, body: { authCode: expect.stringMatching(/^\d{4}$/) } });
        expect(o.sent).toEqual([['SMS', n.e164]]);
      }
    });
  });

  describe('capillary-auth › token/generate, then otp/generate (MOBILE, anonymous)', () => {
    const BRAND = 'POLICYAPP';
    let h: Harness;
    let post: (path: string, body: unknown) => Promise<Answer>;
    beforeAll(async () => {
      h = await appHarness({ tenant: defaultPolicyTenant({ brands: { [BRAND]: {} } }) });
      await putBrandPointer(h.deps, BRAND, h.tenant.tenantId);
      await h.tenants.putContact(h.tenant.tenantId, {
        userId: 'pat',
        phone: '+19002345678',
        email: 'pat@example.com',
      });
      const handler = capillaryAuthHandler(h.deps);
      post = (path, body) => invoke(handler, apiEvent('POST', path, { body }));
    });

    const request = (identifierType: string, identifierValue: string) => ({
      identifierType,
      identifierValue,
      deviceId: 'device-1',
      brand: BRAND,
    });
    /** token/generate: the session is made before any number policy applies (see below). */
    const session = async (identifierType: string, identifierValue: string) => {
      const res = await post('/auth/v1/token/generate', request(identifierType, identifierValue));
      expect(res).toMatchObject({ status: 200, body: { status: { success: true, code: 200 } } });
      return (res.body.user as { sessionId: string }).sessionId;
    };

    it.each(cases)(
      'refuses %s at otp/generate with 400 1540, sending and writing nothing',
      async (_label, n) => {
        // token/generate does not apply the number policy: it only parses the identifier and
        // writes a session (nothing is sent and nothing is charged). The refusal comes at
        // otp/generate, the request that would send; that request writes nothing.
        const sessionId = await session('MOBILE', n.raw);
        const o = await observe(h, () =>
          post('/auth/v1/otp/generate', { ...request('MOBILE', n.raw), sessionId }),
        );
        expectRefused(o, {
          status: {
            success: false,
            code: 1540,
            message:
              n.refusal === 'type'
                ? 'Either mobile or email is required to send OTP'
                : 'Either mobile or email is required to send OTP: country not allowed',
          },
        });
      },
    );

    it('answers a USERNAME whose contact phone is premium-rate as a success, and sends nothing to that phone', async () => {
      // A USERNAME never learns why nothing was sent to the phone (a refusal would tell the user
      // exists). A phone the number policy refuses counts as no phone: the contact's e-mail takes
      // the code (without one, the decoy runs), so the requests are those of any other send.
      const sessionId = await session('USERNAME', 'pat');
      const o = await observe(h, () =>
        post('/auth/v1/otp/generate', { ...request('USERNAME', 'pat'), sessionId }),
      );
      expect({ status: o.res.status, body: o.res.body }).toEqual({
        status: 200,
        body: { status: { success: true, code: 200, message: 'SUCCESS' } },
      });
      expect(o.sent).toEqual([['EMAIL', 'pat@example.com']]);
    });

    it('accepts allowed numbers (controls)', async () => {
      for (const n of [IN_MOBILE, US_NUMBER]) {
        const value = n === IN_MOBILE ? n.national : n.e164;
        const sessionId = await session('MOBILE', value);
        const o = await observe(h, () =>
          post('/auth/v1/otp/generate', { ...request('MOBILE', value), sessionId }),
        );
        expect({ status: o.res.status, body: o.res.body }).toEqual({
          status: 200,
          body: { status: { success: true, code: 200, message: 'SUCCESS' } },
        });
        expect(o.sent).toEqual([['SMS', n.e164]]);
      }
    });
  });

  describe('summitai › ADM_GenerateOTP (contacts directory)', () => {
    let h: Harness;
    let generate: (userId: string) => Promise<Answer>;
    const userIdOf = (i: number) => String(5000 + i);
    beforeAll(async () => {
      h = await appHarness({ tenant: defaultPolicyTenant() });
      await seedDemo(h.tenants, h.tenant.tenantId);
      for (const [i, n] of REFUSED.entries()) {
        await h.tenants.putContact(h.tenant.tenantId, {
          userId: userIdOf(i),
          phone: n.e164,
          email: `user${i}@example.com`,
        });
      }
      await h.tenants.putContact(h.tenant.tenantId, { userId: '4999', phone: '+19002345678' });
      const handler = summitAiHandler(h.deps);
      generate = (userId) =>
        invoke(
          handler,
          apiEvent('POST', '/adm/service', {
            body: {
              ...SEED_GENERATE,
              objCommonParameters: {
                ...SEED_GENERATE.objCommonParameters,
                objUserInformation: { DomainId: 1, UserID: userId, LoginUID: 0, UserName: 'abcd' },
              },
            },
          }),
        );
    });
    const summitMessage = (refusal: Refusal) =>
      refusal === 'type'
        ? 'The registered mobile number of the user is not valid'
        : 'The mobile number of the user is in a country this organisation does not send to';

    // The tenant sends to BOTH contacts (the default): the generate is refused as a whole, so the
    // user's e-mail does not get the code either. Nothing is sent to the number.
    it.each(REFUSED.map((n, i) => [n.label, n, i] as const))(
      'refuses a user whose stored phone is %s, sending neither SMS nor e-mail',
      async (_label, n, i) => {
        expectRefused(await observe(h, () => generate(userIdOf(i))), summitRefusal(summitMessage(n.refusal)));
      },
    );

    it('refuses a user whose only contact is a premium-rate phone', async () => {
      expectRefused(await observe(h, () => generate('4999')), summitRefusal(summitMessage('type')));
    });

    it('sends to the e-mail and phone of a user with an allowed phone (control)', async () => {
      const o = await observe(h, () => generate(SUMMITAI_DEMO.user.userId));
      expect(o.res).toMatchObject({ status: 200, body: { Errors: '' } });
      expect(o.sent).toEqual([
        ['EMAIL', SUMMITAI_DEMO.user.email],
        ['SMS', SUMMITAI_DEMO.user.phone],
      ]);
    });
  });
});
