import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { DEMO_AUTH } from '../../local/demo/capillary-auth';
import { TWILIO_DEMO } from '../../local/demo/twilio-verify';
import { DEMO } from '../../local/demo-tenant';
import { type LocalStack, startLocalStack } from '../support/local-stack';

const AUTH = `Basic ${Buffer.from(`${DEMO.basic.clientId}:${DEMO.basic.secret}`).toString('base64')}`;

describe('test destinations over HTTP (local runtime, demo tenant)', () => {
  let stack: LocalStack;

  const post = async (path: string, body: unknown, auth = true) => {
    const response = await fetch(`${stack.baseUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(auth && { authorization: AUTH }) },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const generate = (body: unknown) => post('/v2/otp/generate', body);
  const validate = (body: unknown) => post('/v2/otp/validate', body);

  beforeAll(async () => {
    stack = await startLocalStack();
  });
  afterAll(async () => {
    await stack.stop();
  });
  beforeEach(async () => {
    await stack.clearOutbox();
  });

  it('accepts the demo test phone with code 123456 once, by SMS and voice, and puts nothing in the outbox', async () => {
    const phone = { entityType: 'MOBILE', entityValue: '+1 (500) 555-0006', action: 'REGISTRATION' };
    const sent = await generate({
      ...phone,
      channels: [
        { type: 'SMS', value: DEMO.test.phone },
        { type: 'PHONE', value: '15005550006' },
      ],
    });
    // No "Gateway error" warning: every channel counts as delivered.
    expect(sent).toEqual({ status: 200, body: { createdId: expect.any(Number), warnings: [] } });
    expect(await stack.outbox()).toEqual([]);
    expect(await validate({ ...phone, code: DEMO.test.code })).toEqual({
      status: 200,
      body: { entity: true, warnings: [] },
    });
    const again = await validate({ ...phone, code: DEMO.test.code });
    expect(again.status).toBe(400);
    expect(again.body).toMatchObject({ entity: false, errors: [{ code: 604 }] });
  });

  it('matches the demo test e-mail in any case, and sends nothing to the SES emulator', async () => {
    const email = { entityType: 'EMAIL', entityValue: 'TEST@Example.com', action: 'REGISTRATION' };
    expect((await generate(email)).status).toBe(200);
    // A regenerate at once is the same code, not a 429: no resend gap for a test destination.
    expect(await generate(email)).toEqual({ status: 200, body: { createdId: 1, warnings: [] } });
    expect(await stack.outbox()).toEqual([]);
    expect((await validate({ ...email, code: DEMO.test.code })).body).toEqual({ entity: true, warnings: [] });
  });

  it('still limits guesses: after 5 wrong codes the fixed code is refused', async () => {
    const phone = { entityType: 'MOBILE', entityValue: DEMO.test.phone, action: 'GENERIC' };
    expect((await generate(phone)).status).toBe(200);
    for (let i = 0; i < 5; i++) {
      const wrong = await validate({ ...phone, code: '000000' });
      expect(wrong.body).toMatchObject({ entity: false });
    }
    const locked = await validate({ ...phone, code: DEMO.test.code });
    expect(locked.body).toMatchObject({ entity: false });
    expect(locked.status).toBeGreaterThanOrEqual(400);
  });

  it('gives a number next to the test number no fixed code: +1 500 555 0007 is refused as any personal number', async () => {
    const sent = await generate({ entityType: 'MOBILE', entityValue: '+15005550007', action: 'GENERIC' });
    expect(sent.status).toBe(400);
    expect(sent.body).toMatchObject({ errors: [{ code: 8056 }] });
    // A real number gets a real SMS with a random code.
    const real = { entityType: 'MOBILE', entityValue: '+12015550123', action: 'GENERIC' };
    expect((await generate(real)).status).toBe(200);
    const [sms] = await stack.outbox();
    expect(sms).toMatchObject({ channel: 'SMS', to: '+12015550123' });
  });

  it("refuses a customer's number with its code pointed at the test number", async () => {
    const refused = await generate({
      entityType: 'MOBILE',
      entityValue: '+12015550199',
      action: 'GENERIC',
      channels: [{ type: 'SMS', value: DEMO.test.phone }],
    });
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ errors: [{ code: 603 }] });
    expect(await stack.outbox()).toEqual([]);
  });

  it('approves the test phone through Twilio Verify with 123456, and a wrong code leaves it pending', async () => {
    const base = `${stack.baseUrl}/v2/Services/${TWILIO_DEMO.serviceSid}`;
    const twilio = async (path: string, form: Record<string, string>) => {
      const response = await fetch(`${base}${path}`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${TWILIO_DEMO.accountSid}:${TWILIO_DEMO.authToken}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams(form).toString(),
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    const created = await twilio('/Verifications', { To: DEMO.test.phone, Channel: 'call' });
    expect(created).toMatchObject({ status: 201, body: { status: 'pending', channel: 'call' } });
    expect(await stack.outbox()).toEqual([]);
    const wrong = await twilio('/VerificationCheck', { To: DEMO.test.phone, Code: '000000' });
    expect(wrong.body).toMatchObject({ status: 'pending', valid: false });
    const right = await twilio('/VerificationCheck', { To: DEMO.test.phone, Code: DEMO.test.code });
    expect(right.body).toMatchObject({ status: 'approved', valid: true });
  });

  it('logs the test phone in through the anonymous Capillary auth engine with 123456', async () => {
    const who = {
      identifierType: 'MOBILE',
      identifierValue: DEMO.test.phone,
      deviceId: 'review-device',
      brand: DEMO_AUTH.brand,
    };
    const session = await post('/auth/v1/token/generate', who, false);
    const sessionId = (session.body as { user?: { sessionId?: string } }).user?.sessionId;
    expect(sessionId).toMatch(/^D-/);
    const sent = await post('/auth/v1/otp/generate', { ...who, sessionId }, false);
    expect(sent.body).toMatchObject({ status: { success: true, code: 200 } });
    expect(await stack.outbox()).toEqual([]);
    const valid = await post('/auth/v1/otp/validate', { ...who, sessionId, otp: DEMO.test.code }, false);
    expect(valid.body).toMatchObject({ status: { success: true }, auth: { token: expect.any(String) } });
  });
});
