import type { Server } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { JSDOM } from 'jsdom';
import { DEMO_AUTH } from '../../local/demo/capillary-auth';
import { DEMO, loadDialectDemos } from '../../local/demo-tenant';
import { INBOX_CSP } from '../../local/inbox-page';
import { Outbox } from '../../local/outbox';
import { createLocalServer, listen, MAX_REQUEST_BYTES } from '../../local/server';
import { closeServer, type SesLocal, startSesLocal } from '../../local/ses-local';
import type { OutboundMessage } from '../../shared/channels/types';
import { GATEWAY_ANSWERS } from '../../shared/gateway-answers';
import { MAX_BODY_BYTES } from '../../shared/http/dialect-handler';
import { ROUTES } from '../../shared/routes';
import { LAMBDA_TIMEOUT_MS } from '../../shared/timeouts';
import { type LocalStack, startLocalStack } from '../support/local-stack';

const message = (overrides: Partial<OutboundMessage>): OutboundMessage => ({
  channel: 'SMS',
  tenantId: 'demo',
  to: '+911234567896',
  text: 'Your code is 123456',
  code: '123456',
  settings: {},
  ...overrides,
});

const SMS_ROUTE = '/v2/otp/generate';

describe('local runtime', () => {
  let stack: LocalStack;

  beforeAll(async () => {
    stack = await startLocalStack();
  });
  afterAll(async () => {
    await stack.stop();
  });
  beforeEach(async () => {
    await stack.clearOutbox();
  });

  describe('seedDemoTenant', () => {
    it('seeds the demo tenant with its basic credential and every dialect demo patch', async () => {
      const tenant = await stack.deps.tenants.authenticate(
        'v2-basic',
        DEMO.basic.clientId,
        DEMO.basic.secret,
      );
      expect(tenant).toMatchObject({
        tenantId: 'demo',
        // The default regions; SMS may reach fixed lines, as the seed 004 SMS example needs.
        policy: {
          allowedRegions: ['US', 'CA', 'GB', 'SG', 'VN', 'IN'],
          numberTypes: { SMS: ['MOBILE', 'FIXED_LINE_OR_MOBILE', 'FIXED_LINE'] },
        },
        channels: { voice: expect.any(Object), whatsapp: expect.any(Object), zalo: expect.any(Object) },
      });
      for (const { demo } of await loadDialectDemos())
        expect(tenant).toMatchObject(demo.demoTenantPatch ?? {});
      expect(
        await stack.deps.tenants.authenticate('v2-basic', DEMO.basic.clientId, 'wrong-secret'),
      ).toBeUndefined();
    });
  });

  describe('GET /_local/outbox', () => {
    it('returns an empty JSON array before anything is sent', async () => {
      const response = await fetch(`${stack.baseUrl}/_local/outbox`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
      expect(await response.json()).toEqual([]);
    });

    it('lists an e-mail sent through the SES emulator and an SMS from the sink, newest first', async () => {
      const email = stack.deps.senders.EMAIL;
      const sms = stack.deps.senders.SMS;
      if (!email || !sms) throw new Error('local deps lack EMAIL or SMS senders');
      const before = Date.now();
      await email(
        message({ channel: 'EMAIL', to: 'ana@example.com', subject: 'Validation Code', text: 'Code 424242' }),
      );
      await sms(message({ to: '+911234567896', text: 'Hi user. Code 515151' }));

      const messages = await stack.outbox();
      expect(messages.map((m) => m.channel)).toEqual(['SMS', 'EMAIL']);
      expect(messages[0]).toEqual({
        channel: 'SMS',
        to: '+911234567896',
        text: 'Hi user. Code 515151',
        at: expect.any(String),
        segments: { encoding: 'GSM-7', segments: 1 },
      });
      expect(messages[1]).toMatchObject({ channel: 'EMAIL', to: 'ana@example.com' });
      expect(messages[1]?.text).toBe('Validation Code\n\nCode 424242');
      for (const m of messages) {
        expect(Date.parse(m.at)).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
        expect(Date.parse(m.at)).toBeLessThanOrEqual(Date.now());
      }
    });

    it('orders an e-mail sent right after an SMS first, although the emulator stamps whole seconds', async () => {
      await stack.deps.senders.SMS?.(message({ text: 'first' }));
      await stack.deps.senders.EMAIL?.(
        message({ channel: 'EMAIL', to: 'bo@example.com', subject: 'S', text: 'second' }),
      );
      await stack.deps.senders.VOICE?.(message({ channel: 'VOICE', text: 'third' }));
      const texts = (await stack.outbox()).map((m) => m.text);
      expect(texts).toEqual(['third', 'S\n\nsecond', 'first']);
    });

    it('names the template of a WhatsApp message', async () => {
      await stack.deps.senders.WHATSAPP?.(message({ channel: 'WHATSAPP', templateName: 'otp_login' }));
      const [first] = await stack.outbox();
      expect(first).toMatchObject({ channel: 'WHATSAPP', template: 'otp_login' });
    });
  });

  describe('DELETE /_local/outbox', () => {
    it('clears the sink messages and the SES emulator store', async () => {
      await stack.deps.senders.EMAIL?.(message({ channel: 'EMAIL', to: 'cy@example.com', subject: 'S' }));
      await stack.deps.senders.ZALO?.(message({ channel: 'ZALO' }));
      expect(await stack.outbox()).toHaveLength(2);

      const response = await fetch(`${stack.baseUrl}/_local/outbox`, { method: 'DELETE' });
      expect(response.status).toBe(204);
      expect(await stack.outbox()).toEqual([]);
    });
  });

  describe('GET /_local/inbox', () => {
    it('returns a self-contained page with the messages escaped, newest first, and only its own script', async () => {
      await stack.deps.senders.SMS?.(message({ text: 'older message 111111' }));
      await stack.deps.senders.SMS?.(message({ text: 'Code 987654 <script>alert(1)</script> & "q"' }));
      const response = await fetch(`${stack.baseUrl}/_local/inbox`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/html/);
      expect(response.headers.get('content-security-policy')).toBe(INBOX_CSP);
      const html = await response.text();
      expect(html).toContain('<noscript><meta http-equiv="refresh"');
      expect(html).toContain('Code 987654 &lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;q&quot;');
      expect(html.match(/<script/g)).toHaveLength(1);
      expect(html).not.toMatch(/(src|href)="https?:/);
      expect(html.indexOf('987654')).toBeLessThan(html.indexOf('older message'));
    });

    it('shows a message sent after the page loaded without reloading, and clears the outbox', async () => {
      await stack.deps.senders.SMS?.(message({ text: 'first 111111' }));
      // The served page in jsdom, its fetches going to the real server.
      const dom = new JSDOM(await (await fetch(`${stack.baseUrl}/_local/inbox`)).text(), {
        url: `${stack.baseUrl}/_local/inbox`,
        runScripts: 'dangerously',
        beforeParse(window) {
          (window as unknown as { fetch: typeof fetch }).fetch = (url, init) =>
            fetch(new URL(String(url), stack.baseUrl), init);
        },
      });
      // Rows the script built (data-key), not the server-rendered ones it replaces on its first fetch.
      const texts = () =>
        [...dom.window.document.querySelectorAll('#messages li[data-key] pre')].map((pre) => pre.textContent);
      const until = async (want: unknown[]) => {
        for (let i = 0; i < 100 && JSON.stringify(texts()) !== JSON.stringify(want); i++)
          await new Promise((resolve) => setTimeout(resolve, 100));
        return texts();
      };
      try {
        expect(await until(['first 111111'])).toEqual(['first 111111']);
        const firstRow = dom.window.document.querySelector('#messages li[data-key]');
        await stack.deps.senders.SMS?.(message({ text: 'second 222222' }));
        expect(await until(['second 222222', 'first 111111'])).toEqual(['second 222222', 'first 111111']);
        expect(dom.window.document.querySelectorAll('#messages li')[1]).toBe(firstRow);

        (dom.window.document.getElementById('clear') as HTMLButtonElement).click();
        expect(await until([])).toEqual([]);
        expect(await stack.outbox()).toEqual([]);
      } finally {
        dom.window.close();
      }
    });
  });

  describe('GET /openapi.json', () => {
    it('is an OpenAPI 3.1 document with every route of the loaded dialects', async () => {
      const response = await fetch(`${stack.baseUrl}/openapi.json`);
      expect(response.status).toBe(200);
      const doc = (await response.json()) as {
        openapi: string;
        paths: Record<string, Record<string, { operationId: string; tags: string[] }>>;
      };
      expect(doc.openapi).toBe('3.1.0');
      const served = ROUTES.filter((r) => stack.dialects.includes(r.dialect));
      expect(new Set(Object.keys(doc.paths))).toEqual(new Set(served.map((r) => r.path)));
      for (const route of served) {
        expect(doc.paths[route.path]?.[route.method.toLowerCase()]?.operationId).toBe(route.operationId);
      }
    });

    it('documents the seed 004 generate body from the dialect’s zod schema', async () => {
      if (!stack.dialects.includes('capillary-v2')) throw new Error('functions/capillary-v2.ts is missing');
      const doc = (await (await fetch(`${stack.baseUrl}/openapi.json`)).json()) as {
        paths: Record<
          string,
          { post: { requestBody: { content: Record<string, { schema: { $ref: string } }> } } }
        >;
        components: { schemas: Record<string, unknown> };
      };
      // A named component (a generated client gets a real type), referenced from the operation.
      const ref = doc.paths[SMS_ROUTE]?.post.requestBody.content['application/json']?.schema.$ref ?? '';
      const schema = doc.components.schemas[ref.replace('#/components/schemas/', '')];
      expect(schema).toMatchObject({
        type: 'object',
        required: expect.arrayContaining(['entityType', 'entityValue', 'action']),
      });
    });
  });

  describe('routing', () => {
    it('answers a path outside every dialect prefix as the stack’s gateway response: 404 {"message":"Not Found"}', async () => {
      const response = await fetch(`${stack.baseUrl}/no/such/path`);
      expect(response.status).toBe(404);
      expect(await response.json()).toEqual(GATEWAY_ANSWERS.unknownRoute.body);
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    });

    it.each([
      [
        'capillary-v2',
        '/v2/otp/nope',
        { errors: [{ code: 404, message: expect.any(String) }], warnings: [] },
      ],
      ['loginradius', '/identity/v2/nope', { ErrorCode: 404, Message: 'Not Found' }],
      ['app-otp', '/fe/users/nope', { message: 'NOT_FOUND' }],
      [
        'capillary-auth',
        '/auth/v2/nope',
        { status: { success: false, code: 404, message: expect.any(String) } },
      ],
      ['summitai', '/adm/nope', { Errors: expect.any(String) }],
    ])(
      'answers an unknown path under the %s prefix with 404 in that dialect’s shape (its {proxy+} catch-all)',
      async (_d, path, shape) => {
        const response = await fetch(`${stack.baseUrl}${path}`, { method: 'POST', body: '{}' });
        expect(response.status).toBe(404);
        expect(await response.json()).toMatchObject(shape);
      },
    );

    it('answers another method of a route with 405 and Allow in the dialect’s shape (its ANY method)', async () => {
      const response = await fetch(`${stack.baseUrl}${SMS_ROUTE}`);
      expect(response.status).toBe(405);
      expect(response.headers.get('allow')).toBe('POST');
      expect(await response.json()).toEqual({
        errors: [{ code: 405, message: expect.any(String) }],
        warnings: [],
      });
    });

    it('answers the CORS preflight of a web route for the demo tenant’s origin, and not for another', async () => {
      const preflight = (origin: string) =>
        fetch(`${stack.baseUrl}/auth/v1/web/otp/generate`, {
          method: 'OPTIONS',
          headers: { origin, 'access-control-request-method': 'POST' },
        });
      const allowed = await preflight(DEMO_AUTH.webOrigin);
      expect(allowed.status).toBe(204);
      expect(allowed.headers.get('access-control-allow-origin')).toBe(DEMO_AUTH.webOrigin);
      expect(allowed.headers.get('vary')).toBe('Origin');
      const refused = await preflight('https://evil.example');
      expect(refused.headers.get('access-control-allow-origin')).toBeNull();
    });

    it('answers a body over 64 KB with the WAF body size rule’s 413 before any function runs', async () => {
      const response = await fetch(`${stack.baseUrl}${SMS_ROUTE}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ pad: 'x'.repeat(MAX_REQUEST_BYTES) }),
      });
      expect(response.status).toBe(413);
      expect(await response.json()).toEqual(GATEWAY_ANSWERS.bodyTooLarge.body);
    });

    it('reaches the capillary-v2 handler, which refuses a request without credentials', async () => {
      if (!stack.dialects.includes('capillary-v2')) throw new Error('functions/capillary-v2.ts is missing');
      const response = await fetch(`${stack.baseUrl}${SMS_ROUTE}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({ errors: expect.any(Array) });
      expect(await stack.outbox()).toEqual([]);
    });
  });

  describe('response headers', () => {
    it('renames the capillary-v2 WWW-Authenticate challenge to x-amzn-Remapped-WWW-Authenticate, as API Gateway does', async () => {
      const response = await fetch(`${stack.baseUrl}${SMS_ROUTE}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBeNull();
      expect(response.headers.get('x-amzn-remapped-www-authenticate')).toBe('Basic realm="otp", Bearer');
    });
  });
});

describe('local server', () => {
  let ses: SesLocal;
  let server: Server;
  let baseUrl: string;
  const seen: Array<{ event: APIGatewayProxyEvent; context: Context }> = [];
  let behaviour: 'echo' | 'throw' | 'challenge' = 'echo';

  beforeAll(async () => {
    ses = await startSesLocal(0);
    // A stand-in LoginRadius function: the route with a path parameter and a query string.
    server = createLocalServer({
      outbox: new Outbox(ses.endpoint),
      handlers: {
        loginradius: async (event, context): Promise<APIGatewayProxyResult> => {
          seen.push({ event, context });
          if (behaviour === 'throw') throw new Error('secret detail 123456');
          if (behaviour === 'challenge')
            return {
              statusCode: 401,
              headers: { 'WWW-Authenticate': 'Basic realm="a"' },
              multiValueHeaders: { 'www-authenticate': ['Bearer realm="b"'] },
              body: '{}',
            };
          return { statusCode: 201, headers: { 'x-echo': 'yes' }, body: JSON.stringify({ ok: true }) };
        },
      },
    });
    baseUrl = `http://127.0.0.1:${await listen(server, 0, '127.0.0.1')}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await closeServer(server);
    await ses.stop();
  });
  beforeEach(() => {
    seen.length = 0;
    behaviour = 'echo';
  });

  describe('createLocalServer', () => {
    it('builds an API Gateway REST proxy event from the request', async () => {
      const response = await fetch(
        `${baseUrl}/identity/v2/manage/account/smsotp/forgot%20password?apikey=k1&apisecret=s&x=1&x=2`,
        {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', 'X-Multi': 'a' },
          body: '{"Phone":"1"}',
        },
      );
      expect(response.status).toBe(201);
      expect(response.headers.get('x-echo')).toBe('yes');
      expect(await response.json()).toEqual({ ok: true });

      const [call] = seen;
      if (!call) throw new Error('handler not called');
      const { event, context } = call;
      expect(event).toMatchObject({
        httpMethod: 'POST',
        resource: '/identity/v2/manage/account/smsotp/{smsotptype}',
        path: '/identity/v2/manage/account/smsotp/forgot%20password',
        pathParameters: { smsotptype: 'forgot password' },
        queryStringParameters: { apikey: 'k1', apisecret: 's', x: '2' },
        multiValueQueryStringParameters: { apikey: ['k1'], apisecret: ['s'], x: ['1', '2'] },
        body: '{"Phone":"1"}',
        isBase64Encoded: false,
        requestContext: {
          stage: 'local',
          httpMethod: 'POST',
          resourcePath: '/identity/v2/manage/account/smsotp/{smsotptype}',
          identity: { sourceIp: '127.0.0.1' },
        },
      });
      expect(event.headers['Content-Type']).toBe('application/json');
      expect(event.multiValueHeaders['X-Multi']).toEqual(['a']);
      // Two ids, as in AWS: API Gateway's request id is not the Lambda request id.
      expect(event.requestContext.requestId).toMatch(/^[0-9a-f-]{36}$/);
      expect(context.awsRequestId).toMatch(/^[0-9a-f-]{36}$/);
      expect(event.requestContext.requestId).not.toBe(context.awsRequestId);
      // The function's own timeout, as in AWS (the gateway's 29 s is the server's, around it).
      expect(context.getRemainingTimeInMillis()).toBeLessThanOrEqual(LAMBDA_TIMEOUT_MS);
      expect(context.getRemainingTimeInMillis()).toBeGreaterThan(LAMBDA_TIMEOUT_MS - 5_000);
      expect(context.functionName).toBe('otp-local-loginradius');
    });

    it('prefers a literal segment and passes no query maps when there is no query', async () => {
      await fetch(`${baseUrl}/identity/v2/manage/account/smsotp/addphone/verify`, { method: 'PUT' });
      expect(seen[0]?.event).toMatchObject({
        resource: '/identity/v2/manage/account/smsotp/{smsotptype}/verify',
        pathParameters: { smsotptype: 'addphone' },
        queryStringParameters: null,
        multiValueQueryStringParameters: null,
        body: null,
      });
    });

    it('answers API Gateway’s 502 without details when the function throws', async () => {
      behaviour = 'throw';
      const response = await fetch(`${baseUrl}/identity/v2/manage/account/smsotp/addphone`, {
        method: 'POST',
      });
      expect(response.status).toBe(502);
      const text = await response.text();
      expect(JSON.parse(text)).toEqual({ message: 'Internal server error' });
      expect(text).not.toContain('123456');
    });

    it('renames WWW-Authenticate in any case, single- or multi-valued, to x-amzn-Remapped-WWW-Authenticate', async () => {
      behaviour = 'challenge';
      const response = await fetch(`${baseUrl}/identity/v2/manage/account/smsotp/addphone`, {
        method: 'POST',
      });
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBeNull();
      expect(response.headers.get('x-amzn-remapped-www-authenticate')).toBe(
        'Basic realm="a", Bearer realm="b"',
      );
    });

    it('answers 501 for a route whose dialect is not loaded', async () => {
      const response = await fetch(`${baseUrl}/adm/service`, { method: 'POST', body: '{}' });
      expect(response.status).toBe(501);
      expect(((await response.json()) as { message: string }).message).toContain('functions/summitai.ts');
      expect(seen).toHaveLength(0);
    });

    it('answers 413 before calling the handler when the body is over 64 KB, the WAF rule’s limit', async () => {
      expect(MAX_REQUEST_BYTES).toBe(MAX_BODY_BYTES);
      const response = await fetch(`${baseUrl}/identity/v2/manage/account/smsotp/addphone`, {
        method: 'POST',
        body: 'x'.repeat(MAX_REQUEST_BYTES + 1),
      });
      expect(response.status).toBe(413);
      expect(seen).toHaveLength(0);
    });

    it('accepts a body of exactly 64 KB', async () => {
      const response = await fetch(`${baseUrl}/identity/v2/manage/account/smsotp/addphone`, {
        method: 'POST',
        body: 'x'.repeat(MAX_REQUEST_BYTES),
      });
      expect(response.status).toBe(201);
      expect(seen[0]?.event.body).toHaveLength(MAX_REQUEST_BYTES);
    });

    it('sends an unknown path under the dialect prefix to its function as the {proxy+} resource', async () => {
      const response = await fetch(`${baseUrl}/identity/nope/deeper`, { method: 'DELETE' });
      expect(response.status).toBe(201);
      expect(seen[0]?.event).toMatchObject({
        httpMethod: 'DELETE',
        resource: '/identity/{proxy+}',
        path: '/identity/nope/deeper',
        pathParameters: { proxy: 'nope/deeper' },
      });
    });

    it('sends another method of a route to its function with the route’s resource (its ANY method)', async () => {
      await fetch(`${baseUrl}/identity/v2/manage/account/smsotp/addphone`, { method: 'OPTIONS' });
      expect(seen[0]?.event).toMatchObject({
        httpMethod: 'OPTIONS',
        resource: '/identity/v2/manage/account/smsotp/{smsotptype}',
        pathParameters: { smsotptype: 'addphone' },
      });
    });

    it('answers a function that outlives its timeout with API Gateway’s 502, as for a timed-out Lambda', async () => {
      const slow = createLocalServer({
        outbox: new Outbox(ses.endpoint),
        handlers: { loginradius: () => new Promise<APIGatewayProxyResult>(() => {}) },
        functionTimeoutMs: 50,
      });
      const slowUrl = `http://127.0.0.1:${await listen(slow, 0, '127.0.0.1')}`;
      try {
        const response = await fetch(`${slowUrl}/identity/v2/manage/account/smsotp/addphone`, {
          method: 'POST',
        });
        expect(response.status).toBe(GATEWAY_ANSWERS.functionError.status);
        expect(await response.json()).toEqual({ message: 'Internal server error' });
      } finally {
        slow.closeAllConnections();
        await closeServer(slow);
      }
    });

    it('answers 400 for a path with a malformed percent escape', async () => {
      const response = await fetch(`${baseUrl}/identity/v2/manage/account/smsotp/%E0%A4%A`, {
        method: 'POST',
      });
      expect(response.status).toBe(400);
      expect(seen).toHaveLength(0);
    });
  });
});
