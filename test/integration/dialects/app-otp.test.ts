import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { exportJWK, generateKeyPair, type JWTPayload, SignJWT } from 'jose';
import { createHandler } from '../../../functions/app-otp';
import { demoCurl, demoTenantPatch, demoUserToken } from '../../../local/demo/app-otp';
import { LOCAL_AWS } from '../../../local/dynamo-local';
import type { Tenant } from '../../../shared/tenants';
import { apiEvent, appHarness, invoke } from '../../support/app-harness';
import { lastCode, scanItems, wrongCodeFor } from '../../support/harness';

const ISSUER = 'https://id.app-otp.test';
const AUDIENCE = 'app-otp-tests';
const HS_SECRET = 'hs256-secret-for-app-otp-tests-0123456789';
const PHONE = '+919876543219';

/** The seed's three example bodies, as written. */
const SEED = {
  register: { phone_number: '1234567890', countryCode: 'XX' },
  verify: { phone_number: '1234567890', countryCode: 'XX', authCode: 1234, otp: 5678 },
  resend: { phone_number: '9876543219', countryCode: '+91' },
};

/**
 * A JWT signed with the tenant's HS256 secret, issued at `nowMs` (the harness clock's time: the
 * verifier reads that clock) and valid for an hour, the default `maxTokenAgeSeconds`; `claims`
 * and `options` override the defaults.
 */
const hsToken = async (
  nowMs: number,
  claims: JWTPayload = {},
  options: { secret?: string; issuer?: string; audience?: string } = {},
) => {
  const iat = Math.floor(nowMs / 1000);
  return new SignJWT({ sub: 'user-1', ...claims })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer(options.issuer ?? ISSUER)
    .setAudience(options.audience ?? AUDIENCE)
    .setIssuedAt(iat)
    .setExpirationTime(iat + 3600)
    .sign(new TextEncoder().encode(options.secret ?? HS_SECRET));
};

const b64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** `alg: none` cannot be made with jose's SignJWT: build it by hand, with an empty signature. */
const unsignedToken = () =>
  `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url({
    sub: 'user-1',
    iss: ISSUER,
    aud: AUDIENCE,
    exp: Math.floor(Date.now() / 1000) + 600,
  })}.`;

const setup = async (
  options: {
    tenant?: Omit<Partial<Tenant>, 'policy'> & { policy?: Partial<Tenant['policy']> };
    fail?: ['SMS'];
  } = {},
) => {
  const h = await appHarness({
    tenant: {
      jwt: { issuer: ISSUER, audience: AUDIENCE, hs256Secret: HS_SECRET },
      ...options.tenant,
    } as Partial<Tenant>,
    ...(options.fail ? { fail: options.fail } : {}),
  });
  const handler = createHandler(h.deps);
  const token = await hsToken(h.clock.now());
  const post = (path: string, body: unknown, jwt: string | null = token) =>
    invoke(handler, apiEvent('POST', path, { body, headers: jwt === null ? {} : { 'user-jwt-token': jwt } }));
  const register = (body: unknown = SEED.resend, jwt?: string | null) =>
    post('/fe/users/auth/otp/register', body, jwt);
  const resend = (body: unknown = SEED.resend, jwt?: string | null) =>
    post('/fe/users/auth/otp/resend', body, jwt);
  const verify = (body: unknown, jwt?: string | null) => post('/fe/users/auth/otp/verify', body, jwt);
  const itemCount = async () => (await scanItems(h.ddb, h.tableName)).length;
  return { ...h, handler, token, post, register, resend, verify, itemCount };
};

type Setup = Awaited<ReturnType<typeof setup>>;

/** Registers the seed's resend phone and returns the authCode and the code the SMS carried. */
const registered = async (t: Setup, jwt?: string) => {
  const res = await t.register(SEED.resend, jwt);
  expect(res.status).toBe(200);
  return { authCode: String(res.body.authCode), otp: lastCode(t.sent), isNewUser: res.body.isNewUser };
};

