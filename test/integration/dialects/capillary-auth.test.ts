import { describe, expect, it } from '@jest/globals';
import { jwtVerify } from 'jose';
import { createHandler } from '../../../functions/capillary-auth';
import { openCode } from '../../../shared/crypto';
import { signPayload } from '../../../shared/dialects/capillary-auth/payload-hash';
import { type FallbackDeps, runFallbackStep } from '../../../shared/engine/fallback';
import type { FallbackJob } from '../../../shared/engine/scheduler';
import { putBrandPointer } from '../../../shared/store/capillary-auth-sessions';
import type { Tenant } from '../../../shared/tenants';
import { apiEvent, appHarness, invoke } from '../../support/app-harness';
import { recordingEvents } from '../../support/events';
import { lastCode, PEPPER, scanItems, wrongCodeFor } from '../../support/harness';
import { manualScheduler } from '../../support/manual-scheduler';

const SECRET = 'test-payload-signing-secret-0123456789';

/** The seed's example bodies (Capillary's docs: token/generate, otp/generate). */
const SEED = {
  token: {
    identifierType: 'MOBILE',
    identifierValue: '9940000000',
    deviceId: '32rtsdered',
    brand: 'STANDARDAPP',
  },
  otp: {
    identifierType: 'MOBILE',
    identifierValue: '9940000000',
    deviceId: '32rtsdered',
    brand: 'STANDARDAPP',
    sessionId: 'D-502259d3-d4d6-4458-bc5f-b89d3d8e4c7b',
  },
};
const PHONE = '+919940000000';

const setup = async (options: { tenant?: Partial<Tenant>; fail?: Array<'SMS' | 'EMAIL'> } = {}) => {
  const h = await appHarness({
    tenant: {
      brands: { STANDARDAPP: {}, OTHERAPP: {}, SIGNEDAPP: { payloadSigningSecret: SECRET } },
      ...options.tenant,
    },
    ...(options.fail ? { fail: options.fail } : {}),
  });
  for (const brand of ['STANDARDAPP', 'OTHERAPP', 'SIGNEDAPP'])
    await putBrandPointer(h.deps, brand, h.tenant.tenantId);
  await h.tenants.putContact(h.tenant.tenantId, {
    userId: 'ana',
    phone: '9955882233',
    email: 'ana@example.com',
  });
  await h.tenants.putContact(h.tenant.tenantId, { userId: 'bo', email: 'Bo@Example.com' });
  await h.tenants.putContact(h.tenant.tenantId, { userId: 'nobody-reachable' });
  const handler = createHandler(h.deps);
  /** The raw Lambda result (for byte-for-byte comparisons). */
  const raw = (path: string, body: unknown) => handler(apiEvent('POST', path, { body }), {} as never);
  const post = (path: string, body: unknown) => invoke(handler, apiEvent('POST', path, { body }));
  /** token/generate, then the sessionId. */
  const session = async (body: Record<string, unknown> = SEED.token, prefix = '/auth/v1') => {
    const res = await post(`${prefix}/token/generate`, body);
    expect(res.status).toBe(200);
    return (res.body.user as { sessionId: string }).sessionId;
  };
  const verifyToken = (token: string) =>
    jwtVerify(token, Buffer.from('k'.repeat(48)), {
      issuer: 'otp-service',
      algorithms: ['HS256'],
      currentDate: new Date(h.clock.now()),
    });
  const sessions = async () =>
    (await scanItems(h.ddb, h.tableName)).filter((i) => String(i.pk).startsWith('SESSION#'));
  return { ...h, handler, raw, post, session, verifyToken, sessions };
};

const refused = (code: number) => ({ status: { success: false, code, message: expect.any(String) } });
const OK = { status: { success: true, code: 200, message: 'SUCCESS' } };

