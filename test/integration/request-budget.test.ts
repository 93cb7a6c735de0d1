import { describe, expect, it } from '@jest/globals';
import { createHandler } from '../../functions/capillary-v2';
import { apiEvent, appHarness, invoke } from '../support/app-harness';
import { lastCode, wrongCodeFor } from '../support/harness';

/**
 * DESIGN §4's performance contract, by counting DynamoDB requests (not by timing), end to end
 * through the capillary-v2 Lambda handler with the tenant cache warm: a fresh generate is one
 * TransactWriteItems, a successful verify one, a wrong code at most one more write, a resend
 * within expiry at most two requests.
 */
const PHONE = '+919876543210';
const WARM_PHONE = '+919876543211';

const setup = async () => {
  const h = await appHarness();
  const handler = createHandler(h.deps);
  const post = (path: string, body: Record<string, unknown>) =>
    invoke(handler, apiEvent('POST', path, { body, headers: { authorization: h.basic } }));
  const generate = (phone: string) =>
    post('/v2/otp/generate', { entityType: 'MOBILE', entityValue: phone, action: 'REGISTRATION' });
  const validate = (phone: string, code: string) =>
    post('/v2/otp/validate', { entityType: 'MOBILE', entityValue: phone, action: 'REGISTRATION', code });
  /** Runs `work` and returns what it answered and the DynamoDB requests it made, by command. */
  const counted = async <T>(work: () => Promise<T>) => {
    h.requests.reset();
    const answer = await work();
    return { answer, requests: { ...h.requests.counts }, total: h.requests.total() };
  };

  // A warm container: credential and tenant are cached by a full flow on another destination.
  expect((await generate(WARM_PHONE)).status).toBe(200);
  expect((await validate(WARM_PHONE, lastCode(h.sent, WARM_PHONE))).status).toBe(200);
  return { ...h, generate, validate, counted };
};

describe('request budget', () => {
  describe('capillary-v2 handler', () => {
    it('makes one TransactWriteItems for a fresh generate', async () => {
      const t = await setup();
      const { answer, requests, total } = await t.counted(() => t.generate(PHONE));
      expect(answer.status).toBe(200);
      expect(answer.body.createdId).not.toBe(1);
      expect(requests).toEqual({ TransactWriteItemsCommand: 1 });
      expect(total).toBe(1);
    });

    it('makes two sequential requests for a successful verify: reserve the attempt, then consume', async () => {
      const t = await setup();
      await t.generate(PHONE);
      const { answer, requests, total } = await t.counted(() => t.validate(PHONE, lastCode(t.sent, PHONE)));
      expect(answer).toMatchObject({ status: 200, body: { entity: true } });
      expect(requests).toEqual({ UpdateItemCommand: 1, TransactWriteItemsCommand: 1 });
      expect(total).toBe(2);
    });

    it('makes at most two requests for a wrong code, and counts the attempt', async () => {
      const t = await setup();
      await t.generate(PHONE);
      const code = lastCode(t.sent, PHONE);
      const { answer, total } = await t.counted(() => t.validate(PHONE, wrongCodeFor(code)));
      expect(answer.status).toBe(400);
      expect(answer.body).toMatchObject({ entity: false, errors: [{ code: 605 }] });
      expect(total).toBeLessThanOrEqual(2);
      // The right code still works afterwards: the wrong one was counted, not the code consumed.
      expect((await t.validate(PHONE, code)).status).toBe(200);
    });

    it('makes at most two requests for a resend within expiry and sends the same code', async () => {
      const t = await setup();
      await t.generate(PHONE);
      const code = lastCode(t.sent, PHONE);
      t.clock.advance(31_000);
      const { answer, total } = await t.counted(() => t.generate(PHONE));
      expect(answer).toMatchObject({ status: 200, body: { createdId: 1 } });
      expect(lastCode(t.sent, PHONE)).toBe(code);
      expect(total).toBeLessThanOrEqual(2);
    });
  });
});