describe('app-otp', () => {
  describe('register', () => {
    it('sends one SMS and answers a 4-digit authCode with isNewUser true', async () => {
      const t = await setup();
      const res = await t.register();
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ authCode: expect.stringMatching(/^\d{4}$/), isNewUser: true });
      expect(t.sent).toHaveLength(1);
      expect(t.sent[0]).toMatchObject({ channel: 'SMS', to: PHONE });
      expect(t.sent[0]?.text).toContain(t.sent[0]?.code);
      expect(JSON.stringify(res.body)).not.toContain(t.sent[0]?.code);
    });

    it.each([
      ['an ISO region', { phone_number: '9876543219', countryCode: 'IN' }],
      ['a lower-case ISO region', { phone_number: '9876543219', countryCode: 'in' }],
      ['a dialling code with +', { phone_number: '9876543219', countryCode: '+91' }],
      ['a dialling code without +', { phone_number: '9876543219', countryCode: '91' }],
      ['a number as a JSON number', { phone_number: 9876543219, countryCode: '+91' }],
      ['a number with the country code', { phone_number: '919876543219', countryCode: 'IN' }],
      ['an E.164 number', { phone_number: '+91 98765 43219', countryCode: '91' }],
      ['a national number with trunk 0', { phone_number: '09876543219', countryCode: 'IN' }],
    ])('accepts %s', async (_, body) => {
      const t = await setup();
      const res = await t.register(body);
      expect(res.status).toBe(200);
      expect(t.sent.map((m) => m.to)).toEqual([PHONE]);
    });

    it('uses the tenant’s register template', async () => {
      const t = await setup({
        tenant: { templates: { register: { sms: 'Your MyApp code: {{ validation_code }}' } } },
      });
      await t.register();
      expect(t.sent[0]?.text).toBe(`Your MyApp code: ${t.sent[0]?.code}`);
    });

    it('falls back to the built-in text when the tenant template has no placeholder', async () => {
      const t = await setup({ tenant: { templates: { register: { sms: 'No code here' } } } });
      expect((await t.register()).status).toBe(200);
      expect(t.sent[0]?.text).toBe(`Hi user.Your otp for validation is ${t.sent[0]?.code}.`);
    });

    it.each([
      ['the seed example as written (countryCode "XX")', SEED.register, 'INVALID_COUNTRY_CODE'],
      [
        'an unknown dialling code',
        { phone_number: '9876543219', countryCode: '+999' },
        'INVALID_COUNTRY_CODE',
      ],
      [
        'a countryCode that is neither',
        { phone_number: '9876543219', countryCode: 'India' },
        'INVALID_COUNTRY_CODE',
      ],
      ['a missing countryCode', { phone_number: '9876543219' }, 'INVALID_COUNTRY_CODE'],
      ['a missing phone_number', { countryCode: 'IN' }, 'INVALID_PHONE_NUMBER'],
      ['a too short number', { phone_number: '12', countryCode: 'IN' }, 'INVALID_PHONE_NUMBER'],
      ['letters', { phone_number: 'call me', countryCode: 'IN' }, 'INVALID_PHONE_NUMBER'],
      [
        'a number invalid in its region',
        { phone_number: '5551234567', countryCode: 'IN' },
        'INVALID_PHONE_NUMBER',
      ],
      ['a fixed-line number', { phone_number: '1234567890', countryCode: 'IN' }, 'INVALID_PHONE_NUMBER'],
      ['a premium-rate number', { phone_number: '9002345678', countryCode: 'US' }, 'INVALID_PHONE_NUMBER'],
      [
        'a number of another country',
        { phone_number: '+14155550123', countryCode: '+91' },
        'INVALID_PHONE_NUMBER',
      ],
      ['a phone_number of the wrong type', { phone_number: true, countryCode: 'IN' }, 'INVALID_PHONE_NUMBER'],
      ['a body that is not an object', [1, 2], 'INVALID_REQUEST'],
      ['malformed JSON', '{"phone_number":', 'INVALID_REQUEST'],
    ])('returns 400 for %s and sends nothing', async (_, body, message) => {
      const t = await setup();
      const before = await t.itemCount();
      const res = await t.register(body);
      expect(res).toMatchObject({ status: 400, body: { message } });
      expect(Object.keys(res.body)).toEqual(['message']);
      expect(t.sent).toHaveLength(0);
      expect(await t.itemCount()).toBe(before);
    });

    it('returns 400 COUNTRY_NOT_SUPPORTED for a valid number outside the tenant’s allowed countries', async () => {
      const t = await setup();
      const res = await t.register({ phone_number: '7400123456', countryCode: 'GB' });
      expect(res).toMatchObject({ status: 400, body: { message: 'COUNTRY_NOT_SUPPORTED' } });
      expect(t.sent).toHaveLength(0);
    });

    it('returns 429 TOO_MANY_REQUESTS with retry-after inside the resend gap', async () => {
      const t = await setup();
      await t.register();
      const res = await t.register();
      expect(res).toMatchObject({ status: 429, body: { message: 'TOO_MANY_REQUESTS' } });
      expect(Number(res.headers?.['retry-after'])).toBeGreaterThan(0);
      expect(t.sent).toHaveLength(1);
    });

    it('gives two users of one phone separate codes while the daily limit counts per phone', async () => {
      const t = await setup({ tenant: { policy: { maxDailySendsPerDestination: 2 } } });
      const other = await hsToken(t.clock.now(), { sub: 'user-2' });
      const first = await registered(t);
      const second = await registered(t, other);
      expect(t.sent).toHaveLength(2);
      // user-2's code does not verify user-1's challenge, and the reverse.
      const crossed = await t.verify({ ...SEED.resend, authCode: second.authCode, otp: second.otp });
      expect(crossed.status).toBe(400);
      const third = await t.register(SEED.resend, await hsToken(t.clock.now(), { sub: 'user-3' }));
      expect(third).toMatchObject({ status: 429, body: { message: 'TOO_MANY_REQUESTS' } });
      expect(t.sent).toHaveLength(2);
      const ok = await t.verify({ ...SEED.resend, authCode: first.authCode, otp: first.otp });
      expect(ok.status).toBe(200);
    });

    it('returns 503 OTP_DELIVERY_FAILED when the SMS provider fails, and charges nothing', async () => {
      const t = await setup({ fail: ['SMS'] });
      const res = await t.register();
      expect(res).toMatchObject({ status: 503, body: { message: 'OTP_DELIVERY_FAILED' } });
      expect(t.sent).toHaveLength(0);
      const items = await scanItems(t.ddb, t.tableName);
      expect(items.filter((i) => String(i.sk).startsWith('CH#'))).toHaveLength(0);
      expect(items.filter((i) => Number(i.sends ?? 0) > 0)).toHaveLength(0);
    });

    it('returns 503 SERVICE_UNAVAILABLE when the table cannot be reached, and sends nothing', async () => {
      const t = await setup();
      const down = new DynamoDBClient({ ...LOCAL_AWS, endpoint: 'http://127.0.0.1:9', maxAttempts: 1 });
      const handler = createHandler({ ...t.deps, ddb: down });
      const res = await invoke(
        handler,
        apiEvent('POST', '/fe/users/auth/otp/register', {
          body: SEED.resend,
          headers: { 'user-jwt-token': t.token },
        }),
      );
      expect(res).toMatchObject({ status: 503, body: { message: 'SERVICE_UNAVAILABLE' } });
      expect(t.sent).toHaveLength(0);
    });
  });

  describe('resend', () => {
    it('accepts the seed example as written and re-sends the same code and authCode within expiry', async () => {
      const t = await setup();
      const first = await registered(t);
      t.clock.advance(31_000);
      const res = await t.resend(SEED.resend);
      expect(res).toMatchObject({ status: 200, body: { authCode: first.authCode, isNewUser: true } });
      expect(t.sent).toHaveLength(2);
      expect(lastCode(t.sent)).toBe(first.otp);
    });

    it('issues a fresh code and authCode when no code is live', async () => {
      const t = await setup();
      const res = await t.resend();
      expect(res).toMatchObject({
        status: 200,
        body: { authCode: expect.stringMatching(/^\d{4}$/), isNewUser: true },
      });
      expect(t.sent).toHaveLength(1);
      const ok = await t.verify({ ...SEED.resend, authCode: res.body.authCode, otp: lastCode(t.sent) });
      expect(ok.status).toBe(200);
    });

    it('issues a fresh code after expiry, and the new pair verifies', async () => {
      const t = await setup();
      await registered(t);
      t.clock.advance(601_000);
      const res = await t.resend();
      expect(res.status).toBe(200);
      expect(t.sent).toHaveLength(2);
      const ok = await t.verify({ ...SEED.resend, authCode: res.body.authCode, otp: lastCode(t.sent) });
      expect(ok.status).toBe(200);
    });

    it('returns 401 UN_AUTHORIZED without a token', async () => {
      const t = await setup();
      const res = await t.resend(SEED.resend, '');
      expect(res).toEqual({ status: 401, body: { message: 'UN_AUTHORIZED' }, headers: expect.anything() });
      expect(t.sent).toHaveLength(0);
    });
  });

  describe('verify', () => {
    it('verifies with strings, answers the seed message and turns isNewUser false for this user only', async () => {
      const t = await setup();
      const { authCode, otp } = await registered(t);
      const res = await t.verify({ ...SEED.resend, authCode, otp });
      expect(res).toEqual({
        status: 200,
        body: { message: 'Phone number verified successfully' },
        headers: expect.objectContaining({ 'cache-control': 'no-store' }),
      });
      t.clock.advance(31_000);
      expect((await t.register()).body.isNewUser).toBe(false);
      expect(
        (await t.register(SEED.resend, await hsToken(t.clock.now(), { sub: 'user-2' }))).body.isNewUser,
      ).toBe(true);
      // The record names neither the phone nor the user.
      const table = JSON.stringify(await scanItems(t.ddb, t.tableName));
      expect(table).not.toContain('9876543219');
      expect(table).not.toContain('user-1');
    });

    it('accepts authCode and otp as JSON numbers, as in the seed example', async () => {
      const t = await setup();
      const { authCode, otp } = await registered(t);
      const ok = await t.verify({
        phone_number: 9876543219,
        countryCode: 91,
        authCode: Number(authCode),
        otp: Number(otp),
      });
      expect(ok).toMatchObject({ status: 200, body: { message: 'Phone number verified successfully' } });
    });

    it('refuses the seed example as written (countryCode "XX") with 400 INVALID_COUNTRY_CODE', async () => {
      const t = await setup();
      const res = await t.verify(SEED.verify);
      expect(res).toMatchObject({ status: 400, body: { message: 'INVALID_COUNTRY_CODE' } });
    });

    it('returns 400 INVALID_OTP for the seed example’s numbers against a live code', async () => {
      const t = await setup();
      const { authCode, otp } = await registered(t);
      const res = await t.verify({ ...SEED.verify, ...SEED.resend });
      expect(res).toMatchObject({ status: 400, body: { message: 'INVALID_OTP' } });
      // Not consumed: the right pair still works.
      expect((await t.verify({ ...SEED.resend, authCode, otp })).status).toBe(200);
    });

    it('counts a wrong authCode as a wrong attempt, up to OTP_ATTEMPTS_EXCEEDED', async () => {
      const t = await setup({ tenant: { policy: { maxAttemptsPerCode: 2 } } });
      const { authCode, otp } = await registered(t);
      const wrongAuth = String((Number(authCode) + 1) % 10_000).padStart(4, '0');
      const first = await t.verify({ ...SEED.resend, authCode: wrongAuth, otp });
      expect(first).toMatchObject({ status: 400, body: { message: 'INVALID_OTP' } });
      const second = await t.verify({ ...SEED.resend, authCode, otp: wrongCodeFor(otp) });
      expect(second).toMatchObject({ status: 400, body: { message: 'INVALID_OTP' } });
      const third = await t.verify({ ...SEED.resend, authCode, otp });
      expect(third).toMatchObject({ status: 400, body: { message: 'OTP_ATTEMPTS_EXCEEDED' } });
    });

    it('returns 400 OTP_EXPIRED after the code’s lifetime', async () => {
      const t = await setup();
      const { authCode, otp } = await registered(t);
      t.clock.advance(601_000);
      const res = await t.verify({ ...SEED.resend, authCode, otp });
      expect(res).toMatchObject({ status: 400, body: { message: 'OTP_EXPIRED' } });
    });

    it('returns 400 OTP_NOT_FOUND with no code, after a success, and for another user’s code', async () => {
      const t = await setup();
      const none = await t.verify({ ...SEED.resend, authCode: '1234', otp: '123456' });
      expect(none).toMatchObject({ status: 400, body: { message: 'OTP_NOT_FOUND' } });
      const { authCode, otp } = await registered(t);
      const stranger = await t.verify(
        { ...SEED.resend, authCode, otp },
        await hsToken(t.clock.now(), { sub: 'user-2' }),
      );
      expect(stranger).toMatchObject({ status: 400, body: { message: 'OTP_NOT_FOUND' } });
      expect((await t.verify({ ...SEED.resend, authCode, otp })).status).toBe(200);
      const again = await t.verify({ ...SEED.resend, authCode, otp });
      expect(again).toMatchObject({ status: 400, body: { message: 'OTP_NOT_FOUND' } });
    });

    it('returns 429 PHONE_NUMBER_LOCKED on verify and register after the day’s failures', async () => {
      const t = await setup({ tenant: { policy: { maxDailyFailuresPerDestination: 2 } } });
      const { authCode, otp } = await registered(t);
      for (let i = 0; i < 2; i++) await t.verify({ ...SEED.resend, authCode, otp: wrongCodeFor(otp) });
      const locked = await t.verify({ ...SEED.resend, authCode, otp });
      expect(locked).toMatchObject({ status: 429, body: { message: 'PHONE_NUMBER_LOCKED' } });
      t.clock.advance(601_000);
      const sentBefore = t.sent.length;
      const register = await t.register();
      expect(register).toMatchObject({ status: 429, body: { message: 'PHONE_NUMBER_LOCKED' } });
      expect(t.sent).toHaveLength(sentBefore);
    });

    it.each([
      ['a missing otp', { ...SEED.resend, authCode: '1234' }],
      ['a missing authCode', { ...SEED.resend, otp: '123456' }],
      ['an otp object', { ...SEED.resend, authCode: '1234', otp: { $ne: 1 } }],
    ])('returns 400 INVALID_REQUEST for %s without counting an attempt', async (_, body) => {
      const t = await setup({ tenant: { policy: { maxAttemptsPerCode: 1 } } });
      const { authCode, otp } = await registered(t);
      const res = await t.verify(body);
      expect(res).toMatchObject({ status: 400, body: { message: 'INVALID_REQUEST' } });
      expect((await t.verify({ ...SEED.resend, authCode, otp })).status).toBe(200);
    });
  });

  describe('authentication', () => {
    const refusals: Array<[string, (nowMs: number) => Promise<string | null>]> = [
      ['a missing header', async () => null],
      ['an empty header', async () => ''],
      ['a token that is not a JWT', async () => 'not-a-jwt'],
      ['alg none', async () => unsignedToken()],
      ['an expired token', (now) => hsToken(now - 2 * 3_600_000)],
      [
        'a token signed with another key',
        (now) => hsToken(now, {}, { secret: 'another-secret-0123456789-0123456789-xx' }),
      ],
      ['an unknown issuer', (now) => hsToken(now, {}, { issuer: 'https://someone-else.test' })],
      ['a wrong audience', (now) => hsToken(now, {}, { audience: 'another-app' })],
      ['a token without sub', (now) => hsToken(now, { sub: undefined })],
    ];

    it.each(refusals)(
      'returns 401 UN_AUTHORIZED for %s on every endpoint and writes nothing',
      async (_, make) => {
        const t = await setup();
        const jwt = await make(t.clock.now());
        const before = await t.itemCount();
        for (const path of ['register', 'resend', 'verify']) {
          const body = path === 'verify' ? { ...SEED.resend, authCode: '1234', otp: '123456' } : SEED.resend;
          const res = await t.post(`/fe/users/auth/otp/${path}`, body, jwt);
          expect(res).toEqual({
            status: 401,
            body: { message: 'UN_AUTHORIZED' },
            headers: expect.anything(),
          });
        }
        expect(t.sent).toHaveLength(0);
        expect(await t.itemCount()).toBe(before);
      },
    );

    it('accepts the token with a Bearer prefix', async () => {
      const t = await setup();
      const res = await t.register(SEED.resend, `Bearer ${t.token}`);
      expect(res.status).toBe(200);
    });

    describe('with a JWKS URL', () => {
      let server: Server;
      let jwksUrl: string;
      let sign: (nowMs: number) => Promise<string>;
      let signWithStrangerKey: (nowMs: number) => Promise<string>;

      beforeAll(async () => {
        const { publicKey, privateKey } = await generateKeyPair('RS256');
        const stranger = await generateKeyPair('RS256');
        const jwk = { ...(await exportJWK(publicKey)), kid: 'key-1', alg: 'RS256', use: 'sig' };
        server = createServer((_, res) => {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ keys: [jwk] }));
        });
        await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
        jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
        const build = (nowMs: number) => {
          const iat = Math.floor(nowMs / 1000);
          return new SignJWT({ sub: 'jwks-user' })
            .setProtectedHeader({ alg: 'RS256', kid: 'key-1' })
            .setIssuer('https://jwks.app-otp.test')
            .setAudience(AUDIENCE)
            .setIssuedAt(iat)
            .setExpirationTime(iat + 600);
        };
        sign = (nowMs) => build(nowMs).sign(privateKey);
        signWithStrangerKey = (nowMs) => build(nowMs).sign(stranger.privateKey);
      });

      afterAll(async () => {
        await new Promise((resolve) => server.close(resolve));
      });

      const jwksSetup = () =>
        setup({
          tenant: {
            jwt: {
              issuer: 'https://jwks.app-otp.test',
              audience: AUDIENCE,
              jwksUrl,
              maxTokenAgeSeconds: 3600,
            },
          },
        });

      it('registers and verifies with a token the JWKS key verifies', async () => {
        const t = await jwksSetup();
        const jwt = await sign(t.clock.now());
        const res = await t.register(SEED.resend, jwt);
        expect(res).toMatchObject({ status: 200, body: { isNewUser: true } });
        const ok = await t.verify(
          { ...SEED.resend, authCode: res.body.authCode, otp: lastCode(t.sent) },
          jwt,
        );
        expect(ok.status).toBe(200);
      });

      it('returns 401 UN_AUTHORIZED for a token signed by a key not in the JWKS', async () => {
        const t = await jwksSetup();
        const res = await t.register(SEED.resend, await signWithStrangerKey(t.clock.now()));
        expect(res).toMatchObject({ status: 401, body: { message: 'UN_AUTHORIZED' } });
        expect(t.sent).toHaveLength(0);
      });

      it('returns 401 UN_AUTHORIZED for an HS256 token when the tenant uses a JWKS', async () => {
        const t = await jwksSetup();
        const res = await t.register(
          SEED.resend,
          await hsToken(t.clock.now(), {}, { issuer: 'https://jwks.app-otp.test', secret: HS_SECRET }),
        );
        expect(res).toMatchObject({ status: 401, body: { message: 'UN_AUTHORIZED' } });
        expect(t.sent).toHaveLength(0);
      });
    });
  });

  describe('local demo', () => {
    it('registers and verifies with a demo token against a tenant carrying the demo patch', async () => {
      const t = await setup({ tenant: demoTenantPatch });
      const token = demoUserToken(t.clock.now());
      const res = await t.register(SEED.resend, token);
      expect(res).toMatchObject({ status: 200, body: { isNewUser: true } });
      const body = { ...SEED.resend, authCode: res.body.authCode, otp: lastCode(t.sent) };
      expect((await t.verify(body, token)).status).toBe(200);
    });

    it('accepts a demo token for its day and refuses it after (the demo tenant allows day-long tokens)', async () => {
      const t = await setup({ tenant: demoTenantPatch });
      const token = demoUserToken(t.clock.now());
      t.clock.advance((86_400 - 60) * 1000);
      expect((await t.register(SEED.resend, token)).status).toBe(200);
      t.clock.advance(120_000);
      expect(await t.register(SEED.resend, token)).toMatchObject({
        status: 401,
        body: { message: 'UN_AUTHORIZED' },
      });
    });

    it('has a curl command for every endpoint, each with one demo token that the demo tenant accepts now', async () => {
      const tokens = ['register', 'resend', 'verify'].map((path) => {
        const command = demoCurl.find((c) => c.includes(`/fe/users/auth/otp/${path} `));
        return /user-jwt-token: ([\w.-]+)'/.exec(command ?? '')?.[1];
      });
      const [token] = tokens;
      expect(tokens).toEqual([token, token, token]);
      // The commands are built when the module loads, on the real clock: `npm start` runs on it.
      const t = await setup({ tenant: demoTenantPatch });
      t.clock.set(Date.now());
      expect((await t.register(SEED.resend, token)).status).toBe(200);
    });
  });

  describe('plumbing', () => {
    it('answers 404 NOT_FOUND for an unknown path and 405 METHOD_NOT_ALLOWED with Allow for another method, in the dialect shape', async () => {
      const t = await setup();
      const res = await invoke(
        t.handler,
        apiEvent('POST', '/fe/users/auth/otp/unknown', { body: SEED.resend }),
      );
      expect(res).toMatchObject({ status: 404, body: { message: 'NOT_FOUND' } });
      // The stack's ANY method on the route sends another method here (README, Deploy).
      const get = await invoke(t.handler, apiEvent('GET', '/fe/users/auth/otp/register'));
      expect(get).toMatchObject({
        status: 405,
        headers: { allow: 'POST' },
        body: { message: 'METHOD_NOT_ALLOWED' },
      });
    });

    it('answers 413 PAYLOAD_TOO_LARGE for an oversized body and sends nothing', async () => {
      const t = await setup();
      const res = await t.register({ ...SEED.resend, padding: 'x'.repeat(70_000) });
      expect(res).toMatchObject({ status: 413, body: { message: 'PAYLOAD_TOO_LARGE' } });
      expect(t.sent).toHaveLength(0);
    });

    it('never logs the code, the authCode or the phone number in clear', async () => {
      const t = await setup();
      const { authCode, otp } = await registered(t);
      await t.verify({ ...SEED.resend, authCode, otp: wrongCodeFor(otp) });
      await t.verify({ ...SEED.resend, authCode, otp });
      const logs = t.logLines.join('\n');
      expect(logs).toContain('otp verified');
      expect(logs).not.toContain(otp);
      expect(logs).not.toContain('9876543219');
      expect(logs).not.toContain(`"${authCode}"`);
    });
  });
});
