import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { type JWTPayload, SignJWT } from 'jose';
import { APP_OTP_DEMO, demoUserToken } from '../../local/demo/app-otp';
import { DEMO_AUTH } from '../../local/demo/capillary-auth';
import { LOGINRADIUS_DEMO } from '../../local/demo/loginradius';
import { SEED_GENERATE, SUMMITAI_DEMO } from '../../local/demo/summitai';
import { DEMO } from '../../local/demo-tenant';
import {
  HASH_FUTURE_SKEW_SECONDS,
  HASH_VALIDITY_SECONDS,
  signPayload,
} from '../../shared/dialects/capillary-auth/payload-hash';
import type { DialectId } from '../../shared/routes';
import { scanItems } from '../support/harness';
import {
  DEMO_AUTH_PARTS,
  type RawRequest,
  rawEvent,
  runRaw,
  type SecurityHarness,
  securityHarness,
} from '../support/security';

/**
 * "Auth abuse": forged, expired and misdirected JWTs, wrong and unknown Basic, LoginRadius and
 * SummitAI credentials, and stale, replayed and tampered capillary-auth payload hashes. Every
 * refusal of one kind must be byte-identical (status, headers, body), so none tells an attacker
 * which part was wrong or whether an id exists; and each group has a positive control, so the
 * refusals are not just a broken endpoint.
 */

let h: SecurityHarness;
beforeAll(async () => {
  h = await securityHarness();
});
afterAll(() => h.ddb.destroy());

const raw = async (dialect: DialectId, r: RawRequest): Promise<APIGatewayProxyResult> => {
  const { result, thrown } = await runRaw(
    h.handlers[dialect],
    rawEvent({ ...r, headers: { 'content-type': 'application/json', ...r.headers } }),
  );
  if (!result) throw new Error(`handler threw ${String(thrown)}`);
  return result;
};

/** Asserts every answer is the same bytes as the first, and returns that one. */
const allIdentical = (results: APIGatewayProxyResult[]): APIGatewayProxyResult => {
  const [first] = results;
  if (!first) throw new Error('no results');
  for (const r of results) expect(r).toEqual(first);
  return first;
};

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
/** The harness clock, in seconds: the verifier reads that clock, so tokens are minted on it. */
const nowSeconds = () => Math.floor(h.clock.now() / 1000);
const DEMO_CLAIMS = { sub: 'abuser-1', iss: APP_OTP_DEMO.issuer, aud: APP_OTP_DEMO.audience };

/** An HS256 JWT (or another HMAC alg) over `claims` with `secret`. */
const hsToken = (claims: JWTPayload, secret: string = APP_OTP_DEMO.hs256Secret, alg = 'HS256') =>
  new SignJWT(claims).setProtectedHeader({ alg, typ: 'JWT' }).sign(new TextEncoder().encode(secret));

/**
 * Every way a user JWT can be wrong, each of which must be refused the same way. Each carries a
 * valid `iat` and `exp` unless the point is their absence (token-lifetime.test.ts covers those).
 */
const badTokens = async (): Promise<Record<string, string>> => {
  const iat = nowSeconds();
  const exp = iat + 3600;
  const demoToken = demoUserToken(h.clock.now());
  return {
    'alg none': `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ ...DEMO_CLAIMS, iat, exp })}.`,
    'alg none, signature kept': `${b64({ alg: 'none' })}.${b64({ ...DEMO_CLAIMS, iat, exp })}.${(await hsToken({ ...DEMO_CLAIMS, iat, exp })).split('.')[2]}`,
    'wrong key': await hsToken({ ...DEMO_CLAIMS, iat, exp }, 'another-secret-of-the-right-length-0123456789'),
    'HS512 with the right key': await hsToken(
      { ...DEMO_CLAIMS, iat, exp },
      APP_OTP_DEMO.hs256Secret,
      'HS512',
    ),
    expired: await hsToken({ ...DEMO_CLAIMS, exp: iat - 3600, iat: iat - 7200 }),
    'not yet valid': await hsToken({ ...DEMO_CLAIMS, iat, exp, nbf: iat + 3600 }),
    'wrong issuer': await hsToken({ ...DEMO_CLAIMS, iss: 'https://idp.evil.example', iat, exp }),
    'wrong audience': await hsToken({ ...DEMO_CLAIMS, aud: 'another-app', iat, exp }),
    'no audience': await hsToken({ sub: DEMO_CLAIMS.sub, iss: DEMO_CLAIMS.iss, iat, exp }),
    'payload swapped': (() => {
      const [head, , sig] = demoToken.split('.');
      return `${head}.${b64({ ...DEMO_CLAIMS, iat, exp })}.${sig}`;
    })(),
    'signature stripped': demoToken.split('.').slice(0, 2).join('.'),
    garbage: 'not.a.jwt',
  };
};

