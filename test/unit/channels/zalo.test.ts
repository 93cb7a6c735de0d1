import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { createAwsSenders } from '../../../shared/channels/aws';
import { createZaloSender } from '../../../shared/channels/zalo';
import { outbound } from './fixtures';

interface Received {
  method: string | undefined;
  path: string | undefined;
  headers: IncomingHttpHeaders;
  body: string;
}

/** What the fake provider answers next, and every request it saw. */
let reply: { status: number; body: string; delayMs?: number } = { status: 200, body: '{"error":0}' };
const received: Received[] = [];
/** Delayed answers still pending, cleared at the end so no timer outlives the file. */
const pendingReplies = new Set<NodeJS.Timeout>();
let server: Server;
let url: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({
        method: req.method,
        path: req.url,
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      });
      const { status, body, delayMs = 0 } = reply;
      const timer = setTimeout(() => {
        pendingReplies.delete(timer);
        res.writeHead(status, { 'content-type': 'application/json' }).end(body);
      }, delayMs);
      pendingReplies.add(timer);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/message/template`;
});

afterAll(async () => {
  for (const timer of pendingReplies) clearTimeout(timer);
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  received.length = 0;
  reply = { status: 200, body: '{"error":0,"message":"Success","data":{"msg_id":"z-1"}}' };
});

const zaloMessage = () =>
  outbound('ZALO', { to: '+84987654321', templateName: '231456' }, { zalo: { url, accessToken: 'tok-abc' } });

describe('channels/zalo', () => {
  describe('createZaloSender', () => {
    it("names the code with the tenant's template parameter when it sets one", async () => {
      const { ZALO } = createAwsSenders({ sesFrom: 'no-reply@example.com' });

      await ZALO?.(
        outbound(
          'ZALO',
          { to: '+84987654321', templateName: '231456' },
          { zalo: { url, accessToken: 'tok-abc', templateParameter: 'ma_xac_thuc' } },
        ),
      );

      expect(JSON.parse(received[0]?.body ?? '{}').template_data).toEqual({ ma_xac_thuc: '493817' });
    });

    it('posts the template request with the access token header', async () => {
      const { ZALO } = createAwsSenders({ sesFrom: 'no-reply@example.com' });

      await ZALO?.(zaloMessage());

      expect(received).toHaveLength(1);
      const [request] = received;
      expect(request?.method).toBe('POST');
      expect(request?.path).toBe('/message/template');
      expect(request?.headers['access_token']).toBe('tok-abc');
      expect(request?.headers['content-type']).toBe('application/json');
      const body = JSON.parse(request?.body ?? '{}');
      expect(body).toEqual({
        phone: '84987654321',
        template_id: '231456',
        template_data: { otp: '493817' },
        tracking_id: expect.any(String),
      });
      expect(body.tracking_id).toMatch(/^[0-9a-f-]{36}$/);
    });

    it('gives every request its own tracking id', async () => {
      const send = createZaloSender();
      await send(zaloMessage());
      await send(zaloMessage());

      const ids = received.map((r) => JSON.parse(r.body).tracking_id);
      expect(new Set(ids).size).toBe(2);
    });

    it('throws ChannelProviderError on a non-2xx answer', async () => {
      reply = { status: 502, body: '{"message":"bad gateway"}' };

      await expect(createZaloSender()(zaloMessage())).rejects.toMatchObject({
        name: 'ChannelProviderError',
        message: 'Zalo provider answered HTTP 502',
      });
    });

    it('throws ChannelProviderError when a 200 carries a non-zero Zalo error', async () => {
      reply = { status: 200, body: '{"error":-124,"message":"Access token is invalid"}' };

      await expect(createZaloSender()(zaloMessage())).rejects.toMatchObject({
        name: 'ChannelProviderError',
        message: expect.stringContaining('-124'),
      });
    });

    it('accepts a 2xx with an empty body', async () => {
      reply = { status: 204, body: '' };

      await expect(createZaloSender()(zaloMessage())).resolves.toBeUndefined();
      expect(received).toHaveLength(1);
    });

    it('gives up when the provider does not answer in time', async () => {
      reply = { status: 200, body: '{"error":0}', delayMs: 1000 };

      await expect(createZaloSender({ timeoutMs: 100 })(zaloMessage())).rejects.toMatchObject({
        name: 'TimeoutError',
      });
    });

    it('never puts the code or the token in its error message', async () => {
      reply = { status: 400, body: '{"error":-108,"message":"493817 rejected for 84987654321"}' };

      const error = await createZaloSender()(zaloMessage()).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(Error);
      expect(String((error as Error).message)).not.toMatch(/493817|84987654321|tok-abc/);
    });

    it('throws ChannelNotConfiguredError and sends nothing without tenant Zalo settings', async () => {
      await expect(createZaloSender()(outbound('ZALO', { templateName: '231456' }))).rejects.toMatchObject({
        name: 'ChannelNotConfiguredError',
      });
      expect(received).toHaveLength(0);
    });

    it('throws ChannelNotConfiguredError and sends nothing without a template id', async () => {
      await expect(
        createZaloSender()(outbound('ZALO', {}, { zalo: { url, accessToken: 'tok-abc' } })),
      ).rejects.toMatchObject({ name: 'ChannelNotConfiguredError' });
      expect(received).toHaveLength(0);
    });
  });
});
