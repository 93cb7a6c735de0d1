import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { jwtVerify } from 'jose';
import { DEMO_AUTH, demoCurl, demoTenantPatch, seedDemo } from '../../local/demo/capillary-auth';
import { signPayload } from '../../shared/dialects/capillary-auth/payload-hash';
import { type LocalStack, startLocalStack } from '../support/local-stack';

const run = promisify(execFile);

const SEED_TOKEN = {
  identifierType: 'MOBILE',
  identifierValue: '9940000000',
  deviceId: '32rtsdered',
  brand: DEMO_AUTH.brand,
};

type Answer = { status: { success: boolean; code: number }; auth?: { token: string; key: string | null } };

describe('capillary-auth over HTTP', () => {
  let stack: LocalStack;

  const post = async (path: string, body: unknown): Promise<{ status: number; body: Answer }> => {
    const response = await fetch(`${stack.baseUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Answer };
  };

  /** The code in the newest outbox message to `to` (what the user reads off the phone). */
  const codeSentTo = async (to: string): Promise<string> => {
    const message = (await stack.outbox()).find((m) => m.to === to);
    const code = /\b(\d{6})\b/.exec(message?.text ?? '')?.[1];
    if (!code) throw new Error(`no code in the outbox for ${to}`);
    return code;
  };

  beforeAll(async () => {
    stack = await startLocalStack();
    const tenant = await stack.deps.tenants.get(stack.demo.tenantId);
    if (!tenant) throw new Error('demo tenant missing');
    await stack.deps.tenants.putTenant({ ...tenant, ...demoTenantPatch });
    await seedDemo(stack.deps.tenants, stack.demo.tenantId);
  });
  afterAll(async () => {
    await stack.stop();
  });

  it('serves the dialect', () => {
    expect(stack.dialects).toContain('capillary-auth');
  });

  it('runs token/generate → otp/generate → outbox → otp/validate → token/regenerate', async () => {
    const created = await post('/auth/v1/token/generate', SEED_TOKEN);
    expect(created.status).toBe(200);
    const sessionId = (created.body as unknown as { user: { sessionId: string } }).user.sessionId;
    const sent = await post('/auth/v1/otp/generate', { ...SEED_TOKEN, sessionId });
    expect(sent).toEqual({ status: 200, body: { status: { success: true, code: 200, message: 'SUCCESS' } } });

    const otp = await codeSentTo('+919940000000');
    const validated = await post('/auth/v1/otp/validate', { ...SEED_TOKEN, sessionId, otp });
    expect(validated.status).toBe(200);
    const { token, key } = validated.body.auth as { token: string; key: string };
    const { payload } = await jwtVerify(token, await stack.deps.signingKey(), { issuer: 'otp-service' });
    expect(payload).toMatchObject({ sub: '+919940000000', brand: DEMO_AUTH.brand });

    const again = await post('/auth/v1/token/regenerate', { ...SEED_TOKEN, key });
    expect(again.status).toBe(200);
    expect(again.body.auth?.token).toEqual(expect.any(String));
  });

  it('sends a USERNAME code to the demo contact and refuses a wrong one with 1506', async () => {
    const body = { ...SEED_TOKEN, identifierType: 'USERNAME', identifierValue: DEMO_AUTH.user.userId };
    const created = await post('/auth/v1/token/generate', body);
    const sessionId = (created.body as unknown as { user: { sessionId: string } }).user.sessionId;
    expect((await post('/auth/v1/otp/generate', { ...body, sessionId })).status).toBe(200);
    const otp = await codeSentTo(DEMO_AUTH.user.phone);
    const wrong = otp === '000000' ? '111111' : '000000';
    const res = await post('/auth/v1/otp/validate', { ...body, sessionId, otp: wrong });
    expect(res).toMatchObject({ status: 400, body: { status: { success: false, code: 1506 } } });
  });

  it('requires the payload hash for the signing brand (5004 without, 200 with)', async () => {
    // Another device than the curl command below: the same body signed in the same second is a replay.
    const body = { ...SEED_TOKEN, deviceId: 'e2e-device', brand: DEMO_AUTH.signedBrand };
    expect(await post('/auth/v1/token/generate', body)).toMatchObject({
      status: 403,
      body: { status: { success: false, code: 5004 } },
    });
    const hash = signPayload(DEMO_AUTH.payloadSigningSecret, body, Math.floor(Date.now() / 1000));
    expect((await post('/auth/v1/token/generate', { ...body, hash })).status).toBe(200);
  });

  it('accepts the signed demo curl command as printed (bash, openssl, curl)', async () => {
    const command = demoCurl.at(-1)?.replace('http://localhost:3000', stack.baseUrl) ?? '';
    const { stdout } = await run('bash', ['-c', command]);
    const answer = JSON.parse(stdout) as { status: { code: number }; user: { sessionId: string } };
    expect(answer.status.code).toBe(200);
    expect(answer.user.sessionId).toMatch(/^D-/);
  });
});
