import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type SesProcess, spawnSesLocal } from '../../local/ses-local';
import { CHANNEL_SEND_DEADLINE_MS, HANDLER_DEADLINE_MS } from '../../shared/timeouts';
import { captureLogger } from '../support/harness';
import { type LocalStack, startLocalStack } from '../support/local-stack';

/**
 * A real provider fault: the local runtime with the SES emulator in its own process, which the
 * test pauses with SIGSTOP (the kernel still accepts connections and takes the request bytes,
 * nothing answers) and resumes with SIGCONT, while the server keeps running. Timing bounds have
 * a generous margin for a busy machine (2 cores): they hold "within the channel's budget, well
 * before the handler's deadline".
 */
describe('local runtime › SES hung (SIGSTOP on the SES emulator process)', () => {
  let ses: SesProcess;
  let stack: LocalStack;
  const { logger, lines } = captureLogger();

  beforeAll(async () => {
    ses = await spawnSesLocal();
    stack = await startLocalStack({ sesEndpoint: ses.endpoint, logger });
  }, 60_000);
  afterAll(async () => {
    await ses?.stop();
    await stack?.stop();
  });

  const basic = () =>
    `Basic ${Buffer.from(`${stack.demo.basic.clientId}:${stack.demo.basic.secret}`).toString('base64')}`;
  const post = async (path: string, body: unknown) => {
    const started = Date.now();
    const response = await fetch(`${stack.baseUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: basic() },
      body: JSON.stringify(body),
    });
    return {
      status: response.status,
      body: (await response.json()) as Record<string, unknown>,
      elapsed: Date.now() - started,
    };
  };
  const emailOnly = (email: string) =>
    post('/v2/otp/generate', {
      entityType: 'EMAIL',
      entityValue: email,
      action: 'REGISTRATION',
      channels: [{ type: 'EMAIL', value: email }],
    });
  const validate = (email: string, code: string) =>
    post('/v2/otp/validate', { entityType: 'EMAIL', entityValue: email, action: 'REGISTRATION', code });
  const codeIn = (text: string | undefined) => /\b(\d{6})\b/.exec(text ?? '')?.[1];
  const emailsTo = async (to: string) =>
    (await stack.outbox()).filter((m) => m.channel === 'EMAIL' && m.to === to);

  it('answers within the channel budget (e-mail only: 503, code rolled back; e-mail + SMS: the SMS goes out), then recovers at once', async () => {
    // Warm: the server, the SES client's connections and the e-mail path all work first.
    expect((await emailOnly('warm@example.com')).status).toBe(200);
    lines.length = 0;

    const ONLY = 'only@example.com';
    const BOTH = 'both@example.com';
    const PHONE = '919876522001';
    process.kill(ses.pid, 'SIGSTOP');
    let only: Awaited<ReturnType<typeof post>>;
    let both: Awaited<ReturnType<typeof post>>;
    try {
      [only, both] = await Promise.all([
        emailOnly(ONLY),
        post('/v2/otp/generate', {
          entityType: 'MOBILE',
          entityValue: PHONE,
          action: 'REGISTRATION',
          channels: [
            { type: 'SMS', value: PHONE },
            { type: 'EMAIL', value: BOTH },
          ],
        }),
      ]);
    } finally {
      process.kill(ses.pid, 'SIGCONT');
    }

    // E-mail only: every channel failed, so the dialect's failure answer (the code is rolled back).
    expect(only.status).toBe(503);
    expect(only.body).toEqual({
      errors: [{ code: 606, message: 'OTP generation failed: Gateway error' }],
      warnings: [],
    });
    // E-mail + SMS: the SMS went out; the e-mail is a warning.
    expect(both.status).toBe(200);
    expect(both.body.warnings).toEqual([{ code: 606, message: 'Gateway error', channel: 'EMAIL' }]);
    for (const answer of [only, both]) {
      // The channel's own deadline (2 attempts × 3 s + backoff = 7 s) plus 5 s for a busy machine.
      expect(answer.elapsed).toBeGreaterThanOrEqual(3_000);
      expect(answer.elapsed).toBeLessThan(CHANNEL_SEND_DEADLINE_MS + 5_000);
      expect(answer.elapsed).toBeLessThan(HANDLER_DEADLINE_MS);
    }
    const logged = lines.map(
      (line) => JSON.parse(line) as { level: string; message: string; channel?: string },
    );
    expect(logged.filter((l) => l.level === 'ERROR')).toEqual([]);
    expect(logged.filter((l) => l.message === 'channel send failed')).toEqual([
      expect.objectContaining({ level: 'WARN', channel: 'EMAIL' }),
      expect.objectContaining({ level: 'WARN', channel: 'EMAIL' }),
    ]);
    const sms = (await stack.outbox()).filter((m) => m.channel === 'SMS' && m.to === `+${PHONE}`);
    expect(sms).toHaveLength(1);

    // Recovery: the next e-mail, on the same cached client, answers at once and is delivered.
    const recovered = await emailOnly('after@example.com');
    expect(recovered.status).toBe(200);
    expect(recovered.elapsed).toBeLessThan(2_000);
    expect(await emailsTo('after@example.com')).toHaveLength(1);

    // The rolled-back code left no live code behind: a new generate within the 30 s resend gap
    // is a fresh code (200), not a 429 for the old one.
    // The e-mails of the rolled-back code that arrived by now (the emulator handles the buffered
    // SendEmail as soon as it resumes, before the recovery generate above has answered).
    const before = new Set((await emailsTo(ONLY)).map((m) => codeIn(m.text)));
    const again = await emailOnly(ONLY);
    expect(again.status).toBe(200);

    // A late settle: the paused emulator held the abandoned SendEmail in its socket buffer and
    // handles it once resumed, so the rolled-back code may still reach the inbox. It does not
    // validate: only the new code does.
    // (The outbox orders by when a sink got a message, so the new code is found as the one that
    // was not there before the new generate, not as the newest.)
    const inbox = await emailsTo(ONLY);
    const added = inbox.map((m) => codeIn(m.text)).filter((c) => !before.has(c));
    expect(added).toHaveLength(1);
    const fresh = added[0];
    const late = [...before];
    for (const code of late) {
      if (code && code !== fresh) expect((await validate(ONLY, code)).status).toBe(400);
    }
    expect(fresh).toBeDefined();
    expect((await validate(ONLY, fresh as string)).status).toBe(200);
    console.info(
      `SES frozen: e-mail only answered ${only.status} in ${only.elapsed} ms, e-mail + SMS ${both.status} in ${both.elapsed} ms; recovered in ${recovered.elapsed} ms; late e-mails of the rolled-back code: ${late.length}`,
    );
  });
});
