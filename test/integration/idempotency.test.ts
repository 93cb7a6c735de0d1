import { describe, expect, it } from '@jest/globals';
import { createHandler } from '../../functions/capillary-v2';
import { apiEvent, appHarness, invoke } from '../support/app-harness';
import { scanItems } from '../support/harness';

const BODY = {
  entityType: 'MOBILE',
  entityValue: '919986000596',
  action: 'POINTS',
  channels: [{ type: 'SMS', value: '919986000596' }],
};

const setup = async () => {
  const h = await appHarness();
  const handler = createHandler(h.deps);
  const generate = (headers: Record<string, string>, body: unknown = BODY) =>
    invoke(
      handler,
      apiEvent('POST', '/v2/otp/generate', { body, headers: { authorization: h.basic, ...headers } }),
    );
  return { ...h, generate };
};

describe('idempotency', () => {
  describe('Idempotency-Key on a generate endpoint', () => {
    it('replays the first answer for a retried request without a second send', async () => {
      const t = await setup();
      const first = await t.generate({ 'idempotency-key': 'retry-1' });
      const retry = await t.generate({ 'idempotency-key': 'retry-1' });
      expect(first.status).toBe(200);
      expect(retry.status).toBe(200);
      expect(retry.body).toEqual(first.body);
      expect(retry.headers?.['idempotency-replayed']).toBe('true');
      expect(first.headers?.['idempotency-replayed']).toBeUndefined();
      expect(t.sent).toHaveLength(1);
    });

    it('runs a request with another key (here refused by the 30 s resend gap)', async () => {
      const t = await setup();
      await t.generate({ 'idempotency-key': 'a' });
      const other = await t.generate({ 'idempotency-key': 'b' });
      expect(other.status).toBe(429);
      expect(t.sent).toHaveLength(1);
    });

    it('does not replay an answer to a request with a different body or other credentials', async () => {
      const t = await setup();
      await t.generate({ 'idempotency-key': 'same' });
      const otherBody = await t.generate(
        { 'idempotency-key': 'same' },
        { ...BODY, entityValue: '919986000597', channels: undefined },
      );
      expect(otherBody.status).toBe(200);
      expect(otherBody.headers?.['idempotency-replayed']).toBeUndefined();
      const wrongSecret = await t.generate({
        'idempotency-key': 'same',
        authorization: `Basic ${Buffer.from(`${t.clientId}:wrong`).toString('base64')}`,
      });
      expect(wrongSecret.status).toBe(401);
      expect(t.sent).toHaveLength(2);
    });

    it('does not remember a failed attempt, so its retry runs again', async () => {
      const t = await setup();
      const refused = await t.generate(
        { 'idempotency-key': 'k' },
        { ...BODY, entityValue: '12', channels: undefined },
      );
      expect(refused.status).toBe(400);
      const retried = await t.generate(
        { 'idempotency-key': 'k' },
        { ...BODY, entityValue: '12', channels: undefined },
      );
      expect(retried.status).toBe(400);
      expect(retried.headers?.['idempotency-replayed']).toBeUndefined();
    });

    it('returns 400 in the dialect shape for an unusable key', async () => {
      const t = await setup();
      const res = await t.generate({ 'idempotency-key': 'x'.repeat(300) });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({
        errors: [{ code: 400, message: expect.stringContaining('Idempotency-Key') }],
        warnings: [],
      });
      expect(t.sent).toHaveLength(0);
    });

    it('costs nothing extra without the header: a fresh generate stays one DynamoDB request', async () => {
      const t = await setup();
      await t.generate({}, { ...BODY, entityValue: '919986000500', channels: undefined });
      t.requests.reset();
      await t.generate({}, { ...BODY, entityValue: '919986000501', channels: undefined });
      expect(t.requests.counts).toEqual({ TransactWriteItemsCommand: 1 });
    });

    it('never replays a refusal: a 607 under a key is refused again, and the same key works once the body is fixed', async () => {
      const t = await setup();
      // Refused by the dialect (a WhatsApp channel without a template name): 607, thrown.
      const body = { ...BODY, channels: [{ type: 'WHATSAPP', value: '919986000596' }] };
      const first = await t.generate({ 'idempotency-key': 'refused-1' }, body);
      const again = await t.generate({ 'idempotency-key': 'refused-1' }, body);
      expect(first.status).toBe(400);
      expect(again.headers?.['idempotency-replayed']).toBeUndefined();
      expect(
        (await scanItems(t.ddb, t.tableName)).filter((i) => String(i.pk).startsWith('IDEMPOTENCY')),
      ).toEqual([]);
      const fixed = await t.generate(
        { 'idempotency-key': 'refused-1' },
        { ...body, whatsappTemplateName: 'otp' },
      );
      expect(fixed.status).toBe(200);
    });

    it('keeps the stored answer sealed: no authCode or createdId in clear in the table, and replays it intact', async () => {
      const t = await setup();
      const first = await t.generate({ 'idempotency-key': 'sealed-1' });
      const createdId = String(first.body.createdId);
      const records = (await scanItems(t.ddb, t.tableName)).filter((i) =>
        String(i.pk).startsWith('IDEMPOTENCY'),
      );
      expect(records).toHaveLength(1);
      expect(JSON.stringify(records)).not.toContain(createdId);
      const retry = await t.generate({ 'idempotency-key': 'sealed-1' });
      expect(retry.body).toEqual(first.body);
      expect(retry.headers?.['idempotency-replayed']).toBe('true');
    });
  });
});
