import { createHmac } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import loginRadius, { type LoginRadiusConfig } from 'loginradius-sdk';
import { LOGINRADIUS_DEMO, seedDemo } from '../../local/demo/loginradius';
import { type LocalStack, startLocalStack } from '../support/local-stack';

/**
 * The official LoginRadius Node SDK (loginradius-sdk 11.7.0), unmodified, as a team's code would
 * call it, against the local runtime. Only its transport is redirected: `https.request` to the
 * SDK's apiDomain becomes `http.request` to the local server (same options, another host and
 * port). The SDK formats `X-Request-Expires` in the process's local time, which LoginRadius reads
 * as UTC, so the process runs in UTC (as Lambda does).
 */
process.env.TZ = 'UTC';

const SDK_DOMAIN = 'lr-sdk.test';

interface Sent {
  path: string;
  headers: Record<string, string>;
  body: string;
}

describe('loginradius-sdk 11 against the local runtime', () => {
  let stack: LocalStack;
  /** Every request the SDK sent, as it sent it (for the replay tests). */
  const sent: Sent[] = [];

  beforeAll(async () => {
    stack = await startLocalStack();
    await seedDemo(stack.deps.tenants, stack.demo.tenantId);
    const port = Number(new URL(stack.baseUrl).port);
    type Request = (
      options: https.RequestOptions,
      callback?: (res: http.IncomingMessage) => void,
    ) => http.ClientRequest;
    const original = https.request as Request;
    jest.spyOn(https, 'request').mockImplementation(((options, callback) => {
      if (options.hostname !== SDK_DOMAIN) return original(options, callback);
      const request = http.request({ ...options, hostname: '127.0.0.1', port }, callback);
      const entry: Sent = {
        path: String(options.path),
        headers: { ...(options.headers as object) },
        body: '',
      };
      sent.push(entry);
      const write = request.write.bind(request);
      request.write = ((chunk: string, ...rest: never[]) => {
        entry.body += chunk;
        return write(chunk, ...rest);
      }) as typeof request.write;
      return request;
    }) as Request as typeof https.request);
  });
  afterAll(async () => {
    jest.restoreAllMocks();
    await stack.stop();
  });

  const sdk = (overrides: Partial<LoginRadiusConfig> = {}) => {
    const config: LoginRadiusConfig = {
      apiKey: LOGINRADIUS_DEMO.apikey,
      apiSecret: LOGINRADIUS_DEMO.apisecret,
      apiDomain: SDK_DOMAIN,
      ...overrides,
    };
    const client = loginRadius(config);
    // The extension's verify through the SDK's own transport, as its API methods call it.
    const verify = (type: string, Phone: string, Otp: string) =>
      (config.request as NonNullable<LoginRadiusConfig['request']>)(
        'PUT',
        `identity/v2/manage/account/smsotp/${type}/verify`,
        { apiKey: config.apiKey, apiSecret: config.apiSecret },
        { Phone, Otp },
      );
    return { client, verify };
  };

  const codeSentTo = async (phone: string): Promise<string> => {
    const message = (await stack.outbox()).find((m) => m.channel === 'SMS' && m.to === phone);
    const code = /^(\d{6})\b/.exec(message?.text ?? '')?.[1];
    if (!code) throw new Error(`no code in the outbox for ${phone}`);
    return code;
  };
  const smsCount = async () => (await stack.outbox()).filter((m) => m.channel === 'SMS').length;
  const wrong = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');

  describe.each([
    ['secret headers', false, '+919800000101'],
    ['request signing', true, '+919800000102'],
  ])('%s', (_mode, apiRequestSigning, phone) => {
    it('generates, delivers the SMS, verifies once; the secret never travels when signing', async () => {
      const { client, verify } = sdk({ apiRequestSigning });
      sent.length = 0;
      const generated = await client.accountApi.multipurposeSMSOTPGeneration(
        { Phone: phone },
        'forgotpassword',
      );
      expect(generated).toEqual({ Token: expect.any(String), ExpiresIn: expect.any(String) });

      const [request] = sent;
      expect(request?.path).toBe(
        `/identity/v2/manage/account/smsotp/forgotpassword?apiKey=${LOGINRADIUS_DEMO.apikey}`,
      );
      const wire = JSON.stringify(request);
      if (apiRequestSigning) {
        expect(wire).not.toContain(LOGINRADIUS_DEMO.apisecret);
        expect(request?.headers).toMatchObject({ digest: expect.stringMatching(/^SHA-256=/) });
      } else {
        expect(request?.headers).toMatchObject({ 'X-LoginRadius-apiSecret': LOGINRADIUS_DEMO.apisecret });
      }

      const code = await codeSentTo(phone);
      await expect(verify('forgotpassword', phone, code)).resolves.toEqual({ IsVerified: true });
      // Single use: the SDK rejects with LoginRadius's body.
      await expect(verify('forgotpassword', phone, code)).rejects.toMatchObject({ ErrorCode: 1067 });
    });

    it('rejects a wrong secret with 902 and sends nothing', async () => {
      const { client } = sdk({ apiRequestSigning, apiSecret: 'not-the-secret-0123456789abcdefghij' });
      const before = await smsCount();
      await expect(
        client.accountApi.multipurposeSMSOTPGeneration({ Phone: phone }, 'forgotpin'),
      ).rejects.toMatchObject({ ErrorCode: 902, Message: 'The API secret is unauthorized' });
      expect(await smsCount()).toBe(before);
    });

    it('rejects a wrong code with 1067 and locks the code after the attempt limit', async () => {
      const { client, verify } = sdk({ apiRequestSigning });
      await client.accountApi.multipurposeSMSOTPGeneration({ Phone: phone }, 'passwordlesslogin');
      const code = await codeSentTo(phone);
      const attempts = (await stack.deps.tenants.get(stack.demo.tenantId))?.policy.maxAttemptsPerCode ?? 0;
      expect(attempts).toBeGreaterThan(0);
      for (let i = 0; i < attempts; i++) {
        await expect(verify('passwordlesslogin', phone, wrong(code))).rejects.toMatchObject({
          ErrorCode: 1067,
          Description: expect.stringContaining('incorrect'),
        });
      }
      // Locked: even the right code is refused now.
      await expect(verify('passwordlesslogin', phone, code)).rejects.toMatchObject({
        ErrorCode: 1067,
        Description: expect.stringContaining('Too many wrong attempts'),
      });
    });

    it('surfaces the resend gap as the SDK’s own 429 error', async () => {
      const { client } = sdk({ apiRequestSigning });
      await client.accountApi.multipurposeSMSOTPGeneration({ Phone: phone }, 'smartlogin');
      await expect(
        client.accountApi.multipurposeSMSOTPGeneration({ Phone: phone }, 'smartlogin'),
      ).rejects.toMatchObject({ ErrorCode: 429 });
    });
  });

  describe('request signatures', () => {
    const url = (type: string) =>
      `${stack.baseUrl}/identity/v2/manage/account/smsotp/${type}?apiKey=${LOGINRADIUS_DEMO.apikey}`;
    /** `YYYY-MM-DD HH:mm:ss` in UTC, `offsetMs` from now. */
    const expiresIn = (offsetMs: number) =>
      new Date(Date.now() + offsetMs).toISOString().slice(0, 19).replace('T', ' ');
    /** A digest over expiry, lower-cased encoded URL and body, computed here (not by the service's code). */
    const boundDigest = (
      expires: string,
      target: string,
      body: string,
      secret: string = LOGINRADIUS_DEMO.apisecret,
    ) => {
      const address = target.replace(/^http:\/\//, 'https://');
      const input = `${expires}:${encodeURIComponent(decodeURIComponent(address)).toLowerCase()}:${body}`;
      return `SHA-256=${createHmac('sha256', secret).update(input).digest('base64')}`;
    };
    const post = async (target: string, headers: Record<string, string>, body: string) => {
      const response = await fetch(target, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body,
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    const refused = { status: 401, body: expect.objectContaining({ ErrorCode: 902 }) };

    it('pins what loginradius-sdk 11 signs: HMAC-SHA256(secret, "<expires>:undefined")', async () => {
      sent.length = 0;
      await sdk({ apiRequestSigning: true })
        .client.accountApi.multipurposeSMSOTPGeneration({ Phone: '+919800000103' }, 'addphone')
        .catch(() => undefined);
      const headers = sent[0]?.headers ?? {};
      const expires = headers['X-Request-Expires'] ?? '';
      expect(expires).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
      const expected = createHmac('sha256', LOGINRADIUS_DEMO.apisecret)
        .update(`${expires}:undefined`)
        .digest('base64');
      expect(headers.digest).toBe(`SHA-256=${expected}`);
    });

    it('accepts a digest bound to the URL and body', async () => {
      const body = JSON.stringify({ Phone: '+919800000104' });
      const expires = expiresIn(10 * 60_000);
      const target = url('onetouchlogin');
      const answer = await post(
        target,
        { 'x-request-expires': expires, digest: boundDigest(expires, target, body) },
        body,
      );
      expect(answer).toMatchObject({ status: 200, body: { Token: expect.any(String) } });
    });

    it('refuses a replay of a bound digest with a changed body, sending nothing', async () => {
      const body = JSON.stringify({ Phone: '+919800000105' });
      const expires = expiresIn(10 * 60_000);
      const target = url('onetouchlogin');
      const headers = { 'x-request-expires': expires, digest: boundDigest(expires, target, body) };
      const before = await smsCount();
      expect(await post(target, headers, JSON.stringify({ Phone: '+919800000106' }))).toMatchObject(refused);
      // …or another path.
      expect(await post(url('forgotpin'), headers, body)).toMatchObject(refused);
      expect(await smsCount()).toBe(before);
    });

    it('refuses a tampered digest', async () => {
      const body = JSON.stringify({ Phone: '+919800000107' });
      const expires = expiresIn(10 * 60_000);
      const target = url('onetouchlogin');
      const digest = boundDigest(expires, target, body);
      const flipped = `${digest.slice(0, 10)}${digest[10] === 'A' ? 'B' : 'A'}${digest.slice(11)}`;
      expect(await post(target, { 'x-request-expires': expires, digest: flipped }, body)).toMatchObject(
        refused,
      );
      // A signature by another secret, and none at all.
      const other = boundDigest(expires, target, body, 'another-secret-0123456789abcdefghijk');
      expect(await post(target, { 'x-request-expires': expires, digest: other }, body)).toMatchObject(
        refused,
      );
      expect(await post(target, { 'x-request-expires': expires }, body)).toMatchObject(refused);
    });

    it('refuses an expired X-Request-Expires, one too far ahead, and a malformed one', async () => {
      const body = JSON.stringify({ Phone: '+919800000108' });
      const target = url('onetouchlogin');
      for (const expires of [
        expiresIn(-6 * 60_000),
        expiresIn(66 * 60_000),
        '2026-02-31 10:00:00',
        'tomorrow',
      ]) {
        const headers = { 'x-request-expires': expires, digest: boundDigest(expires, target, body) };
        expect(await post(target, headers, body)).toMatchObject(refused);
      }
    });

    it('refuses a replay of the SDK’s own signed request once its expiry has passed', async () => {
      sent.length = 0;
      const phone = '+919800000109';
      await sdk({ apiRequestSigning: true }).client.accountApi.multipurposeSMSOTPGeneration(
        { Phone: phone },
        'forgotpin',
      );
      const captured = sent[0] as Sent;
      const expiresAt = Date.parse(`${captured.headers['X-Request-Expires']?.replace(' ', 'T')}Z`);
      // The service's clock, an hour and six minutes on: past the expiry and the skew.
      const realNow = stack.deps.now;
      stack.deps.now = () => expiresAt + 6 * 60_000;
      try {
        const replay = await post(`${stack.baseUrl}${captured.path}`, captured.headers, captured.body);
        expect(replay).toMatchObject(refused);
      } finally {
        stack.deps.now = realNow;
      }
    });
  });

  it('replays an Idempotency-Key answer only to the same secret header, never to a wrong one', async () => {
    const target = `${stack.baseUrl}/identity/v2/manage/account/smsotp/phoneverification?apiKey=${LOGINRADIUS_DEMO.apikey}`;
    const body = JSON.stringify({ Phone: '+919800000113' });
    const send = (secret: string) =>
      fetch(target, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'idempotency-key': 'lr-header-retry-1',
          'X-LoginRadius-apiSecret': secret,
        },
        body,
      });
    const first = await send(LOGINRADIUS_DEMO.apisecret);
    expect(first.status).toBe(200);
    // The replay is answered without running the handler: the secret header must be part of
    // what makes two requests the same, or knowing the apiKey, body and key would be enough.
    const wrong = await send('not-the-secret-0123456789abcdefghij');
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('idempotency-replayed')).toBeNull();
    const retry = await send(LOGINRADIUS_DEMO.apisecret);
    expect(retry.status).toBe(200);
    expect(retry.headers.get('idempotency-replayed')).toBe('true');
  });

  it('keeps the query form working, and takes the header form from curl', async () => {
    const body = JSON.stringify({ Phone: '+919800000110' });
    const base = `${stack.baseUrl}/identity/v2/manage/account/smsotp/phoneverification`;
    const headerForm = await fetch(`${base}?apiKey=${LOGINRADIUS_DEMO.apikey}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'X-LoginRadius-apiSecret': LOGINRADIUS_DEMO.apisecret },
      body,
    });
    expect(headerForm.status).toBe(200);
    const queryForm = await fetch(
      `${base}?apikey=${LOGINRADIUS_DEMO.apikey}&apisecret=${LOGINRADIUS_DEMO.apisecret}`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ Phone: '+919800000111' }),
      },
    );
    expect(queryForm.status).toBe(200);
    // A key in the header and another in the query: refused, whichever the secret belongs to.
    const mixed = await fetch(`${base}?apiKey=someone-else`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'X-LoginRadius-apiKey': LOGINRADIUS_DEMO.apikey,
        'X-LoginRadius-apiSecret': LOGINRADIUS_DEMO.apisecret,
      },
      body: JSON.stringify({ Phone: '+919800000112' }),
    });
    expect(mixed.status).toBe(401);
  });
});