describe('security', () => {
  describe('auth abuse', () => {
    describe('app-otp user-jwt-token', () => {
      const register = (token: string) =>
        raw('app-otp', {
          method: 'POST',
          path: '/fe/users/auth/otp/register',
          headers: { 'user-jwt-token': token },
          body: JSON.stringify({ phone_number: '9812345670', countryCode: '+91' }),
        });

      it('returns byte-identical 401 UN_AUTHORIZED for every forged, expired or misdirected token', async () => {
        const tokens = await badTokens();
        const results = [];
        for (const token of Object.values(tokens)) results.push(await register(token));
        const first = allIdentical(results);
        expect(first.statusCode).toBe(401);
        expect(JSON.parse(first.body)).toEqual({ message: 'UN_AUTHORIZED' });
        expect(h.sent).toHaveLength(0);
      });

      it('accepts the demo token and a fresh token signed with the demo key (positive control)', async () => {
        expect((await register(demoUserToken(h.clock.now()))).statusCode).toBe(200);
        const fresh = await hsToken({ ...DEMO_CLAIMS, iat: nowSeconds(), exp: nowSeconds() + 600 });
        const res = await raw('app-otp', {
          method: 'POST',
          path: '/fe/users/auth/otp/register',
          headers: { 'user-jwt-token': fresh },
          body: JSON.stringify({ phone_number: '9812345671', countryCode: '+91' }),
        });
        expect(res.statusCode).toBe(200);
      });
    });

    describe('capillary-v2 Bearer and Basic', () => {
      const generate = (authorization: string, entityValue = '919812345672') =>
        raw('capillary-v2', {
          method: 'POST',
          path: '/v2/otp/generate',
          headers: { authorization },
          body: JSON.stringify({ entityType: 'MOBILE', entityValue, action: 'GENERIC' }),
        });
      const basic = (id: string, secret: string) =>
        `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

      it('returns byte-identical 401s for every bad Bearer token and every bad Basic credential', async () => {
        const results = [];
        for (const token of Object.values(await badTokens())) results.push(await generate(`Bearer ${token}`));
        results.push(await generate(basic(DEMO.basic.clientId, `${DEMO.basic.secret}x`)));
        results.push(await generate(basic('no-such-client', DEMO.basic.secret)));
        results.push(await generate(basic('no-such-client', 'whatever')));
        results.push(await generate(basic(DEMO.basic.clientId, '')));
        results.push(await generate(basic(DEMO.basic.clientId.toUpperCase(), DEMO.basic.secret)));
        results.push(await generate(basic('x'.repeat(300), DEMO.basic.secret)));
        results.push(await generate(`Basic ${Buffer.from('no-colon').toString('base64')}`));
        results.push(await generate(''));
        const first = allIdentical(results);
        expect(first.statusCode).toBe(401);
        expect(JSON.parse(first.body)).toEqual({
          errors: [{ code: 401, message: 'Invalid credentials' }],
          warnings: [],
        });
      });

      it('answers a wrong Basic secret and an unknown client id with the same bytes', async () => {
        const wrongSecret = await generate(basic(DEMO.basic.clientId, 'wrong-secret-0123456789abcdef'));
        const unknownId = await generate(basic('unknown-client-id', 'wrong-secret-0123456789abcdef'));
        expect(unknownId).toEqual(wrongSecret);
        expect(wrongSecret.statusCode).toBe(401);
      });

      it('accepts the demo Basic credential and a valid demo-issuer Bearer token (positive control)', async () => {
        expect((await generate(DEMO_AUTH_PARTS.basic, '919812345673')).statusCode).toBe(200);
        const bearer = await hsToken({ ...DEMO_CLAIMS, iat: nowSeconds(), exp: nowSeconds() + 600 });
        expect((await generate(`Bearer ${bearer}`, '919812345674')).statusCode).toBe(200);
      });
    });

    describe('loginradius apikey / apisecret', () => {
      const generate = (query: Record<string, string>, Phone = '+919812345675') =>
        raw('loginradius', {
          method: 'POST',
          path: '/identity/v2/manage/account/smsotp/forgotpassword',
          query,
          body: JSON.stringify({ Phone }),
        });

      it('answers a wrong apisecret and an unknown apikey with the same bytes', async () => {
        const results = [
          await generate({ apikey: LOGINRADIUS_DEMO.apikey, apisecret: 'wrong-secret' }),
          await generate({ apikey: 'unknown-apikey', apisecret: 'wrong-secret' }),
          await generate({ apikey: 'unknown-apikey', apisecret: LOGINRADIUS_DEMO.apisecret }),
          await generate({ apikey: LOGINRADIUS_DEMO.apikey, apisecret: `${LOGINRADIUS_DEMO.apisecret} ` }),
          await generate({ apikey: 'k'.repeat(300), apisecret: LOGINRADIUS_DEMO.apisecret }),
        ];
        const first = allIdentical(results);
        expect(first.statusCode).toBe(401);
        expect(JSON.parse(first.body)).toMatchObject({ ErrorCode: 902 });
      });

      it('accepts the demo key and secret (positive control)', async () => {
        expect((await generate({ ...DEMO_AUTH_PARTS.lrQuery }, '+919812345676')).statusCode).toBe(200);
      });
    });

    describe('summitai FORM and APIKey', () => {
      const PROXY = SEED_GENERATE.objCommonParameters._ProxyDetails;
      const generate = (proxy: Record<string, unknown>) =>
        raw('summitai', {
          method: 'POST',
          path: '/adm/service',
          body: JSON.stringify({
            ...SEED_GENERATE,
            objCommonParameters: { ...SEED_GENERATE.objCommonParameters, _ProxyDetails: proxy },
          }),
        });
      const apiKey = (key: string, orgId = '1') => ({ AuthType: 'APIKey', APIKey: key, OrgID: orgId });

      it('answers a wrong password, an unknown user, an unknown org and a wrong key with the same bytes', async () => {
        const results = [
          await generate({ ...PROXY, Password: 'XXXX@124' }),
          await generate({ ...PROXY, UserName: 'nobody@sum.com' }),
          await generate({ ...PROXY, UserName: 'nobody@sum.com', Password: 'XXXX@124' }),
          await generate({ ...PROXY, OrgID: '2' }),
          await generate({ ...PROXY, Password: '' }),
          await generate(apiKey(`${SUMMITAI_DEMO.apiKey}x`)),
          await generate(apiKey(SUMMITAI_DEMO.apiKey, '2')),
          await generate({ ...apiKey(''), AuthType: 'APIKey' }),
          await generate({ ...PROXY, AuthType: 'SAML' }),
        ];
        const first = allIdentical(results);
        expect(first.statusCode).toBe(401);
        expect(JSON.parse(first.body)).toMatchObject({ Errors: 'Invalid credentials', OrgID: 0 });
      });

      it('accepts the demo FORM user and the demo API key (positive control)', async () => {
        expect((await generate({ ...PROXY })).statusCode).toBe(200);
        // The FORM generate made a live code for user 967; the key authenticates (429: the resend gap).
        expect((await generate(apiKey(SUMMITAI_DEMO.apiKey))).statusCode).toBe(429);
      });
    });

    describe('capillary-auth payload hash (5004)', () => {
      const BODY = {
        identifierType: 'MOBILE',
        identifierValue: '9812345677',
        deviceId: 'abuse-device',
        brand: DEMO_AUTH.signedBrand,
      };
      const seconds = () => Math.floor(h.clock.now() / 1000);
      const sign = (body: Record<string, unknown>, at = seconds()) =>
        signPayload(DEMO_AUTH.payloadSigningSecret, body, at);
      const tokenGenerate = (body: unknown) =>
        raw('capillary-auth', {
          method: 'POST',
          path: '/auth/v1/token/generate',
          body: JSON.stringify(body),
        });
      const sessions = async () =>
        (await scanItems(h.ddb, h.tableName)).filter((i) => String(i.pk).startsWith('SESSION#')).length;

      it('refuses stale, future, replayed, tampered, re-ordered and missing hashes with identical 5004s', async () => {
        const valid = { ...BODY, hash: sign(BODY) };
        expect((await tokenGenerate(valid)).statusCode).toBe(200);
        const before = await sessions();
        const flip = (hash: string) => hash.replace(/.$/, (c) => (c === '0' ? '1' : '0'));
        const { deviceId, ...rest } = BODY;
        const [stamp, mac] = valid.hash.split('.');
        const results = [
          // The same signed body again.
          await tokenGenerate(valid),
          // Signed correctly, but too old or too far ahead.
          await tokenGenerate({ ...BODY, hash: sign(BODY, seconds() - HASH_VALIDITY_SECONDS - 1) }),
          await tokenGenerate({ ...BODY, hash: sign(BODY, seconds() + HASH_FUTURE_SKEW_SECONDS + 5) }),
          // The body, the MAC or the timestamp changed after signing.
          await tokenGenerate({ ...BODY, identifierValue: '9812345678', hash: valid.hash }),
          await tokenGenerate({ ...BODY, hash: flip(valid.hash) }),
          await tokenGenerate({ ...BODY, hash: `${Number(stamp) - 1}.${mac}` }),
          // Signed over the same fields in another order: the signature covers the text as sent.
          await tokenGenerate({ ...BODY, hash: sign({ deviceId, ...rest }) }),
          // Not a hash at all, a zero MAC, none, empty.
          await tokenGenerate({ ...BODY, hash: `${stamp}.x${mac}` }),
          await tokenGenerate({ ...BODY, hash: `${seconds()}.${'0'.repeat(64)}` }),
          await tokenGenerate({ ...BODY }),
          await tokenGenerate({ ...BODY, hash: '' }),
        ];
        const first = allIdentical(results);
        expect(first.statusCode).toBe(403);
        expect(JSON.parse(first.body)).toEqual({
          status: { success: false, code: 5004, message: 'Response tampered' },
        });
        // No refused request opened a session.
        expect(await sessions()).toBe(before);
      });

      it('accepts a fresh hash within the validity window and just inside the future skew (positive control)', async () => {
        const body = { ...BODY, deviceId: 'abuse-device-2' };
        expect(
          (await tokenGenerate({ ...body, hash: sign(body, seconds() - HASH_VALIDITY_SECONDS + 5) }))
            .statusCode,
        ).toBe(200);
        const later = { ...BODY, deviceId: 'abuse-device-3' };
        expect(
          (await tokenGenerate({ ...later, hash: sign(later, seconds() + HASH_FUTURE_SKEW_SECONDS - 5) }))
            .statusCode,
        ).toBe(200);
      });

      it('refuses an unsigned request for the signing brand on every endpoint', async () => {
        const paths = ['token/generate', 'token/regenerate', 'otp/generate', 'otp/validate'];
        const results = [];
        for (const path of paths) {
          results.push(
            await raw('capillary-auth', {
              method: 'POST',
              path: `/auth/v1/${path}`,
              body: JSON.stringify({ ...BODY, sessionId: 'D-x', otp: '123456', key: 'k' }),
            }),
          );
        }
        expect(JSON.parse(allIdentical(results).body).status.code).toBe(5004);
      });
    });
  });
});
