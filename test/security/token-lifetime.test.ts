import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { type JWTPayload, SignJWT } from 'jose';
import { tenantSchema } from '../../shared/tenants';
import { rawEvent, runRaw, type SecurityHarness, securityHarness } from '../support/security';

/**
 * "Tokens that never expire" (issue 9 point 2): a tenant-signed JWT must carry `exp` and `iat`,
 * must not be issued in the future beyond the 30 s clock tolerance, and must not live longer
 * than the tenant's `maxTokenAgeSeconds`. Each refusal is the dialect's ordinary 401, the same
 * bytes as a wrong signature, so it tells nobody which check failed. Tokens are minted against
 * the harness clock, which the verifier reads too.
 */

/** A tenant with the default maximum (3600 s) and one that allows day-long tokens. */
const SHORT = { issuer: 'https://idp.short.test', secret: 'short-tenant-hs256-secret-0123456789abcdef' };
const LONG = { issuer: 'https://idp.long.test', secret: 'long-tenant-hs256-secret-0123456789abcdefg' };
const AUDIENCE = 'lifetime-tests';

let h: SecurityHarness;
beforeAll(async () => {
  h = await securityHarness();
  const tenant = (tenantId: string, issuer: string, secret: string, maxTokenAgeSeconds?: number) =>
    tenantSchema.parse({
      tenantId,
      name: tenantId,
      jwt: {
        issuer,
        audience: AUDIENCE,
        hs256Secret: secret,
        ...(maxTokenAgeSeconds ? { maxTokenAgeSeconds } : {}),
      },
    });
  await h.tenants.putTenant(tenant('lifetime-short', SHORT.issuer, SHORT.secret));
  await h.tenants.putTenant(tenant('lifetime-long', LONG.issuer, LONG.secret, 86_400));
});
afterAll(() => h.ddb.destroy());

const seconds = () => Math.floor(h.clock.now() / 1000);
const HOUR = 3600;
const TEN_YEARS = 10 * 365 * 24 * HOUR;

/** An HS256 JWT with exactly `claims` (no claim is added), signed with the tenant's secret. */
const token = (claims: JWTPayload, idp = SHORT) =>
  new SignJWT({ sub: 'lifetime-user', iss: idp.issuer, aud: AUDIENCE, ...claims })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .sign(new TextEncoder().encode(idp.secret));

/** Each dialect that takes a tenant JWT, the request that carries it, and its 401 body. */
const DIALECTS = [
  {
    name: 'app-otp user-jwt-token',
    call: (jwt: string, national: string) =>
      raw(
        'app-otp',
        '/fe/users/auth/otp/register',
        { 'user-jwt-token': jwt },
        {
          phone_number: national,
          countryCode: '+91',
        },
      ),
    unauthorized: { message: 'UN_AUTHORIZED' },
  },
  {
    name: 'capillary-v2 Bearer',
    call: (jwt: string, national: string) =>
      raw(
        'capillary-v2',
        '/v2/otp/generate',
        { authorization: `Bearer ${jwt}` },
        {
          entityType: 'MOBILE',
          entityValue: `91${national}`,
          action: 'GENERIC',
        },
      ),
    unauthorized: { errors: [{ code: 401, message: 'Invalid credentials' }], warnings: [] },
  },
] as const;

const raw = async (
  dialect: 'app-otp' | 'capillary-v2',
  path: string,
  headers: Record<string, string>,
  body: unknown,
): Promise<APIGatewayProxyResult> => {
  const { result, thrown } = await runRaw(
    h.handlers[dialect],
    rawEvent({
      method: 'POST',
      path,
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    }),
  );
  if (!result) throw new Error(`handler threw ${String(thrown)}`);
  return result;
};

describe('security', () => {
  describe('token lifetime', () => {
    describe.each(DIALECTS.map((d, i) => ({ ...d, line: i })))('$name', ({ call, unauthorized, line }) => {
      // A fresh mobile per request, so no accepted request meets another's throttle.
      let next = 0;
      const phone = () => `98${line}${String(next++).padStart(7, '0')}`;

      /** The answer to a wrong signature: every lifetime refusal must be these bytes. */
      const wrongSignature = async () =>
        call(
          await token({ iat: seconds(), exp: seconds() + 600 }, { ...SHORT, secret: LONG.secret }),
          phone(),
        );

      const expectRefused = async (jwt: string) => {
        const res = await call(jwt, phone());
        expect(res.statusCode).toBe(401);
        expect(JSON.parse(res.body)).toEqual(unauthorized);
        expect(res).toEqual(await wrongSignature());
      };

      it('accepts a token issued now that expires within the tenant maximum (positive control)', async () => {
        const res = await call(await token({ iat: seconds(), exp: seconds() + 600 }), phone());
        expect(res.statusCode).toBe(200);
      });

      it('returns 401 for a token without exp', async () => {
        await expectRefused(await token({ iat: seconds() }));
      });

      it('returns 401 for a token without iat (its lifetime cannot be measured)', async () => {
        await expectRefused(await token({ exp: seconds() + 600 }));
      });

      it('returns 401 for a token issued ten years ahead', async () => {
        await expectRefused(await token({ iat: seconds() + TEN_YEARS, exp: seconds() + TEN_YEARS + 600 }));
      });

      it('returns 401 for a token issued ten years ahead that expires within the hour', async () => {
        await expectRefused(await token({ iat: seconds() + TEN_YEARS, exp: seconds() + 600 }));
      });

      it('accepts a token issued 20 s ahead (inside the 30 s clock tolerance)', async () => {
        const res = await call(await token({ iat: seconds() + 20, exp: seconds() + 620 }), phone());
        expect(res.statusCode).toBe(200);
      });

      it('returns 401 for a token issued 60 s ahead (beyond the clock tolerance)', async () => {
        await expectRefused(await token({ iat: seconds() + 60, exp: seconds() + 660 }));
      });

      it('returns 401 for a token whose lifetime exceeds the tenant maximum (3600 s by default)', async () => {
        await expectRefused(await token({ iat: seconds(), exp: seconds() + HOUR + 1 }));
        await expectRefused(await token({ iat: seconds(), exp: seconds() + TEN_YEARS }));
      });

      it('accepts a lifetime of exactly the tenant maximum', async () => {
        const res = await call(await token({ iat: seconds(), exp: seconds() + HOUR }), phone());
        expect(res.statusCode).toBe(200);
      });

      it('accepts a two-hour token for a tenant whose maxTokenAgeSeconds is a day, and refuses one past the day', async () => {
        const res = await call(await token({ iat: seconds(), exp: seconds() + 2 * HOUR }, LONG), phone());
        expect(res.statusCode).toBe(200);
        await expectRefused(await token({ iat: seconds(), exp: seconds() + 24 * HOUR + 1 }, LONG));
      });

      it('reads the deps clock: returns 401 once the manual clock passes exp and the tolerance', async () => {
        const jwt = await token({ iat: seconds(), exp: seconds() + 600 });
        expect((await call(jwt, phone())).statusCode).toBe(200);
        h.clock.advance((600 + 31) * 1000);
        await expectRefused(jwt);
      });
    });
  });
});
