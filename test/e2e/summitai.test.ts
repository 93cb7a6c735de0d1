import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SEED_GENERATE, SUMMITAI_DEMO, seedDemo, validateBody } from '../../local/demo/summitai';
import { type LocalStack, startLocalStack } from '../support/local-stack';

describe('summitai over HTTP', () => {
  let stack: LocalStack;

  beforeAll(async () => {
    stack = await startLocalStack();
    // The local stack seeds only the base demo tenant; SummitAI's credentials and user come from here.
    await seedDemo(stack.deps.tenants, stack.demo.tenantId);
  });
  afterAll(async () => {
    await stack.stop();
  });

  const post = async (body: unknown) => {
    const response = await fetch(`${stack.baseUrl}/adm/service`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  describe('POST /adm/service', () => {
    it('generates with the seed request, delivers to e-mail and SMS, and validates the code once', async () => {
      expect(stack.dialects).toContain('summitai');
      await stack.clearOutbox();
      const generated = await post(SEED_GENERATE);
      expect(generated.status).toBe(200);
      const communication = (
        generated.body.OutputObject as {
          OTP_Communication: Array<{ Message: string; TransactionID: string }>;
        }
      ).OTP_Communication[0];
      expect(communication?.Message).toBe('OTP sent to to***@sy***.com and ***219');

      const outbox = await stack.outbox();
      expect(outbox.map((m) => [m.channel, m.to]).sort()).toEqual([
        ['EMAIL', SUMMITAI_DEMO.user.email],
        ['SMS', SUMMITAI_DEMO.user.phone],
      ]);
      const codes = outbox.map((m) => /\b(\d{6})\b/.exec(m.text)?.[1]);
      expect(new Set(codes).size).toBe(1);
      const code = codes[0] as string;

      const body = validateBody(code, communication?.TransactionID as string);
      const validated = await post(body);
      expect(validated).toEqual({
        status: 200,
        body: expect.objectContaining({
          Errors: '',
          OrgID: 1,
          OutputObject: { OTP_Validation: [{ Message: 'OTP validated successfully' }] },
        }),
      });
      const again = await post(body);
      expect(again.status).toBe(400);
      expect(again.body.Errors).toMatch(/^No valid OTP found/);

      // The demo's third command: an APIKey generate right after the validate gets a fresh code.
      const apiKeyGenerate = structuredClone(SEED_GENERATE) as {
        objCommonParameters: Record<string, unknown>;
      };
      apiKeyGenerate.objCommonParameters._ProxyDetails = {
        AuthType: 'APIKey',
        APIKey: SUMMITAI_DEMO.apiKey,
        OrgID: '1',
      };
      const fresh = await post(apiKeyGenerate);
      expect(fresh.status).toBe(200);
      const next = (fresh.body.OutputObject as { OTP_Communication: Array<{ TransactionID: string }> })
        .OTP_Communication[0];
      expect(next?.TransactionID).not.toBe(communication?.TransactionID);
    });

    it('answers 401 in the envelope for a wrong password and sends nothing', async () => {
      await stack.clearOutbox();
      const body = structuredClone(SEED_GENERATE);
      body.objCommonParameters._ProxyDetails.Password = 'wrong';
      const res = await post(body);
      expect(res).toEqual({ status: 401, body: expect.objectContaining({ Errors: 'Invalid credentials' }) });
      expect(await stack.outbox()).toEqual([]);
    });
  });
});
