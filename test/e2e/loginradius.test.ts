import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { LOGINRADIUS_DEMO, seedDemo } from '../../local/demo/loginradius';
import { type LocalStack, startLocalStack } from '../support/local-stack';

const AUTH = `apikey=${LOGINRADIUS_DEMO.apikey}&apisecret=${LOGINRADIUS_DEMO.apisecret}`;

describe('loginradius over HTTP', () => {
  let stack: LocalStack;

  beforeAll(async () => {
    stack = await startLocalStack();
    // Idempotent: the stack may already have run the demo seeds; this makes the test not depend on it.
    await seedDemo(stack.deps.tenants, stack.demo.tenantId);
  });
  afterAll(async () => {
    await stack.stop();
  });

  const send = async (
    method: 'POST' | 'PUT',
    path: string,
    body: string,
    contentType = 'application/json',
    query = AUTH,
  ) => {
    const response = await fetch(`${stack.baseUrl}/identity/v2/manage/account/smsotp/${path}?${query}`, {
      method,
      headers: { 'content-type': contentType },
      body,
    });
    return {
      status: response.status,
      headers: response.headers,
      body: (await response.json()) as Record<string, unknown>,
    };
  };

  /** The 6-digit code at the start of the newest SMS to `phone`, as the user would read it. */
  const codeSentTo = async (phone: string): Promise<string> => {
    const message = (await stack.outbox()).find((m) => m.channel === 'SMS' && m.to === phone);
    const code = /^(\d{6})\b/.exec(message?.text ?? '')?.[1];
    if (!code) throw new Error(`no code in the outbox for ${phone}`);
    return code;
  };

  it('generates with a JSON body, delivers the SMS and verifies the code once', async () => {
    expect(stack.dialects).toContain('loginradius');
    await stack.clearOutbox();
    const generated = await send('POST', 'forgotpassword', JSON.stringify({ Phone: '+919812345678' }));
    expect(generated.status).toBe(200);
    expect(generated.body).toEqual({ Token: expect.any(String), ExpiresIn: expect.any(String) });
    expect(Date.parse(generated.body.ExpiresIn as string)).toBeGreaterThan(Date.now());
    const code = await codeSentTo('+919812345678');
    expect(JSON.stringify(generated.body)).not.toContain(code);

    const body = JSON.stringify({ Phone: '+919812345678', Otp: code });
    expect(await send('PUT', 'forgotpassword/verify', body)).toMatchObject({
      status: 200,
      body: { IsVerified: true },
    });
    const again = await send('PUT', 'forgotpassword/verify', body);
    expect(again).toMatchObject({ status: 403, body: { ErrorCode: 1067, Message: 'Invalid OTP Code' } });
  });

  it('takes form bodies with any key casing for generate and verify', async () => {
    const form = 'application/x-www-form-urlencoded';
    const generated = await send('POST', 'PasswordlessLogin', 'PHONE=%2B14155550199', form);
    expect(generated.status).toBe(200);
    const code = await codeSentTo('+14155550199');
    const verified = await send('PUT', 'passwordlesslogin/verify', `phone=%2B14155550199&otp=${code}`, form);
    expect(verified).toMatchObject({ status: 200, body: { IsVerified: true } });
  });

  it('answers errors in the vendor shape with the security headers, sending nothing', async () => {
    await stack.clearOutbox();
    const badType = await send('POST', 'resetpassword', JSON.stringify({ Phone: '+919812345679' }));
    expect(badType.status).toBe(400);
    expect(badType.body).toEqual({
      Description: expect.any(String),
      ErrorCode: 1182,
      Message: 'You have entered an invalid sms otp type',
      IsProviderError: false,
      ProviderErrorResponse: null,
    });
    expect(badType.headers.get('cache-control')).toBe('no-store');

    const badSecret = await send(
      'POST',
      'forgotpassword',
      JSON.stringify({ Phone: '+919812345679' }),
      'application/json',
      `apikey=${LOGINRADIUS_DEMO.apikey}&apisecret=wrong`,
    );
    expect(badSecret).toMatchObject({ status: 401, body: { ErrorCode: 902 } });

    const malformed = await send('POST', 'forgotpassword', '{"Phone": ');
    expect(malformed).toMatchObject({ status: 400, body: { ErrorCode: 965 } });
    expect(await stack.outbox()).toEqual([]);
  });
});
