import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DEMO_FALLBACK_SECONDS } from '../../local/demo/capillary-v2';
import { runFallbackStep } from '../../shared/engine/fallback';
import { type LocalStack, startLocalStack } from '../support/local-stack';
import { manualScheduler } from '../support/manual-scheduler';

const PHONE = '919876543210';

/**
 * The demo tenant's workflow over HTTP: Capillary v2 `REGISTRATION` by SMS, then a voice call
 * with the same code 15 s later. The local runtime's timers are replaced by a manual scheduler
 * (the same port), so the test fires the step instead of waiting.
 */
describe('fallback workflow (local runtime, demo tenant)', () => {
  let stack: LocalStack;
  const jobs = manualScheduler();

  beforeAll(async () => {
    stack = await startLocalStack();
    // The handlers hold this deps object: from now on generates schedule here.
    stack.deps.scheduler = jobs.scheduler;
  });
  afterAll(async () => stack.stop());

  const v2 = (path: string, body: unknown) =>
    fetch(`${stack.baseUrl}${path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Basic ${Buffer.from(`${stack.demo.basic.clientId}:${stack.demo.basic.secret}`).toString('base64')}`,
      },
      body: JSON.stringify(body),
    });
  const generate = (phone: string) =>
    v2('/v2/otp/generate', {
      entityType: 'MOBILE',
      entityValue: phone,
      action: 'REGISTRATION',
      channels: [{ type: 'SMS', value: phone }],
    });
  const fire = async () => {
    const due = jobs.jobs.splice(0);
    return Promise.all(due.map((j) => runFallbackStep({ ...stack.deps, scheduler: jobs.scheduler }, j.job)));
  };

  it('calls the same number with the same code when the step fires', async () => {
    const before = Date.now();
    expect((await generate(PHONE)).status).toBe(200);
    expect(jobs.jobs).toHaveLength(1);
    const at = jobs.jobs[0]?.at ?? 0;
    expect(at - before).toBeGreaterThanOrEqual(DEMO_FALLBACK_SECONDS * 1000 - 1000);
    const [sms] = await stack.outbox();
    const code = sms?.text.match(/\d{6}/)?.[0] ?? '';
    expect(sms).toMatchObject({ channel: 'SMS', to: `+${PHONE}` });
    await expect(fire()).resolves.toEqual(['sent']);
    const [voice] = await stack.outbox();
    expect(voice).toMatchObject({ channel: 'VOICE', to: `+${PHONE}` });
    expect(voice?.text).toContain(code.split('').join(' '));
    // And it still validates, once.
    const ok = await v2('/v2/otp/validate', {
      entityType: 'MOBILE',
      entityValue: PHONE,
      action: 'REGISTRATION',
      code,
    });
    expect(await ok.json()).toEqual({ entity: true, warnings: [] });
  });

  it('makes no call once the code is validated', async () => {
    const phone = '919876543211';
    await generate(phone);
    const code = (await stack.outbox())[0]?.text.match(/\d{6}/)?.[0] ?? '';
    await v2('/v2/otp/validate', { entityType: 'MOBILE', entityValue: phone, action: 'REGISTRATION', code });
    await expect(fire()).resolves.toEqual(['stopped']);
    expect((await stack.outbox()).filter((m) => m.to === `+${phone}`).map((m) => m.channel)).toEqual(['SMS']);
  });

  it("runs the seed's EMAIL example (SMS, e-mail and voice) with the workflow: the call goes to its phone", async () => {
    const response = await v2('/v2/otp/generate', {
      entityType: 'email',
      entityValue: 'tomsawyer@gmail.com',
      action: 'REGISTRATION',
      template: 'Hi user.Your OTP for validation is {{ validation_code }}.Enjoy',
      emailTemplate: { subject: 'Validation Code', body: 'The code is: {{ validation_code }}.' },
      channels: [
        { type: 'SMS', value: '9955882233' },
        { type: 'EMAIL', value: 'tomsawyer@gmail.com' },
        { type: 'PHONE', value: '9955882233' },
      ],
    });
    expect(await response.json()).toMatchObject({ warnings: [] });
    expect(response.status).toBe(200);
    await expect(fire()).resolves.toEqual(['sent']);
    expect((await stack.outbox())[0]).toMatchObject({ channel: 'VOICE', to: '+919955882233' });
  });

  it('starts no workflow for an action without one', async () => {
    await v2('/v2/otp/generate', {
      entityType: 'MOBILE',
      entityValue: '919876543212',
      action: 'POINTSTRANSFER',
      channels: [{ type: 'SMS', value: '919876543212' }],
    });
    expect(jobs.jobs).toEqual([]);
  });
});
