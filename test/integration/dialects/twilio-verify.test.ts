import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { TWILIO_DEMO } from '../../../local/demo/twilio-verify';
import {
  callDialect,
  diffTables,
  isEmptyDiff,
  type SecurityHarness,
  securityHarness,
  snapshotTable,
} from '../../support/security';

/**
 * The Twilio dialect's engine behaviour through its handler on DynamoDB Local, with the harness
 * clock: the same-code re-send, settle versus the attempt limit, custom codes, and the engine's
 * limits shared with the other dialects.
 */
let h: SecurityHarness;
beforeAll(async () => {
  h = await securityHarness();
});
afterAll(() => h.ddb.destroy());

const service = `/v2/Services/${TWILIO_DEMO.serviceSid}`;
const post = (path: string, body: Record<string, string>) =>
  callDialect(h, 'twilio-verify', 'POST', `${service}${path}`, body);
const codesTo = (to: string) => h.sent.filter((m) => m.to === to).map((m) => m.code);

describe('twilio-verify on the engine', () => {
  it('speaks the Locale asked for and puts the AppHash on its own line, the code last-but-autofill', async () => {
    const to = '+919812300099';
    expect(
      (await post('/Verifications', { To: to, Channel: 'sms', Locale: 'es', AppHash: 'FA+9qCX9VSu' })).status,
    ).toBe(201);
    const sms = h.sent.filter((m) => m.to === to);
    expect(sms).toHaveLength(1);
    const text = sms[0]?.text ?? '';
    expect(text.startsWith(`Su código es ${sms[0]?.code}.`)).toBe(true);
    expect(text.split('\n')).toContain('FA+9qCX9VSu');
    // Without a Locale: the Service's own English text.
    const other = '+919812300098';
    await post('/Verifications', { To: other, Channel: 'sms' });
    expect(h.sent.find((m) => m.to === other)?.text).toMatch(/^Your .* verification code is: \d+\./);
  });

  it('re-sends the same code on another channel while pending, and one check approves it', async () => {
    const to = '+919812300001';
    const first = await post('/Verifications', { To: to, Channel: 'sms' });
    expect(first.status).toBe(201);
    h.clock.advance(31_000);
    const again = await post('/Verifications', { To: to, Channel: 'call' });
    expect(again).toMatchObject({
      status: 201,
      body: { sid: first.body.sid, channel: 'call', status: 'pending' },
    });
    expect((again.body.send_code_attempts as unknown[]).length).toBe(2);
    const [smsCode, callCode] = codesTo(to);
    expect(h.sent.filter((m) => m.to === to).map((m) => m.channel)).toEqual(['SMS', 'VOICE']);
    expect(callCode).toBe(smsCode);
    expect((await post('/VerificationCheck', { To: to, Code: String(smsCode) })).body).toMatchObject({
      status: 'approved',
      valid: true,
    });
  });

  it('cannot cancel a code locked by wrong guesses into a fresh one: the lock holds until expiry', async () => {
    const to = '+919812300002';
    const created = await post('/Verifications', { To: to, Channel: 'sms' });
    for (let i = 0; i < 5; i++) await post('/VerificationCheck', { To: to, Code: '000000' });
    const cancel = await post(`/Verifications/${created.body.sid}`, { Status: 'canceled' });
    expect(cancel).toMatchObject({ status: 429, body: { code: 60202 } });
    h.clock.advance(31_000);
    // A new create finds the locked code still live: refused, nothing sent.
    const sent = h.sent.length;
    expect((await post('/Verifications', { To: to, Channel: 'sms' })).body).toMatchObject({ code: 60202 });
    expect(h.sent.length).toBe(sent);
  });

  it('refuses a CustomCode that differs from the pending one, charging nothing', async () => {
    const to = '+919812300003';
    expect((await post('/Verifications', { To: to, Channel: 'sms', CustomCode: '2468' })).status).toBe(201);
    h.clock.advance(31_000);
    const before = await snapshotTable(h.deps);
    const other = await post('/Verifications', { To: to, Channel: 'sms', CustomCode: '1357' });
    expect(other).toMatchObject({ status: 400, body: { code: 60200 } });
    expect(isEmptyDiff(diffTables(before, await snapshotTable(h.deps)))).toBe(true);
    expect(codesTo(to)).toEqual(['2468']);
    // The same custom code is the same-code re-send.
    expect((await post('/Verifications', { To: to, Channel: 'sms', CustomCode: '2468' })).status).toBe(201);
    expect(codesTo(to)).toEqual(['2468', '2468']);
  });

  it('refuses a premium-rate number and a country outside the tenant’s regions before writing', async () => {
    const before = await snapshotTable(h.deps);
    // +44 909 is a UK premium-rate range; +7 (Russia) is not among the demo tenant's regions.
    expect((await post('/Verifications', { To: '+449098790123', Channel: 'sms' })).body).toMatchObject({
      code: 60200,
    });
    expect((await post('/Verifications', { To: '+74951234567', Channel: 'call' })).body).toMatchObject({
      code: 60605,
      status: 403,
    });
    expect(isEmptyDiff(diffTables(before, await snapshotTable(h.deps)))).toBe(true);
  });

  it('counts a recipient’s messages across dialects: Twilio’s 60203 after capillary-v2 sent four', async () => {
    const to = '+919812300005';
    for (const action of ['REGISTRATION', 'COUPON', 'POINTS', 'GENERIC']) {
      const generated = await callDialect(h, 'capillary-v2', 'POST', '/v2/otp/generate', {
        entityType: 'MOBILE',
        entityValue: to,
        action,
      });
      expect(generated.status).toBe(200);
    }
    expect((await post('/Verifications', { To: to, Channel: 'sms' })).status).toBe(201);
    const other = await callDialect(
      h,
      'twilio-verify',
      'POST',
      `/v2/Services/${TWILIO_DEMO.serviceSid}/Verifications`,
      {
        To: to,
        Channel: 'call',
      },
    );
    // The fifth message went out; the sixth within ten minutes is refused whatever the channel.
    expect(other).toMatchObject({ status: 429, body: { code: 60203 } });
    h.clock.advance(31_000);
    expect((await post('/Verifications', { To: to, Channel: 'call' })).body).toMatchObject({ code: 60203 });
  });

  it('approves a pending verification by update, and it is gone afterwards', async () => {
    const to = 'approve.me@example.com';
    const created = await post('/Verifications', { To: to, Channel: 'email' });
    expect(created.body).toMatchObject({ to, channel: 'email', lookup: { carrier: null } });
    const approved = await post(`/Verifications/${encodeURIComponent(to)}`, { Status: 'approved' });
    expect(approved.body).toMatchObject({ status: 'approved', valid: true, sid: created.body.sid });
    const code = String(codesTo(to)[0]);
    expect((await post('/VerificationCheck', { To: to, Code: code })).status).toBe(404);
  });
});

describe('twilio-verify request budget (warm caches)', () => {
  it('sends a fresh code in one transaction and checks it with the verify’s two writes beside one read', async () => {
    const to = '+919812300007';
    // Warm the tenant, credential and Service caches as a warm container has them.
    await post('/VerificationCheck', { To: '+919812300008', Code: '000000' });
    h.requests.reset();
    expect((await post('/Verifications', { To: to, Channel: 'sms' })).status).toBe(201);
    expect(h.requests.counts).toEqual({ TransactWriteItemsCommand: 1 });
    h.requests.reset();
    const wrong = await post('/VerificationCheck', { To: to, Code: '000000' });
    expect(wrong.body.status).toBe('pending');
    // Sequentially: the reservation, then the failure charge; the status read runs beside them.
    expect(h.requests.counts).toEqual({
      UpdateItemCommand: 1,
      TransactWriteItemsCommand: 1,
      GetItemCommand: 1,
    });
  });
});
