import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { DEMO } from '../../local/demo-tenant';
import { type LocalStack, startLocalStack } from '../support/local-stack';

const AUTH = `Basic ${Buffer.from(`${DEMO.basic.clientId}:${DEMO.basic.secret}`).toString('base64')}`;

/** `POST /v2/otp/generate` as the demo tenant. */
const generate = (stack: LocalStack, body: unknown) =>
  fetch(`${stack.baseUrl}/v2/otp/generate`, {
    method: 'POST',
    headers: { authorization: AUTH, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

describe('message formats over HTTP (local runtime, demo tenant)', () => {
  let stack: LocalStack;

  beforeAll(async () => {
    stack = await startLocalStack();
    // One request first, so the handler's cold start (module loads on a busy machine) is not
    // measured against the request budget of the first test.
    await generate(stack, { entityType: 'EMAIL', entityValue: 'warm@example.com', action: 'GENERIC' });
  });
  afterAll(async () => {
    await stack.stop();
  });
  beforeEach(async () => {
    await stack.clearOutbox();
  });

  it('sends an SMS to India with the autofill lines, one segment, and the demo DLT ids', async () => {
    const response = await generate(stack, {
      entityType: 'MOBILE',
      entityValue: '+919955882233',
      action: 'GENERIC',
    });
    expect(response.status).toBe(200);
    const [sms] = await stack.outbox();
    const code = /#(\d{6})$/.exec(sms?.text ?? '')?.[1];
    expect(sms?.text).toBe(
      `Hi user.Your otp for validation is ${code}.\nFA+9qCX9VSu\n\n@example.com #${code}`,
    );
    expect(sms).toMatchObject({
      segments: { encoding: 'GSM-7', segments: 1 },
      dlt: { entityId: '1001000000000000001', templateId: '1007000000000000001' },
    });
  });

  it('sends the Vietnamese text to a Vietnamese number (the demo tenant chooses vi for VN)', async () => {
    const response = await generate(stack, {
      entityType: 'MOBILE',
      entityValue: '+84912345678',
      action: 'GENERIC',
    });
    expect(response.status).toBe(200);
    const [sms] = await stack.outbox();
    expect(sms?.text).toMatch(/^Mã OTP của bạn là (\d{6})\.\nFA\+9qCX9VSu\n\n@example\.com #\1$/);
    expect(sms?.segments).toEqual({ encoding: 'UCS-2', segments: 1 });
    expect(sms).not.toHaveProperty('dlt');
  });

  it('sends an HTML e-mail as text and HTML, and the inbox shows the HTML sandboxed, markup unable to escape', async () => {
    const attack = `<p>Code <b>{{ validation_code }}</b></p>"></iframe><script>alert(1)</script><img src=x onerror="alert(2)">`;
    const response = await generate(stack, {
      entityType: 'EMAIL',
      entityValue: 'ana@example.com',
      action: 'REGISTRATION',
      emailTemplate: { subject: 'Your code <b>now</b>', html: attack },
    });
    expect(response.status).toBe(200);
    const [mail] = await stack.outbox();
    const code = /Code (\d{6})/.exec(mail?.text ?? '')?.[1];
    expect(code).toMatch(/^\d{6}$/);
    expect(mail?.html).toBe(attack.replace('{{ validation_code }}', code ?? ''));
    // The derived text part: the words, no markup.
    expect(mail?.text).toBe(`Your code <b>now</b>\n\nCode ${code}\n\n">`);

    const whole = await (await fetch(`${stack.baseUrl}/_local/inbox`)).text();
    // The messages' list (the page's own script, allowed by its CSP hash, is outside it).
    const page = whole.slice(whole.indexOf('<ul id="messages"'), whole.indexOf('</ul>'));
    expect(whole.match(/<script/g)).toHaveLength(1);
    // Exactly one frame, fully sandboxed; the markup lives only inside its escaped srcdoc.
    expect(page.match(/<iframe /g)).toHaveLength(1);
    expect(page).toMatch(
      /<iframe class="html" sandbox="" referrerpolicy="no-referrer" title="HTML part" srcdoc="[^"]*"><\/iframe>/,
    );
    expect(page).not.toContain('<script');
    expect(page).not.toContain('<img');
    expect(page).not.toMatch(/onerror="/);
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page).toContain('Your code &lt;b&gt;now&lt;/b&gt;');
  });

  it('refuses an e-mail template with neither a text nor an HTML part (608), sending nothing', async () => {
    const response = await generate(stack, {
      entityType: 'EMAIL',
      entityValue: 'ana@example.com',
      action: 'REGISTRATION',
      emailTemplate: { subject: 'Code' },
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ errors: [{ code: expect.any(Number) }] });
    expect(await stack.outbox()).toEqual([]);
  });
});
