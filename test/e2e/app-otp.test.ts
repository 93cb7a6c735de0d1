import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { demoTenantPatch, demoUserToken, seedDemo } from '../../local/demo/app-otp';
import { type LocalStack, startLocalStack } from '../support/local-stack';

/** The seed's resend example body (its register example uses the placeholder country "XX"). */
const PHONE_BODY = { phone_number: '9876543219', countryCode: '+91' };

describe('app-otp over HTTP', () => {
  let stack: LocalStack;

  beforeAll(async () => {
    stack = await startLocalStack();
    // The local stack seeds only the base demo tenant: add this dialect's JWT settings to it.
    const tenant = await stack.deps.tenants.get(stack.demo.tenantId);
    if (!tenant) throw new Error('the local stack did not seed the demo tenant');
    await stack.deps.tenants.putTenant({ ...tenant, ...demoTenantPatch });
    await seedDemo(stack.deps.tenants, stack.demo.tenantId);
  });
  afterAll(async () => {
    await stack.stop();
  });

  // The local stack runs on the real clock.
  const post = async (endpoint: string, body: unknown, token: string = demoUserToken(Date.now())) => {
    const response = await fetch(`${stack.baseUrl}/fe/users/auth/otp/${endpoint}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-jwt-token': token },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  /** The code in the newest SMS to the seed's phone, read off the outbox as a user would. */
  const codeFromOutbox = async (): Promise<string> => {
    const sms = (await stack.outbox()).find((m) => m.channel === 'SMS' && m.to === '+919876543219');
    const code = sms && /\b(\d{6})\b/.exec(sms.text)?.[1];
    if (!code) throw new Error('no SMS with a code in the outbox');
    return code;
  };

  it('registers, reads the SMS from the outbox, verifies, and then answers isNewUser false', async () => {
    expect(stack.dialects).toContain('app-otp');
    await stack.clearOutbox();
    const registered = await post('register', PHONE_BODY);
    expect(registered).toEqual({
      status: 200,
      body: { authCode: expect.stringMatching(/^\d{4}$/), isNewUser: true },
    });
    const otp = await codeFromOutbox();
    expect(JSON.stringify(registered.body)).not.toContain(otp);

    const verified = await post('verify', { ...PHONE_BODY, authCode: registered.body.authCode, otp });
    expect(verified).toEqual({ status: 200, body: { message: 'Phone number verified successfully' } });
    const again = await post('verify', { ...PHONE_BODY, authCode: registered.body.authCode, otp });
    expect(again).toEqual({ status: 400, body: { message: 'OTP_NOT_FOUND' } });

    const resent = await post('resend', PHONE_BODY);
    expect(resent).toMatchObject({ status: 200, body: { isNewUser: false } });
  });

  it('answers 401 UN_AUTHORIZED for a bad token and sends nothing', async () => {
    await stack.clearOutbox();
    const res = await post('register', PHONE_BODY, `${demoUserToken(Date.now()).slice(0, -2)}xx`);
    expect(res).toEqual({ status: 401, body: { message: 'UN_AUTHORIZED' } });
    expect(await stack.outbox()).toEqual([]);
  });
});
