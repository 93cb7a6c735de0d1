import { describe, expect, it } from '@jest/globals';
import { DEMO_AUTH } from '../../local/demo/capillary-auth';
import { tenantSchema } from '../../shared/tenants';
import { rawEvent, runRaw, securityHarness } from '../support/security';

/**
 * CORS on Capillary's browser routes (`/auth/v1/web/...`, issue 16 point 7): the preflight and
 * every answer, errors included, allow exactly the origins the tenant lists; other routes never.
 */
const ALLOWED = DEMO_AUTH.webOrigin;
const REFUSED = 'https://evil.example';
const WEB_GENERATE = '/auth/v1/web/token/generate';
const webBody = JSON.stringify({
  identifierType: 'EMAIL',
  identifierValue: 'tom@example.com',
  brand: DEMO_AUTH.brand,
});

const call = async (
  h: Awaited<ReturnType<typeof securityHarness>>,
  method: string,
  path: string,
  headers: Record<string, string>,
  body: string | null = null,
) => {
  const { result, thrown } = await runRaw(
    h.handlers['capillary-auth'],
    rawEvent({ method, path, headers, body }),
  );
  if (!result) throw thrown;
  return { status: result.statusCode, headers: result.headers ?? {}, body: result.body };
};

describe('security › CORS on the browser routes', () => {
  it('answers a preflight from an allowed origin with 204, the origin, the methods and Vary: Origin', async () => {
    const h = await securityHarness();
    const res = await call(h, 'OPTIONS', WEB_GENERATE, {
      Origin: ALLOWED,
      'Access-Control-Request-Method': 'POST',
      'Access-Control-Request-Headers': 'content-type',
    });
    expect(res.status).toBe(204);
    expect(res.headers).toMatchObject({
      'access-control-allow-origin': ALLOWED,
      'access-control-allow-methods': 'POST',
      'access-control-allow-headers': expect.stringContaining('content-type'),
      vary: 'Origin',
    });
    expect(res.headers).not.toHaveProperty('access-control-allow-credentials');
  });

  it('answers a preflight from an origin no tenant lists without Access-Control-Allow-Origin', async () => {
    const h = await securityHarness();
    const res = await call(h, 'OPTIONS', WEB_GENERATE, {
      origin: REFUSED,
      'access-control-request-method': 'POST',
    });
    expect(res.status).toBe(204);
    expect(res.headers).not.toHaveProperty('access-control-allow-origin');
    expect(res.headers).not.toHaveProperty('access-control-allow-methods');
    expect(res.headers.vary).toBe('Origin');
  });

  it('puts the allowed origin on an answer and on an error answer, and never a refused one', async () => {
    const h = await securityHarness();
    const post = (origin: string, body: string) =>
      call(h, 'POST', WEB_GENERATE, { origin, 'content-type': 'application/json' }, body);
    const ok = await post(ALLOWED, webBody);
    expect(ok.status).toBe(200);
    expect(ok.headers['access-control-allow-origin']).toBe(ALLOWED);
    const unknownBrand = JSON.stringify({
      identifierType: 'EMAIL',
      identifierValue: 'a@example.com',
      brand: 'NOPE',
    });
    const error = await post(ALLOWED, unknownBrand);
    expect(error.status).toBe(400);
    expect(error.headers).toMatchObject({ 'access-control-allow-origin': ALLOWED, vary: 'Origin' });
    const refused = await post(REFUSED, unknownBrand);
    expect(refused.status).toBe(400);
    expect(refused.headers).not.toHaveProperty('access-control-allow-origin');
    expect(refused.headers.vary).toBe('Origin');
  });

  it('gives no CORS header on the mobile routes, even to an allowed origin', async () => {
    const h = await securityHarness();
    const res = await call(h, 'OPTIONS', '/auth/v1/token/generate', { origin: ALLOWED });
    expect(res.status).toBe(405);
    expect(res.headers).not.toHaveProperty('access-control-allow-origin');
  });

  it('stops allowing an origin once the tenant no longer lists it (a stale pointer allows nothing)', async () => {
    const h = await securityHarness({ tenantCacheSeconds: 0 });
    await h.tenants.putTenant({ ...h.tenant, cors: { allowedOrigins: ['https://other.example'] } });
    const res = await call(h, 'OPTIONS', WEB_GENERATE, { origin: ALLOWED });
    expect(res.headers).not.toHaveProperty('access-control-allow-origin');
    const other = await call(h, 'OPTIONS', WEB_GENERATE, { origin: 'https://other.example' });
    expect(other.headers['access-control-allow-origin']).toBe('https://other.example');
  });

  it.each([['*'], ['https://app.example.com/path'], ['http://app.example.com'], ['https://App.example.com']])(
    'refuses %s as an allowed origin when the tenant is saved',
    (origin) => {
      expect(() =>
        tenantSchema.parse({ tenantId: 't', name: 'T', cors: { allowedOrigins: [origin] } }),
      ).toThrow();
    },
  );
});