describe('capillary-auth', () => {
  describe('mobile flow', () => {
    it('issues a session, sends the code, validates it into a token and key, and regenerates', async () => {
      const t = await setup();
      const created = await t.post('/auth/v1/token/generate', SEED.token);
      expect(created).toMatchObject({
        status: 200,
        body: {
          ...OK,
          auth: { token: null, key: null },
          user: { appRegistered: false, role: 'VIEW', userRegisteredForPassword: false },
        },
      });
      const sessionId = (created.body.user as { sessionId: string }).sessionId;
      expect(sessionId).toMatch(/^D-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);

      const sent = await t.post('/auth/v1/otp/generate', { ...SEED.otp, sessionId });
      expect(sent).toMatchObject({ status: 200, body: OK });
      expect(sent.body).toEqual(OK);
      expect(t.sent.map((m) => [m.channel, m.to])).toEqual([['SMS', PHONE]]);

      const code = lastCode(t.sent);
      const validated = await t.post('/auth/v1/otp/validate', { ...SEED.otp, sessionId, otp: code });
      expect(validated).toMatchObject({
        status: 200,
        body: { ...OK, user: { appRegistered: false, sessionId: null, role: 'USER' } },
      });
      expect(JSON.stringify(validated.body)).not.toContain(`"${code}"`);
      const auth = validated.body.auth as { token: string; key: string };
      const { payload } = await t.verifyToken(auth.token);
      expect(payload).toMatchObject({
        sub: PHONE,
        brand: 'STANDARDAPP',
        iss: 'otp-service',
        idt: 'MOBILE',
        app: 'mobile',
        dev: '32rtsdered',
        rol: 'USER',
      });
      expect(Number(payload.exp) - Number(payload.iat)).toBe(900);
      expect(auth.key).toMatch(/^[A-Za-z0-9_-]{43}$/);
      // The table holds only the key's hash, and no item names the phone number.
      const items = JSON.stringify(await scanItems(t.ddb, t.tableName));
      expect(items).not.toContain(auth.key);
      expect(items).not.toContain('9940000000');

      // Logs name neither the code, the phone, the token nor the key.
      const logs = t.logLines.join('\n');
      expect(logs).toContain('auth token issued');
      expect(logs).not.toMatch(new RegExp(`\\b${code}\\b`));
      for (const secret of ['9940000000', auth.token, auth.key]) expect(logs).not.toContain(secret);

      t.clock.advance(3600_000);
      const again = await t.post('/auth/v1/token/regenerate', { ...SEED.token, key: auth.key });
      expect(again).toMatchObject({
        status: 200,
        body: { ...OK, auth: { key: null }, user: { role: 'USER' } },
      });
      const renewed = await t.verifyToken((again.body.auth as { token: string }).token);
      expect(renewed.payload).toMatchObject({
        sub: PHONE,
        brand: 'STANDARDAPP',
        auth_time: payload.auth_time,
      });
    });

    it('ends the session on success: a second validate or generate gets 1505', async () => {
      const t = await setup();
      const sessionId = await t.session();
      await t.post('/auth/v1/otp/generate', { ...SEED.otp, sessionId });
      const otp = lastCode(t.sent);
      expect((await t.post('/auth/v1/otp/validate', { ...SEED.otp, sessionId, otp })).status).toBe(200);
      expect(await t.post('/auth/v1/otp/validate', { ...SEED.otp, sessionId, otp })).toMatchObject({
        status: 400,
        body: refused(1505),
      });
      expect(await t.post('/auth/v1/otp/generate', { ...SEED.otp, sessionId })).toMatchObject({
        status: 400,
        body: refused(1505),
      });
      expect(t.sent).toHaveLength(1);
    });

    it('accepts the OTP as a number (Capillary documents a long) and the identifierType in any case', async () => {
      const t = await setup();
      const body = { ...SEED.token, identifierType: 'mobile', identifierValue: '+91 99400 00000' };
      const sessionId = await t.session(body);
      await t.post('/auth/v1/otp/generate', { ...SEED.otp, identifierType: 'Mobile', sessionId });
      const otp = Number(lastCode(t.sent));
      const res = await t.post('/auth/v1/otp/validate', { ...SEED.otp, sessionId, otp });
      expect(res).toMatchObject({ status: 200, body: OK });
    });

    it('re-sends the same code for a second generate on one session after the resend gap', async () => {
      const t = await setup();
      const sessionId = await t.session();
      await t.post('/auth/v1/otp/generate', { ...SEED.otp, sessionId });
      t.clock.advance(31_000);
      expect((await t.post('/auth/v1/otp/generate', { ...SEED.otp, sessionId })).status).toBe(200);
      expect(t.sent).toHaveLength(2);
      expect(t.sent[0]?.code).toBe(t.sent[1]?.code);
    });

    it('answers the seed example with its made-up sessionId with 1505 and sends nothing', async () => {
      const t = await setup();
      expect(await t.post('/auth/v1/otp/generate', SEED.otp)).toMatchObject({
        status: 400,
        body: refused(1505),
      });
      expect(t.sent).toHaveLength(0);
    });
  });

  describe('web flow', () => {
    const WEB = { identifierType: 'EMAIL', identifierValue: 'Tom@Example.com', brand: 'standardapp' };

    it('refuses (not 500) a refresh key sealed under a pepper that has since been rotated', async () => {
      const t = await setup();
      const sessionId = await t.session();
      await t.post('/auth/v1/otp/generate', { ...SEED.otp, sessionId });
      const validated = await t.post('/auth/v1/otp/validate', {
        ...SEED.otp,
        sessionId,
        otp: lastCode(t.sent),
      });
      const key = (validated.body.auth as { key: string }).key;
      t.deps.pepper = async () => Buffer.from('a-rotated-pepper-0123456789abcdef');
      const res = await t.post('/auth/v1/token/regenerate', { ...SEED.token, key });
      expect(res.status).toBeLessThan(500);
      expect(res.body).toMatchObject({ status: { success: false } });
    });

    it('needs no deviceId, returns no key, and regenerates from the expired token', async () => {
      const t = await setup();
      const sessionId = await t.session(WEB, '/auth/v1/web');
      expect(await t.post('/auth/v1/web/otp/generate', { ...WEB, sessionId })).toMatchObject({ status: 200 });
      expect(t.sent.map((m) => [m.channel, m.to])).toEqual([['EMAIL', 'tom@example.com']]);
      const res = await t.post('/auth/v1/web/otp/validate', { ...WEB, sessionId, otp: lastCode(t.sent) });
      expect(res).toMatchObject({ status: 200, body: { ...OK, auth: { key: null } } });
      const token = (res.body.auth as { token: string }).token;
      expect((await t.verifyToken(token)).payload).toMatchObject({
        sub: 'tom@example.com',
        app: 'web',
        brand: 'STANDARDAPP',
      });
      expect((await t.verifyToken(token)).payload.dev).toBeUndefined();

      t.clock.advance(20 * 60_000);
      const regenerated = await t.post('/auth/v1/web/token/regenerate', { ...WEB, expiredToken: token });
      expect(regenerated).toMatchObject({ status: 200, body: OK });
      await expect(t.verifyToken((regenerated.body.auth as { token: string }).token)).resolves.toBeDefined();

      t.clock.advance(24 * 3600_000);
      expect(await t.post('/auth/v1/web/token/regenerate', { ...WEB, expiredToken: token })).toMatchObject({
        status: 400,
        body: refused(1525),
      });
    });

    it('refuses a mobile session on the web endpoints with 1505', async () => {
      const t = await setup();
      const sessionId = await t.session();
      const res = await t.post('/auth/v1/web/otp/generate', { ...SEED.otp, sessionId });
      expect(res).toMatchObject({ status: 400, body: refused(1505) });
      expect(t.sent).toHaveLength(0);
    });
  });

  describe('USERNAME', () => {
    const user = (identifierValue: string) => ({
      ...SEED.token,
      identifierType: 'USERNAME',
      identifierValue,
    });

    it('sends to the contact phone by SMS, else its e-mail, and signs the username as sub', async () => {
      const t = await setup();
      const ana = await t.session(user('ana'));
      await t.post('/auth/v1/otp/generate', { ...user('ana'), sessionId: ana });
      expect(t.sent.map((m) => [m.channel, m.to])).toEqual([['SMS', '+919955882233']]);
      const res = await t.post('/auth/v1/otp/validate', {
        ...user('ana'),
        sessionId: ana,
        otp: lastCode(t.sent),
      });
      expect((await t.verifyToken((res.body.auth as { token: string }).token)).payload).toMatchObject({
        sub: 'ana',
        idt: 'USERNAME',
      });

      const bo = await t.session(user('bo'));
      await t.post('/auth/v1/otp/generate', { ...user('bo'), sessionId: bo });
      expect(t.sent.at(-1)).toMatchObject({ channel: 'EMAIL', to: 'bo@example.com' });
    });

    it('answers a username that does not exist byte for byte as one that does, and sends nothing', async () => {
      const t = await setup();
      const answers = [];
      for (const name of ['ana', 'ghost', 'nobody-reachable']) {
        const sessionId = await t.session(user(name));
        const first = await t.raw('/auth/v1/otp/generate', { ...user(name), sessionId });
        // A second generate inside the resend gap: refused for both, and answered as a success
        // for both (a USERNAME never learns a limit that could differ between a real user's
        // phone and a decoy).
        const second = await t.raw('/auth/v1/otp/generate', { ...user(name), sessionId });
        const wrong = await t.raw('/auth/v1/otp/validate', { ...user(name), sessionId, otp: '000000' });
        answers.push([first, second, wrong].map((r) => [r.statusCode, r.body, JSON.stringify(r.headers)]));
      }
      expect(answers[1]).toEqual(answers[0]);
      expect(answers[2]).toEqual(answers[0]);
      expect(answers[0]?.map((a) => a[0])).toEqual([200, 200, 400]);
      // Not vacuous: the second generate was refused (one message went out, not two).
      expect(t.sent.map((m) => m.to)).toEqual(['+919955882233']);
    });

    it('never issues a token for a username that does not exist, even with the decoy code', async () => {
      const t = await setup();
      const sessionId = await t.session(user('ghost'));
      await t.post('/auth/v1/otp/generate', { ...user('ghost'), sessionId });
      expect(t.sent).toHaveLength(0);
      // The decoy's code exists only sealed in its challenge; unseal it as an attacker never could.
      const challenge = (await scanItems(t.ddb, t.tableName)).find((i) =>
        String(i.sk).startsWith(`CH#ae:STANDARDAPP:${sessionId}:`),
      ) as { pk: string; sk: string; id: string; sealed: string };
      const code = openCode(PEPPER, `${challenge.pk}|${challenge.sk}|${challenge.id}`, challenge.sealed);
      const res = await t.post('/auth/v1/otp/validate', { ...user('ghost'), sessionId, otp: code });
      expect(res).toEqual({ status: 400, body: refused(1506), headers: expect.anything() });
    });
  });

  describe('session binding', () => {
    it.each([
      ['1507 for another mobile number', { identifierValue: '9940000009' }, 1507],
      [
        '1541 for another identifier type',
        { identifierType: 'EMAIL', identifierValue: 'x@example.com' },
        1541,
      ],
      ['1508 for another device', { deviceId: 'other-device' }, 1508],
      ['1509 for another brand', { brand: 'OTHERAPP' }, 1509],
    ])('returns %s on generate and validate, and sends nothing', async (_, change, code) => {
      const t = await setup();
      const sessionId = await t.session();
      const generate = await t.post('/auth/v1/otp/generate', { ...SEED.otp, sessionId, ...change });
      expect(generate).toMatchObject({ status: 400, body: refused(code) });
      const validate = await t.post('/auth/v1/otp/validate', {
        ...SEED.otp,
        sessionId,
        otp: '123456',
        ...change,
      });
      expect(validate).toMatchObject({ status: 400, body: refused(code) });
      expect(t.sent).toHaveLength(0);
    });

    it('returns 1505 once the session is 15 minutes old', async () => {
      const t = await setup();
      const sessionId = await t.session();
      t.clock.advance(15 * 60_000);
      expect(await t.post('/auth/v1/otp/generate', { ...SEED.otp, sessionId })).toMatchObject({
        status: 400,
        body: refused(1505),
      });
      expect(t.sent).toHaveLength(0);
    });
  });

  describe('errors', () => {
    it.each([
      [
        '1546 for an invalid identifierType',
        '/auth/v1/token/generate',
        { ...SEED.token, identifierType: 'FAX' },
        400,
        1546,
      ],
      [
        '1540 for an invalid mobile',
        '/auth/v1/token/generate',
        { ...SEED.token, identifierValue: '12' },
        400,
        1540,
      ],
      [
        '1540 for an invalid e-mail',
        '/auth/v1/web/token/generate',
        { ...SEED.token, identifierType: 'EMAIL' },
        400,
        1540,
      ],
      [
        '1519 for a missing deviceId on mobile',
        '/auth/v1/token/generate',
        { ...SEED.token, deviceId: undefined },
        400,
        1519,
      ],
      [
        '1519 for an unknown brand',
        '/auth/v1/token/generate',
        { ...SEED.token, brand: 'NOSUCHAPP' },
        400,
        1519,
      ],
      ['1519 for a missing brand', '/auth/v1/token/generate', { ...SEED.token, brand: undefined }, 400, 1519],
      ['1540 on otp/generate', '/auth/v1/otp/generate', { ...SEED.otp, identifierValue: 'abc' }, 400, 1540],
      [
        '1519 for a missing sessionId',
        '/auth/v1/otp/generate',
        { ...SEED.otp, sessionId: undefined },
        400,
        1519,
      ],
      ['1519 for a missing otp', '/auth/v1/otp/validate', SEED.otp, 400, 1519],
      [
        '1525 for an unknown refresh key',
        '/auth/v1/token/regenerate',
        { ...SEED.token, key: 'nope' },
        400,
        1525,
      ],
      [
        '1525 for a forged web token',
        '/auth/v1/web/token/regenerate',
        { ...SEED.token, expiredToken: 'a.b.c' },
        400,
        1525,
      ],
    ])('returns %s and writes and sends nothing', async (_, path, body, status, code) => {
      const t = await setup();
      const res = await t.post(path, body);
      expect(res).toMatchObject({ status, body: refused(code) });
      expect(Object.keys(res.body)).toEqual(['status']);
      expect(await t.sessions()).toHaveLength(0);
      expect(t.sent).toHaveLength(0);
    });

    it('returns 1519 for a brand that points at a tenant which does not list it', async () => {
      const t = await setup();
      await putBrandPointer(t.deps, 'ORPHANAPP', t.tenant.tenantId);
      const res = await t.post('/auth/v1/token/generate', { ...SEED.token, brand: 'ORPHANAPP' });
      expect(res).toMatchObject({ status: 400, body: refused(1519) });
      expect(await t.sessions()).toHaveLength(0);
    });

    it('answers an oversized body with 413 and an unknown path with 404, both in the envelope', async () => {
      const t = await setup();
      const big = await t.post('/auth/v1/token/generate', { ...SEED.token, pad: 'x'.repeat(70_000) });
      expect(big).toMatchObject({ status: 413, body: refused(413) });
      const missing = await t.post('/auth/v1/nothing/here', SEED.token);
      expect(missing.status).toBe(404);
      expect(missing.body).toEqual(refused(404));
    });

    it('returns 1519 in the envelope for malformed JSON', async () => {
      const t = await setup();
      const res = await invoke(t.handler, apiEvent('POST', '/auth/v1/token/generate', { body: '{"brand":' }));
      expect(res).toMatchObject({ status: 400, body: refused(1519) });
      expect(res.headers?.['cache-control']).toBe('no-store');
    });

    it('returns 1506 for a wrong OTP, then 1518 after the fifth, even for the right one', async () => {
      const t = await setup();
      const sessionId = await t.session();
      await t.post('/auth/v1/otp/generate', { ...SEED.otp, sessionId });
      const code = lastCode(t.sent);
      for (let i = 0; i < 5; i++) {
        const res = await t.post('/auth/v1/otp/validate', {
          ...SEED.otp,
          sessionId,
          otp: wrongCodeFor(code),
        });
        expect(res).toMatchObject({ status: 400, body: refused(1506) });
      }
      const locked = await t.post('/auth/v1/otp/validate', { ...SEED.otp, sessionId, otp: code });
      expect(locked).toMatchObject({ status: 429, body: refused(1518) });
      expect(locked.body.auth).toBeUndefined();
    });

    it('returns 1537 when no OTP was generated and when it expired', async () => {
      const t = await setup();
      const sessionId = await t.session();
      const none = await t.post('/auth/v1/otp/validate', { ...SEED.otp, sessionId, otp: '123456' });
      expect(none).toMatchObject({ status: 400, body: refused(1537) });
      await t.post('/auth/v1/otp/generate', { ...SEED.otp, sessionId });
      t.clock.advance(10 * 60_000);
      const expired = await t.post('/auth/v1/otp/validate', {
        ...SEED.otp,
        sessionId,
        otp: lastCode(t.sent),
      });
      expect(expired).toMatchObject({ status: 400, body: refused(1537) });
    });

    it('returns 1534 for a generate inside the resend gap, and sends once', async () => {
      const t = await setup();
      const sessionId = await t.session();
      await t.post('/auth/v1/otp/generate', { ...SEED.otp, sessionId });
      const res = await t.post('/auth/v1/otp/generate', { ...SEED.otp, sessionId });
      expect(res).toMatchObject({ status: 429, body: refused(1534) });
      expect(t.sent).toHaveLength(1);
    });

    it('returns 1534 on generate and 1518 on validate once the destination is locked for the day', async () => {
      const t = await setup({
        tenant: { policy: { maxDailyFailuresPerDestination: 1 } as Tenant['policy'] },
      });
      const first = await t.session();
      await t.post('/auth/v1/otp/generate', { ...SEED.otp, sessionId: first });
      const code = lastCode(t.sent);
      await t.post('/auth/v1/otp/validate', { ...SEED.otp, sessionId: first, otp: wrongCodeFor(code) });
      const second = await t.session();
      const generate = await t.post('/auth/v1/otp/generate', { ...SEED.otp, sessionId: second });
      expect(generate).toMatchObject({ status: 429, body: refused(1534) });
      const validate = await t.post('/auth/v1/otp/validate', { ...SEED.otp, sessionId: first, otp: code });
      expect(validate).toMatchObject({ status: 429, body: refused(1518) });
      expect(t.sent).toHaveLength(1);
    });

    it('returns 503 with 1503 when the SMS provider fails', async () => {
      const t = await setup({ fail: ['SMS'] });
      const sessionId = await t.session();
      const res = await t.post('/auth/v1/otp/generate', { ...SEED.otp, sessionId });
      expect(res).toMatchObject({ status: 503, body: refused(1503) });
    });
  });

  describe('payload hash', () => {
    const SIGNED = { ...SEED.token, brand: 'SIGNEDAPP' };
    const signed = (body: Record<string, unknown>, seconds: number) => ({
      ...body,
      hash: signPayload(SECRET, body, seconds),
    });

    it('accepts a fresh hash over the body in its received order, on every endpoint', async () => {
      const t = await setup();
      const now = () => Math.floor(t.clock.now() / 1000);
      const created = await t.post('/auth/v1/token/generate', signed(SIGNED, now()));
      expect(created).toMatchObject({ status: 200, body: OK });
      const sessionId = (created.body.user as { sessionId: string }).sessionId;
      // The hash may sit anywhere in the body; the signed text is the rest, in order.
      const generate = { hash: '', ...SIGNED, sessionId };
      generate.hash = signPayload(SECRET, generate, now());
      expect(await t.post('/auth/v1/otp/generate', generate)).toMatchObject({ status: 200 });
      t.clock.advance(1000);
      const res = await t.post(
        '/auth/v1/otp/validate',
        signed({ ...SIGNED, sessionId, otp: lastCode(t.sent) }, now()),
      );
      expect(res).toMatchObject({ status: 200, body: OK });
      const key = (res.body.auth as { key: string }).key;
      expect(await t.post('/auth/v1/token/regenerate', signed({ ...SIGNED, key }, now()))).toMatchObject({
        status: 200,
      });
    });

    it.each([
      ['missing', () => SIGNED],
      ['malformed', () => ({ ...SIGNED, hash: 'abc' })],
      [
        'signed with another secret',
        (s: number) => ({ ...SIGNED, hash: signPayload('x'.repeat(32), SIGNED, s) }),
      ],
      [
        'over another body',
        (s: number) => ({ ...SIGNED, deviceId: 'other', hash: signPayload(SECRET, SIGNED, s) }),
      ],
      ['older than 5 minutes', (s: number) => signed(SIGNED, s - 301)],
      ['more than a minute ahead', (s: number) => signed(SIGNED, s + 61)],
    ])('returns 403 with 5004 for a hash %s, and writes nothing', async (_, make) => {
      const t = await setup();
      const res = await t.post('/auth/v1/token/generate', make(Math.floor(t.clock.now() / 1000)));
      expect(res).toEqual({ status: 403, body: refused(5004), headers: expect.anything() });
      expect(res.body).toEqual({ status: { success: false, code: 5004, message: 'Response tampered' } });
      expect(await t.sessions()).toHaveLength(0);
    });

    it('accepts a hash just under 5 minutes old and refuses its replay', async () => {
      const t = await setup();
      const body = signed(SIGNED, Math.floor(t.clock.now() / 1000) - 299);
      expect((await t.post('/auth/v1/token/generate', body)).status).toBe(200);
      expect(await t.post('/auth/v1/token/generate', body)).toMatchObject({
        status: 403,
        body: refused(5004),
      });
      expect(await t.sessions()).toHaveLength(1);
    });

    it('refuses an unsigned otp/generate for a signing brand before reading the session', async () => {
      const t = await setup();
      const created = await t.post(
        '/auth/v1/token/generate',
        signed(SIGNED, Math.floor(t.clock.now() / 1000)),
      );
      const sessionId = (created.body.user as { sessionId: string }).sessionId;
      const res = await t.post('/auth/v1/otp/generate', { ...SIGNED, sessionId });
      expect(res).toMatchObject({ status: 403, body: refused(5004) });
      expect(t.sent).toHaveLength(0);
    });
  });

  describe("the session, checked inside the engine's transactions", () => {
    /** Every item of the table, in key order: what a refused request must leave as it was. */
    const snapshot = async (t: Awaited<ReturnType<typeof setup>>) =>
      (await scanItems(t.ddb, t.tableName)).sort((a, b) =>
        `${a.pk}|${a.sk}`.localeCompare(`${b.pk}|${b.sk}`),
      );
    const challengeOf = async (t: Awaited<ReturnType<typeof setup>>, sessionId: string) =>
      (await scanItems(t.ddb, t.tableName)).find((i) =>
        String(i.sk).startsWith(`CH#ae:STANDARDAPP:${sessionId}:`),
      );
    /** The keys every write request names (UpdateItem, PutItem, TransactWriteItems' items). */
    const recordWrites = (t: Awaited<ReturnType<typeof setup>>) => {
      const keys: string[] = [];
      t.ddb.middlewareStack.add(
        (next, context) => async (args) => {
          const input = args.input as {
            Key?: Record<string, { S?: string }>;
            Item?: Record<string, { S?: string }>;
            TransactItems?: Record<string, { Key?: Record<string, { S?: string }> }>[];
          };
          const add = (k?: Record<string, { S?: string }>) => k && keys.push(`${k.pk?.S}|${k.sk?.S}`);
          if (context.commandName === 'UpdateItemCommand') add(input.Key);
          if (context.commandName === 'PutItemCommand') add(input.Item);
          for (const item of input.TransactItems ?? []) for (const op of Object.values(item)) add(op.Key);
          return next(args);
        },
        { step: 'initialize', name: 'recordWrites' },
      );
      return keys;
    };

    it.each([
      ['another device', { deviceId: 'other-device' }, 1508],
      ['another brand', { brand: 'OTHERAPP' }, 1509],
      ['another mobile number', { identifierValue: '9940000009' }, 1507],
    ])(
      'refuses a generate for %s and writes nothing at all (no counter, no code)',
      async (_, change, code) => {
        const t = await setup();
        const sessionId = await t.session();
        const before = await snapshot(t);
        const res = await t.post('/auth/v1/otp/generate', { ...SEED.otp, sessionId, ...change });
        expect(res).toMatchObject({ status: 400, body: refused(code) });
        expect(await snapshot(t)).toEqual(before);
        expect(t.sent).toHaveLength(0);
      },
    );

    it.each([
      ['the right code', true],
      ['a wrong code', false],
    ])(
      'answers %s on a session that ended after its code was sent with 1505, and gives the guess back',
      async (_, right) => {
        const t = await setup();
        const sessionId = await t.session();
        t.clock.advance(10 * 60_000);
        await t.post('/auth/v1/otp/generate', { ...SEED.otp, sessionId });
        const code = lastCode(t.sent);
        // The session (15 minutes) ends; its code (10 minutes from the send) is still live.
        t.clock.advance(5 * 60_000 + 1_000);
        const before = await snapshot(t);
        const otp = right ? code : wrongCodeFor(code);
        const res = await t.post('/auth/v1/otp/validate', { ...SEED.otp, sessionId, otp });
        expect(res).toMatchObject({ status: 400, body: refused(1505) });
        // Not consumed, no failure charged, the reserved guess given back: the table as before.
        expect(await snapshot(t)).toEqual(before);
        expect(await challengeOf(t, sessionId)).toMatchObject({ attempts: 0 });
      },
    );

    it("never lets a request for another device or app reserve a guess on the session's code", async () => {
      const t = await setup();
      const sessionId = await t.session();
      await t.post('/auth/v1/otp/generate', { ...SEED.otp, sessionId });
      const code = lastCode(t.sent);
      const challenge = await challengeOf(t, sessionId);
      const writes = recordWrites(t);
      const answers = await Promise.all([
        ...Array.from({ length: 8 }, () =>
          t.post('/auth/v1/otp/validate', { ...SEED.otp, sessionId, deviceId: 'other', otp: code }),
        ),
        t.post('/auth/v1/web/otp/validate', { ...SEED.otp, sessionId, otp: code }),
      ]);
      expect(answers.map((a) => (a.body.status as { code: number }).code)).toEqual([
        ...Array(8).fill(1508),
        1505,
      ]);
      expect(writes.length).toBeGreaterThan(0);
      expect(writes).not.toContain(`${challenge?.pk}|${challenge?.sk}`);
      expect(await challengeOf(t, sessionId)).toMatchObject({ attempts: 0 });
      const res = await t.post('/auth/v1/otp/validate', { ...SEED.otp, sessionId, otp: code });
      expect(res).toMatchObject({ status: 200, body: OK });
    });

    it("ranks the session's fault before a refusal the engine decides before its transaction", async () => {
      const t = await setup();
      const sessionId = await t.session();
      // No code was ever generated (the engine's 1537), and the session has ended (1505).
      t.clock.advance(15 * 60_000);
      const res = await t.post('/auth/v1/otp/validate', { ...SEED.otp, sessionId, otp: '123456' });
      expect(res).toMatchObject({ status: 400, body: refused(1505) });
      // A live session with no code answers the engine's own refusal.
      const live = await t.session();
      const ok = await t.post('/auth/v1/otp/validate', { ...SEED.otp, sessionId: live, otp: '123456' });
      expect(ok).toMatchObject({ status: 400, body: refused(1537) });
    });
  });

  describe('attack: the session guard (review of df13494)', () => {
    const user = (identifierValue: string) => ({
      ...SEED.token,
      identifierType: 'USERNAME',
      identifierValue,
    });
    const ANA_PHONE = '9955882233';
    const anaMobile = { ...SEED.token, identifierValue: ANA_PHONE };
    /** Three sends to numbers of the attacker's own in ana's prefix (+91 9955), the prefix's hourly limit. */
    const fillPrefix = async (t: Awaited<ReturnType<typeof setup>>) => {
      for (const n of ['9955000001', '9955000002', '9955000003']) {
        const mine = { ...SEED.token, identifierValue: n };
        const sessionId = await t.session(mine);
        await t.post('/auth/v1/otp/generate', { ...mine, sessionId });
      }
    };

    it('costs a USERNAME generate the same DynamoDB requests for a rate-limited real user as for a decoy', async () => {
      const t = await setup();
      // Other MOBILE logins fill the anonymous window of ana's phone (3 messages per 10 minutes).
      for (let i = 0; i < 3; i++) {
        const sessionId = await t.session(anaMobile);
        await t.post('/auth/v1/otp/generate', { ...anaMobile, sessionId });
      }
      expect(t.sent).toHaveLength(3);
      const generate = async (name: string) => {
        const sessionId = await t.session(user(name));
        t.requests.reset();
        const res = await t.raw('/auth/v1/otp/generate', { ...user(name), sessionId });
        return { status: res.statusCode, body: res.body, requests: { ...t.requests.counts } };
      };
      const real = await generate('ana');
      const decoy = await generate('ghost');
      // Not vacuous: ana's generate was refused by her phone's window (and answered as a success).
      expect(t.sent).toHaveLength(3);
      expect(real.status).toBe(200);
      // The same answer, and the same DynamoDB traffic: an extra GetItem tells the user exists.
      expect(real).toEqual(decoy);
    });

    it('does not tell which USERNAME has a phone in a prefix the attacker filled (DynamoDB requests)', async () => {
      const t = await setup({ tenant: { policy: { maxSendsPerPrefixPerHour: 3 } as Tenant['policy'] } });
      // The attacker knows no phone: it fills the prefix +91 9955 with numbers of its own.
      await fillPrefix(t);
      expect(t.sent).toHaveLength(3);
      const probe = async (name: string) => {
        const sessionId = await t.session(user(name));
        t.requests.reset();
        const res = await t.raw('/auth/v1/otp/generate', { ...user(name), sessionId });
        return { status: res.statusCode, body: res.body, requests: t.requests.total() };
      };
      // ana's phone (+91 9955 882233) is in that prefix; ghost does not exist; bo has only an e-mail.
      const [ana, ghost, bo] = [await probe('ana'), await probe('ghost'), await probe('bo')];
      expect(t.sent).toHaveLength(4);
      expect(ana).toEqual(ghost);
      expect(bo).toEqual(ghost);
    });

    describe('attack 2: the guard after its fixes (review of 939ebfe, 7cf617a)', () => {
      /** A USERNAME validate with a code that is not the decoy's, as the client sees it and as DynamoDB does. */
      const validateProbe = async (t: Awaited<ReturnType<typeof setup>>, name: string, sessionId: string) => {
        t.requests.reset();
        const res = await t.raw('/auth/v1/otp/validate', { ...user(name), sessionId, otp: '000001' });
        return { status: res.statusCode, body: res.body, requests: { ...t.requests.counts } };
      };

      // Known, and older than the session guard (SECURITY.md §4, USERNAME timing): answers are
      // uniform in status and body, not in DynamoDB requests. `it.failing` passes while the
      // difference is there and fails, to be turned into `it`, once it is closed.
      it.failing('does not tell, at otp/validate, which USERNAME had its generate refused by a filled prefix (DynamoDB requests)', async () => {
        const t = await setup({ tenant: { policy: { maxSendsPerPrefixPerHour: 3 } as Tenant['policy'] } });
        await fillPrefix(t);
        const probe = async (name: string) => {
          const sessionId = await t.session(user(name));
          const gen = await t.raw('/auth/v1/otp/generate', { ...user(name), sessionId });
          expect(gen.statusCode).toBe(200);
          return validateProbe(t, name, sessionId);
        };
        const [ana, ghost] = [await probe('ana'), await probe('ghost')];
        // Not vacuous: ana's generate was refused by the prefix (answered as a success, nothing sent).
        expect(t.sent).toHaveLength(3);
        expect(ana).toEqual(ghost);
      });

      // Known, and older than the session guard (SECURITY.md §4, USERNAME timing): answers are
      // uniform in status and body, not in DynamoDB requests. `it.failing` passes while the
      // difference is there and fails, to be turned into `it`, once it is closed.
      it.failing("does not tell, at otp/validate, which USERNAME's phone is locked for the day (DynamoDB requests)", async () => {
        const t = await setup({
          tenant: { policy: { maxDailyFailuresPerDestination: 2 } as Tenant['policy'] },
        });
        const sessions = {
          ana: await t.session(user('ana')),
          ghost: await t.session(user('ghost')),
        };
        for (const name of ['ana', 'ghost'] as const)
          await t.post('/auth/v1/otp/generate', { ...user(name), sessionId: sessions[name] });
        // Other MOBILE logins to ana's phone fail twice: her phone is locked for the day.
        const other = await t.session(anaMobile);
        await t.post('/auth/v1/otp/generate', { ...anaMobile, sessionId: other });
        const otherCode = lastCode(t.sent);
        for (let i = 0; i < 2; i++)
          await t.post('/auth/v1/otp/validate', {
            ...anaMobile,
            sessionId: other,
            otp: wrongCodeFor(otherCode),
          });
        const ana = await validateProbe(t, 'ana', sessions.ana);
        const ghost = await validateProbe(t, 'ghost', sessions.ghost);
        expect(ana.status).toBe(400);
        expect(ana).toEqual(ghost);
      });

      it('does not tell which USERNAME has a phone the number policy refuses (DynamoDB requests), and mails one with an address', async () => {
        const t = await setup();
        await t.tenants.putContact(t.tenant.tenantId, { userId: 'fr', phone: '+33612345678' });
        await t.tenants.putContact(t.tenant.tenantId, {
          userId: 'fr-mail',
          phone: '+33612345679',
          email: 'fr@example.com',
        });
        const probe = async (name: string) => {
          const sessionId = await t.session(user(name));
          t.requests.reset();
          const res = await t.raw('/auth/v1/otp/generate', { ...user(name), sessionId });
          return { status: res.statusCode, body: res.body, requests: { ...t.requests.counts } };
        };
        // The first send of a process and period reads its counters' audit once, whoever it is for.
        await probe('warm-up');
        const [fr, ghost] = [await probe('fr'), await probe('ghost')];
        expect(fr.status).toBe(200);
        expect(fr).toEqual(ghost);
        expect(t.sent).toEqual([]);
        // A refused phone is no phone: the contact's e-mail takes the code instead.
        expect((await probe('fr-mail')).status).toBe(200);
        expect(t.sent.map((m) => [m.channel, m.to])).toEqual([['EMAIL', 'fr@example.com']]);
      });

      it("answers a USERNAME generate alike for a real user and a decoy when the session's read is throttled", async () => {
        const t = await setup();
        // Other MOBILE logins fill the anonymous window of ana's phone: her generates are refused.
        for (let i = 0; i < 3; i++) {
          const sessionId = await t.session(anaMobile);
          await t.post('/auth/v1/otp/generate', { ...anaMobile, sessionId });
        }
        const sessions = { ana: await t.session(user('ana')), ghost: await t.session(user('ghost')) };
        // From here the session's GetItem is throttled (the transactions' checks still run).
        t.ddb.middlewareStack.add(
          (next, context) => async (args) => {
            const key = (args.input as { Key?: Record<string, { S?: string }> }).Key;
            if (context.commandName === 'GetItemCommand' && key?.pk?.S?.startsWith('SESSION#')) {
              throw Object.assign(new Error('throttled'), { name: 'ThrottlingException' });
            }
            return next(args);
          },
          { step: 'initialize', name: 'throttleSessionReads' },
        );
        const answer = async (name: 'ana' | 'ghost') => {
          const res = await t.raw('/auth/v1/otp/generate', { ...user(name), sessionId: sessions[name] });
          return { status: res.statusCode, body: res.body };
        };
        const [ana, ghost] = [await answer('ana'), await answer('ghost')];
        expect(ghost.status).toBe(200);
        expect(ana).toEqual(ghost);
      });

      it('still emits otp.refused on a live session for a resend refused before its own transaction', async () => {
        const t = await setup();
        const recorded = recordingEvents();
        t.deps.events = recorded.publisher;
        const sessionId = await t.session();
        await t.post('/auth/v1/otp/generate', { ...SEED.otp, sessionId });
        // Inside the resend gap: the resend refuses before its own transaction.
        const gap = await t.post('/auth/v1/otp/generate', { ...SEED.otp, sessionId });
        expect(gap).toMatchObject({ status: 429, body: refused(1534) });
        expect(recorded.types()).toContain('otp.refused');
      });

      it('answers (never 500) a USERNAME request whose sessionId is no valid UTF-8 key text', async () => {
        const t = await setup();
        const body = { ...user('ana'), sessionId: 'D-\ud800x' };
        const gen = await t.post('/auth/v1/otp/generate', body);
        const val = await t.post('/auth/v1/otp/validate', { ...body, otp: '123456' });
        expect([gen.status, val.status]).toEqual([400, 400]);
        const ghost = { ...user('ghost'), sessionId: 'D-\ud800x' };
        const gen2 = await t.post('/auth/v1/otp/generate', ghost);
        const val2 = await t.post('/auth/v1/otp/validate', { ...ghost, otp: '123456' });
        expect([gen2.status, val2.status]).toEqual([400, 400]);
      });
    });

    it("never lets a request for another identifier of the same address reserve a guess on the session's code", async () => {
      const t = await setup();
      const sessionId = await t.session(user('ana'));
      await t.post('/auth/v1/otp/generate', { ...user('ana'), sessionId });
      const code = lastCode(t.sent);
      const challenge = (await scanItems(t.ddb, t.tableName)).find((i) =>
        String(i.sk).startsWith(`CH#ae:STANDARDAPP:${sessionId}:`),
      );
      const keys: string[] = [];
      t.ddb.middlewareStack.add(
        (next, context) => async (args) => {
          const input = args.input as { Key?: Record<string, { S?: string }> };
          if (context.commandName === 'UpdateItemCommand' && input.Key)
            keys.push(`${input.Key.pk?.S}|${input.Key.sk?.S}`);
          return next(args);
        },
        { step: 'initialize', name: 'recordUpdates' },
      );
      // The session is ana's USERNAME; the request names her phone as a MOBILE (same engine subject).
      const res = await t.post('/auth/v1/otp/validate', { ...anaMobile, sessionId, otp: code });
      expect(res).toMatchObject({ status: 400, body: refused(1541) });
      expect(keys).not.toContain(`${challenge?.pk}|${challenge?.sk}`);
    });

    it("does not let mismatched requests in flight refuse the user's right code (all attempts reserved)", async () => {
      const t = await setup({ tenant: { policy: { maxAttemptsPerCode: 2 } as Tenant['policy'] } });
      const sessionId = await t.session(user('ana'));
      await t.post('/auth/v1/otp/generate', { ...user('ana'), sessionId });
      const code = lastCode(t.sent);
      // Hold every transaction until released: the mismatched requests stay between their
      // reservation and their (refused) transaction.
      let release: () => void = () => undefined;
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      let held = 0;
      let hold = true;
      t.ddb.middlewareStack.add(
        (next, context) => async (args) => {
          if (hold && context.commandName === 'TransactWriteItemsCommand') {
            held++;
            await gate;
          }
          return next(args);
        },
        { step: 'initialize', name: 'holdTransactions' },
      );
      const mismatched = [1, 2].map(() =>
        t.post('/auth/v1/otp/validate', { ...anaMobile, sessionId, otp: wrongCodeFor(code) }),
      );
      for (let i = 0; i < 200 && held < 2; i++) await new Promise((r) => setTimeout(r, 10));
      hold = false;
      const legit = await t.post('/auth/v1/otp/validate', { ...user('ana'), sessionId, otp: code });
      release();
      const refusedMismatch = await Promise.all(mismatched);
      expect(refusedMismatch.map((r) => (r.body.status as { code: number }).code)).toEqual([1541, 1541]);
      expect(legit).toMatchObject({ status: 200, body: OK });
    });

    it('emits no event for a generate on a session that does not exist, even for a number the policy refuses', async () => {
      const t = await setup();
      const recorded = recordingEvents();
      t.deps.events = recorded.publisher;
      // A made-up session (no token/generate) and a phone in a region the tenant does not serve.
      const res = await t.post('/auth/v1/otp/generate', { ...SEED.otp, identifierValue: '+33612345678' });
      expect(res).toMatchObject({ status: 400, body: refused(1505) });
      expect(recorded.types()).toEqual([]);
      // Not vacuous: the recorder sees this handler's events.
      const sessionId = await t.session();
      await t.post('/auth/v1/otp/generate', { ...SEED.otp, sessionId });
      expect(recorded.types()).toContain('otp.issued');
    });

    describe('a test destination', () => {
      const TEST = { ...SEED.token, identifierValue: '+15005550006' };
      const testTenant = { tenant: { testDestinations: [{ to: '+15005550006', code: '424242' }] } };

      it('still needs a live session: a made-up or ended one gets 1505 and no code', async () => {
        const t = await setup(testTenant);
        const made = await t.post('/auth/v1/otp/generate', { ...TEST, sessionId: 'D-made-up' });
        expect(made).toMatchObject({ status: 400, body: refused(1505) });
        const sessionId = await t.session(TEST);
        t.clock.advance(15 * 60_000);
        const ended = await t.post('/auth/v1/otp/generate', { ...TEST, sessionId });
        expect(ended).toMatchObject({ status: 400, body: refused(1505) });
        const validate = await t.post('/auth/v1/otp/validate', { ...TEST, sessionId, otp: '424242' });
        expect(validate).toMatchObject({ status: 400, body: refused(1505) });
        const items = await scanItems(t.ddb, t.tableName);
        expect(items.filter((i) => String(i.sk).startsWith('CH#'))).toEqual([]);
      });

      it('answers 30 parallel generates on one session all as sent (a load test never trips on them)', async () => {
        const t = await setup(testTenant);
        const sessionId = await t.session(TEST);
        const answers = await Promise.all(
          Array.from({ length: 30 }, () => t.post('/auth/v1/otp/generate', { ...TEST, sessionId })),
        );
        expect(answers.map((a) => a.status)).toEqual(Array(30).fill(200));
        const ok = await t.post('/auth/v1/otp/validate', { ...TEST, sessionId, otp: '424242' });
        expect(ok).toMatchObject({ status: 200, body: OK });
      });
    });

    it('gives one token for parallel right guesses and counts every one of 50 parallel wrong ones', async () => {
      const t = await setup();
      const sessionId = await t.session();
      await t.post('/auth/v1/otp/generate', { ...SEED.otp, sessionId });
      const code = lastCode(t.sent);
      const challengeOf = async () =>
        (await scanItems(t.ddb, t.tableName)).find((i) =>
          String(i.sk).startsWith(`CH#ae:STANDARDAPP:${sessionId}:`),
        ) as { attempts: number; consumedAt?: number };
      const wrong = await Promise.all(
        Array.from({ length: 50 }, () =>
          t.post('/auth/v1/otp/validate', { ...SEED.otp, sessionId, otp: wrongCodeFor(code) }),
        ),
      );
      const codes = wrong.map((a) => (a.body.status as { code: number }).code);
      expect(codes.filter((c) => c === 1506)).toHaveLength(5);
      expect(codes.filter((c) => c !== 1506).every((c) => c === 1518)).toBe(true);
      expect((await challengeOf()).attempts).toBe(5);

      const second = await t.session();
      await t.post('/auth/v1/otp/generate', { ...SEED.otp, sessionId: second });
      const right = lastCode(t.sent);
      const answers = await Promise.all(
        Array.from({ length: 10 }, () =>
          t.post('/auth/v1/otp/validate', { ...SEED.otp, sessionId: second, otp: right }),
        ),
      );
      expect(answers.filter((a) => a.status === 200)).toHaveLength(1);
      const item = (await scanItems(t.ddb, t.tableName)).find((i) =>
        String(i.sk).startsWith(`CH#ae:STANDARDAPP:${second}:`),
      ) as { attempts: number; consumedAt?: number };
      expect(item.consumedAt).toBeDefined();
      expect(item.attempts).toBeGreaterThanOrEqual(1);
      expect(await t.sessions()).toEqual([expect.objectContaining({ pk: `SESSION#${sessionId}` })]);
    });

    it('sends nothing for a generate that loses the race to the right validate', async () => {
      const t = await setup({ tenant: { policy: { resendGapSeconds: 0 } as Tenant['policy'] } });
      for (let round = 0; round < 5; round++) {
        // A fresh recipient window each round (anonymous: 3 messages per 10 minutes).
        t.clock.advance(10 * 60_000);
        const sessionId = await t.session();
        await t.post('/auth/v1/otp/generate', { ...SEED.otp, sessionId });
        const code = lastCode(t.sent);
        const before = t.sent.length;
        const [gen, val] = await Promise.all([
          t.post('/auth/v1/otp/generate', { ...SEED.otp, sessionId }),
          t.post('/auth/v1/otp/validate', { ...SEED.otp, sessionId, otp: code }),
        ]);
        expect(val).toMatchObject({ status: 200, body: OK });
        expect(t.sent.length - before).toBe(gen.status === 200 ? 1 : 0);
        if (gen.status !== 200) expect(gen.body).toMatchObject(refused(1505));
      }
    });

    it('answers (never 500) a sessionId or deviceId that is no valid UTF-8 key text', async () => {
      const t = await setup();
      const sessionId = await t.session();
      for (const body of [
        { ...SEED.otp, sessionId: 'D-\ud800x' },
        { ...SEED.otp, sessionId, deviceId: '\udfff-dev' },
      ]) {
        const gen = await t.post('/auth/v1/otp/generate', body);
        const val = await t.post('/auth/v1/otp/validate', { ...body, otp: '123456' });
        expect([gen.status, val.status]).toEqual([400, 400]);
      }
    });

    it('re-sends nothing on a session that ended while its code is live, and charges nothing', async () => {
      const t = await setup();
      const sessionId = await t.session();
      t.clock.advance(10 * 60_000);
      await t.post('/auth/v1/otp/generate', { ...SEED.otp, sessionId });
      t.clock.advance(5 * 60_000 + 1_000);
      const before = await scanItems(t.ddb, t.tableName);
      const res = await t.post('/auth/v1/otp/generate', { ...SEED.otp, sessionId });
      expect(res).toMatchObject({ status: 400, body: refused(1505) });
      expect(t.sent).toHaveLength(1);
      const key = (i: Record<string, unknown>) => `${i.pk}|${i.sk}`;
      const sorted = (items: Record<string, unknown>[]) =>
        [...items].sort((a, b) => key(a).localeCompare(key(b)));
      expect(sorted(await scanItems(t.ddb, t.tableName))).toEqual(sorted(before));
    });

    it("sends a fallback step of a session's code while the session lives, and the code still logs in", async () => {
      const t = await setup({
        tenant: { fallback: { 'ae:STANDARDAPP': { steps: [{ channel: 'VOICE', afterSeconds: 120 }] } } },
      });
      const jobs = manualScheduler();
      t.deps.scheduler = jobs.scheduler;
      const sessionId = await t.session();
      await t.post('/auth/v1/otp/generate', { ...SEED.otp, sessionId });
      t.clock.advance(2 * 60_000);
      const [job] = jobs.due(t.clock.now());
      const deps = { ...t.deps, scheduler: jobs.scheduler } as FallbackDeps;
      await expect(runFallbackStep(deps, job as FallbackJob)).resolves.toBe('sent');
      expect(t.sent.map((m) => m.channel)).toEqual(['SMS', 'VOICE']);
      const otp = lastCode(t.sent);
      expect(await t.post('/auth/v1/otp/validate', { ...SEED.otp, sessionId, otp })).toMatchObject({
        status: 200,
      });
    });

    it("sends no fallback step of a session's code once the session has ended", async () => {
      const t = await setup({
        tenant: { fallback: { 'ae:STANDARDAPP': { steps: [{ channel: 'VOICE', afterSeconds: 120 }] } } },
      });
      const jobs = manualScheduler();
      t.deps.scheduler = jobs.scheduler;
      const sessionId = await t.session();
      t.clock.advance(14 * 60_000);
      await t.post('/auth/v1/otp/generate', { ...SEED.otp, sessionId });
      expect(t.sent.map((m) => m.channel)).toEqual(['SMS']);
      // The session ends at 15 minutes; the code (10 minutes) and its voice step (2 minutes) live on.
      t.clock.advance(2 * 60_000);
      const [job] = jobs.due(t.clock.now());
      expect(job).toBeDefined();
      await runFallbackStep({ ...t.deps, scheduler: jobs.scheduler } as FallbackDeps, job as FallbackJob);
      const validate = await t.post('/auth/v1/otp/validate', {
        ...SEED.otp,
        sessionId,
        otp: lastCode(t.sent),
      });
      expect(validate).toMatchObject({ status: 400, body: refused(1505) });
      // A call to a code no one can use any more: the step's send checks the session (was not).
      expect(t.sent.map((m) => m.channel)).toEqual(['SMS']);
    });
  });
});
