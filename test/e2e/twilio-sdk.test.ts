import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import twilio from 'twilio';
import { TWILIO_DEMO } from '../../local/demo/twilio-verify';
import { type LocalStack, startLocalStack } from '../support/local-stack';

/**
 * The official `twilio` package (devDependency, unmodified) as the client of the local server:
 * its own request client, with only the base URL `https://verify.twilio.com` rewritten to the
 * local server (the `httpClient` option the package offers for proxies and tests).
 */
type RequestOptions<T> = Parameters<typeof twilio.RequestClient.prototype.request<T>>[0];

class LocalRequestClient extends twilio.RequestClient {
  constructor(private readonly baseUrl: string) {
    super();
  }

  override request<TData>(opts: RequestOptions<TData>) {
    // Rewritten here, after the SDK built its URL; everything else is the SDK's own client.
    return super.request<TData>({
      ...opts,
      uri: opts.uri.replace('https://verify.twilio.com', this.baseUrl),
    });
  }
}

describe('twilio-verify with the official twilio SDK', () => {
  let stack: LocalStack;
  let client: twilio.Twilio;
  const requests: string[] = [];

  beforeAll(async () => {
    stack = await startLocalStack();
    const httpClient = new LocalRequestClient(stack.baseUrl);
    const request = httpClient.request.bind(httpClient);
    httpClient.request = (opts) => {
      requests.push(`${opts.method.toUpperCase()} ${opts.uri}`);
      return request(opts);
    };
    client = twilio(TWILIO_DEMO.accountSid, TWILIO_DEMO.authToken, { httpClient });
  });
  afterAll(async () => {
    await stack.stop();
  });

  const service = () => client.verify.v2.services(TWILIO_DEMO.serviceSid);

  /** The 6-digit code in the newest message to `to`, as the user would read it. */
  const codeSentTo = async (to: string): Promise<string> => {
    const message = (await stack.outbox()).find((m) => m.to === to);
    const code = /\b([0-9]{4,10})\b/.exec(message?.text ?? '')?.[1];
    if (!code) throw new Error(`no code in the outbox for ${to}`);
    return code;
  };

  /** The RestException a call rejects with. */
  const failure = async (call: Promise<unknown>) => {
    const error = (await call.then(
      () => undefined,
      (e: unknown) => e,
    )) as InstanceType<typeof twilio.RestException> | undefined;
    expect(error).toBeInstanceOf(twilio.RestException);
    return { status: error?.status, code: error?.code, moreInfo: error?.moreInfo };
  };

  it('sends a code, and the check with it approves the verification once', async () => {
    await stack.clearOutbox();
    const to = '+15017122661';
    const verification = await service().verifications.create({ to, channel: 'sms' });
    expect(verification).toMatchObject({
      sid: expect.stringMatching(/^VE[A-Za-z0-9_-]{32}$/),
      serviceSid: TWILIO_DEMO.serviceSid,
      accountSid: TWILIO_DEMO.accountSid,
      to,
      channel: 'sms',
      status: 'pending',
      valid: false,
      sendCodeAttempts: [expect.objectContaining({ channel: 'sms' })],
    });
    expect(verification.dateCreated).toBeInstanceOf(Date);
    // The SDK built Twilio's own URL; only the client's base URL was swapped.
    expect(requests.at(-1)).toBe(
      `POST https://verify.twilio.com/v2/Services/${TWILIO_DEMO.serviceSid}/Verifications`,
    );
    const code = await codeSentTo(to);
    expect(JSON.stringify(verification.toJSON())).not.toContain(code);

    const fetched = await service().verifications(verification.sid).fetch();
    expect(fetched).toMatchObject({ sid: verification.sid, to, status: 'pending' });

    const check = await service().verificationChecks.create({ to, code });
    expect(check).toMatchObject({ sid: verification.sid, to, status: 'approved', valid: true });
    // Approved: Twilio deletes it, so the sid is unknown from now on (20404), and so is the code.
    expect(await failure(service().verifications(verification.sid).fetch())).toMatchObject({
      status: 404,
      code: 20404,
    });
    expect(await failure(service().verificationChecks.create({ to, code }))).toMatchObject({
      status: 404,
      code: 20404,
    });
  });

  it('checks by VerificationSid, and re-sends the same code while a verification is pending', async () => {
    await stack.clearOutbox();
    const to = '+15017122662';
    const first = await service().verifications.create({ to, channel: 'sms' });
    const code = await codeSentTo(to);
    // The engine's resend gap (30 s) applies between two sends of one code: 60212.
    expect(await failure(service().verifications.create({ to, channel: 'sms' }))).toMatchObject({
      status: 429,
      code: 60212,
    });
    const wrong = await service().verificationChecks.create({ verificationSid: first.sid, code: '000000' });
    expect(wrong).toMatchObject({ status: 'pending', valid: false, to });
    const right = await service().verificationChecks.create({ verificationSid: first.sid, code });
    expect(right).toMatchObject({ status: 'approved', valid: true, sid: first.sid });
  });

  it('answers a wrong code with pending, and 60202 once the attempts are spent', async () => {
    const to = '+15017122663';
    await service().verifications.create({ to, channel: 'sms' });
    for (let i = 0; i < 5; i++) {
      const check = await service().verificationChecks.create({ to, code: '000000' });
      expect(check.valid).toBe(false);
      expect(check.status).toBe(i < 4 ? 'pending' : 'max_attempts_reached');
    }
    expect(await failure(service().verificationChecks.create({ to, code: '000000' }))).toEqual({
      status: 429,
      code: 60202,
      moreInfo: 'https://www.twilio.com/docs/errors/60202',
    });
  });

  it('cancels a verification: its code no longer checks and its sid is gone', async () => {
    await stack.clearOutbox();
    const to = '+15017122664';
    const created = await service().verifications.create({ to, channel: 'sms' });
    const code = await codeSentTo(to);
    const canceled = await service().verifications(created.sid).update({ status: 'canceled' });
    expect(canceled).toMatchObject({ sid: created.sid, status: 'canceled', valid: false });
    expect(await failure(service().verificationChecks.create({ to, code }))).toMatchObject({
      status: 404,
      code: 20404,
    });
    expect(await failure(service().verifications(created.sid).update({ status: 'canceled' }))).toMatchObject({
      status: 404,
      code: 20404,
    });
  });

  it('refuses bad credentials with 20003, an unknown verification and Service with 20404', async () => {
    const wrong = twilio(TWILIO_DEMO.accountSid, 'ffffffffffffffffffffffffffffffff', {
      httpClient: new LocalRequestClient(stack.baseUrl),
    });
    expect(
      await failure(
        wrong.verify.v2
          .services(TWILIO_DEMO.serviceSid)
          .verifications.create({ to: '+15017122665', channel: 'sms' }),
      ),
    ).toEqual({ status: 401, code: 20003, moreInfo: 'https://www.twilio.com/docs/errors/20003' });
    expect(await failure(service().verifications('+15017122699').fetch())).toMatchObject({
      status: 404,
      code: 20404,
    });
    expect(
      await failure(
        service().verificationChecks.create({ verificationSid: `VE${'a'.repeat(32)}`, code: '123456' }),
      ),
    ).toMatchObject({ status: 404, code: 20404 });
    expect(await failure(client.verify.v2.services(`VA${'0'.repeat(32)}`).fetch())).toMatchObject({
      status: 404,
      code: 20404,
    });
  });

  it('creates a Service with custom codes and an API key works like the auth token', async () => {
    await stack.clearOutbox();
    const created = await client.verify.v2.services.create({
      friendlyName: 'SDK test',
      codeLength: 8,
      customCodeEnabled: true,
    });
    expect(created).toMatchObject({
      sid: expect.stringMatching(/^VA[0-9a-f]{32}$/),
      accountSid: TWILIO_DEMO.accountSid,
      friendlyName: 'SDK test',
      codeLength: 8,
      customCodeEnabled: true,
    });
    const keyed = twilio(TWILIO_DEMO.apiKeySid, TWILIO_DEMO.apiKeySecret, {
      accountSid: TWILIO_DEMO.accountSid,
      httpClient: new LocalRequestClient(stack.baseUrl),
    });
    expect((await keyed.verify.v2.services(created.sid).fetch()).friendlyName).toBe('SDK test');
    const listed = await client.verify.v2.services.list();
    expect(listed.map((s) => s.sid)).toEqual(expect.arrayContaining([created.sid, TWILIO_DEMO.serviceSid]));

    const to = 'someone@example.com';
    await keyed.verify.v2.services(created.sid).verifications.create({ to, channel: 'email' });
    expect((await codeSentTo(to)).length).toBe(8);

    await keyed.verify.v2
      .services(created.sid)
      .verifications.create({ to: '+15017122666', channel: 'sms', customCode: '4321' });
    expect(await codeSentTo('+15017122666')).toBe('4321');
    const check = await keyed.verify.v2
      .services(created.sid)
      .verificationChecks.create({ to: '+15017122666', code: '4321' });
    expect(check.status).toBe('approved');
    // The demo Service's own policy: without CustomCodeEnabled a custom code is 60200.
    const plain = await client.verify.v2.services.create({ friendlyName: 'Plain' });
    expect(
      await failure(
        client.verify.v2
          .services(plain.sid)
          .verifications.create({ to: '+15017122667', channel: 'sms', customCode: '4321' }),
      ),
    ).toMatchObject({ status: 400, code: 60200 });
  });
});
