import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import type { LambdaHandler } from '../shared/http/types';
import { buildOpenApi } from '../shared/openapi';
import { DIALECTS, type DialectId, ROUTES, type RouteDef } from '../shared/routes';
import { API_GATEWAY_TIMEOUT_MS, LAMBDA_TIMEOUT_MS } from '../shared/timeouts';
import type { LocalEventBus } from './event-bus';
import { renderInbox } from './inbox-page';
import type { Outbox } from './outbox';

/** Request bodies above this are refused with 413 (the dialects refuse far less themselves). */
export const MAX_REQUEST_BYTES = 1024 * 1024;

/** API Gateway's integration timeout: a handler slower than this answers 504, as in AWS. */
const INTEGRATION_TIMEOUT_MS = API_GATEWAY_TIMEOUT_MS;

export interface LocalServerOptions {
  outbox: Outbox;
  /** The local event bus, listed at `/_local/events` and next to each message on the inbox page. */
  bus?: LocalEventBus;
  /** Lambda handler per dialect (see loadDialects); routes of a missing dialect answer 501. */
  handlers: Partial<Record<DialectId, LambdaHandler>>;
  /** One line per request (method, path without query, status, time); default: silent. */
  log?: (line: string) => void;
}

interface CompiledRoute {
  route: RouteDef;
  /** Literal segment text, or undefined where the template has a `{param}`. */
  segments: Array<{ literal?: string; param?: string }>;
  literalCount: number;
}

const COMPILED: CompiledRoute[] = ROUTES.map((route) => {
  const segments = route.path
    .split('/')
    .slice(1)
    .map((s) => {
      const param = /^\{([^}]+)\}$/.exec(s)?.[1];
      return param ? { param } : { literal: s };
    });
  return { route, segments, literalCount: segments.filter((s) => s.literal !== undefined).length };
});

export type RouteMatch =
  | { kind: 'route'; route: RouteDef; pathParameters: Record<string, string> }
  | { kind: 'method-not-allowed'; allowed: string[] }
  | { kind: 'none' };

/**
 * Matches a method and a raw path against the route table, as API Gateway does: `{param}` takes
 * exactly one non-empty segment, and a literal segment wins over a parameter. Segments are
 * percent-decoded; a malformed escape throws URIError.
 */
export const matchRoute = (method: string, rawPath: string): RouteMatch => {
  const trimmed = rawPath.length > 1 && rawPath.endsWith('/') ? rawPath.slice(0, -1) : rawPath;
  const parts = trimmed.split('/').slice(1).map(decodeURIComponent);
  const candidates = COMPILED.filter(
    (c) =>
      c.segments.length === parts.length &&
      c.segments.every((s, i) => (s.literal === undefined ? parts[i] !== '' : s.literal === parts[i])),
  ).sort((a, b) => b.literalCount - a.literalCount);
  const hit = candidates.find((c) => c.route.method === method);
  if (hit) {
    const pathParameters: Record<string, string> = {};
    hit.segments.forEach((s, i) => {
      if (s.param) pathParameters[s.param] = parts[i] ?? '';
    });
    return { kind: 'route', route: hit.route, pathParameters };
  }
  if (candidates.length > 0)
    return { kind: 'method-not-allowed', allowed: candidates.map((c) => c.route.method) };
  return { kind: 'none' };
};

class BodyTooLargeError extends Error {
  override name = 'BodyTooLargeError';
}

/**
 * Reads the request body up to `limit` bytes. Past the limit the rest is drained unread (so the
 * client sees the 413 rather than a reset connection), and a sender that keeps going for ten
 * times the limit is cut off.
 */
const readBody = (req: IncomingMessage, limit: number): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = declared > limit;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) tooLarge = true;
      if (size > limit * 10) req.destroy();
      if (!tooLarge) chunks.push(chunk);
    });
    req.on('end', () => (tooLarge ? reject(new BodyTooLargeError()) : resolve(Buffer.concat(chunks))));
    req.on('error', reject);
  });

/** Header maps as API Gateway REST builds them: names as sent, the last value in `headers`. */
const headerMaps = (req: IncomingMessage) => {
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i] as string;
    const value = req.rawHeaders[i + 1] as string;
    headers[name] = value;
    multiValueHeaders[name] = [...(multiValueHeaders[name] ?? []), value];
  }
  return { headers, multiValueHeaders };
};

const queryMaps = (search: URLSearchParams) => {
  const single: Record<string, string> = {};
  const multi: Record<string, string[]> = {};
  for (const [key, value] of search) {
    single[key] = value;
    multi[key] = [...(multi[key] ?? []), value];
  }
  const any = Object.keys(single).length > 0;
  return { queryStringParameters: any ? single : null, multiValueQueryStringParameters: any ? multi : null };
};

/** The API Gateway REST (v1) proxy event for one request, as the Lambda would receive it. */
export const buildEvent = (
  req: IncomingMessage,
  url: URL,
  match: { route: RouteDef; pathParameters: Record<string, string> },
  body: Buffer,
  requestId: string,
): APIGatewayProxyEvent => {
  const { headers, multiValueHeaders } = headerMaps(req);
  const method = req.method ?? 'GET';
  return {
    resource: match.route.path,
    path: url.pathname,
    httpMethod: method,
    headers,
    multiValueHeaders,
    ...queryMaps(url.searchParams),
    pathParameters: Object.keys(match.pathParameters).length > 0 ? match.pathParameters : null,
    stageVariables: null,
    body: body.length > 0 ? body.toString('utf8') : null,
    isBase64Encoded: false,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      authorizer: undefined,
      protocol: `HTTP/${req.httpVersion}`,
      httpMethod: method,
      path: `/local${url.pathname}`,
      stage: 'local',
      requestId,
      requestTimeEpoch: Date.now(),
      resourceId: 'local',
      resourcePath: match.route.path,
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        user: null,
        userAgent: req.headers['user-agent'] ?? null,
        userArn: null,
      },
    },
  };
};

/** A Lambda context with the fields handlers and Powertools read. */
const lambdaContext = (dialect: DialectId, requestId: string): Context => {
  // The function's own timeout, as in AWS: the handler's early timeout counts down from it.
  const deadline = Date.now() + LAMBDA_TIMEOUT_MS;
  const name = `otp-local-${dialect}`;
  const unsupported = () => {
    throw new Error('Callback-style completion is not supported; return a promise');
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: name,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${name}`,
    memoryLimitInMB: '1024',
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${name}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: unsupported,
    fail: unsupported,
    succeed: unsupported,
  };
};

const sendJson = (
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) => {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
};

/**
 * API Gateway REST renames a `WWW-Authenticate` response header from a Lambda proxy integration
 * to `x-amzn-Remapped-WWW-Authenticate`, so a client waiting for the challenge never sees it;
 * the local runtime renames it too, so nobody builds on a header AWS does not deliver.
 */
const remapReservedHeaders = (headers: Record<string, string | string[]>) => {
  const values: string[] = [];
  for (const name of Object.keys(headers)) {
    if (name.toLowerCase() !== 'www-authenticate') continue;
    values.push(...[headers[name] ?? []].flat());
    delete headers[name];
  }
  if (values.length > 0) headers['x-amzn-Remapped-WWW-Authenticate'] = values;
};

const sendResult = (res: ServerResponse, result: APIGatewayProxyResult) => {
  const body = result.isBase64Encoded
    ? Buffer.from(result.body ?? '', 'base64')
    : Buffer.from(result.body ?? '', 'utf8');
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(result.headers ?? {})) headers[name] = String(value);
  for (const [name, values] of Object.entries(result.multiValueHeaders ?? {})) {
    headers[name] = values.map(String);
  }
  remapReservedHeaders(headers);
  headers['content-length'] = String(body.length);
  res.writeHead(result.statusCode, headers);
  res.end(body);
};

const isResult = (value: unknown): value is APIGatewayProxyResult =>
  typeof value === 'object' &&
  value !== null &&
  Number.isInteger((value as { statusCode?: unknown }).statusCode) &&
  ['string', 'undefined'].includes(typeof (value as { body?: unknown }).body);

/** Runs the handler with API Gateway's timeout; resolves to the result or a failure kind. */
const invoke = async (
  handler: LambdaHandler,
  event: APIGatewayProxyEvent,
  context: Context,
): Promise<APIGatewayProxyResult | 'timeout'> => {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), INTEGRATION_TIMEOUT_MS);
  });
  try {
    return await Promise.race([handler(event, context), timeout]);
  } finally {
    clearTimeout(timer);
  }
};

/**
 * The local HTTP server: every route of the route table through its dialect's Lambda handler
 * (API Gateway REST proxy events), plus `GET /openapi.json`, `GET|DELETE /_local/outbox`,
 * `GET|DELETE /_local/events` and the `GET /_local/inbox` page.
 */
export const createLocalServer = (options: LocalServerOptions): Server => {
  const { outbox, handlers, bus } = options;
  const log = options.log ?? (() => {});
  const loaded = (Object.keys(DIALECTS) as DialectId[]).filter((d) => handlers[d]);

  const local = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> => {
    const key = `${req.method} ${url.pathname}`;
    switch (key) {
      case 'GET /openapi.json':
        sendJson(
          res,
          200,
          buildOpenApi({
            dialects: loaded,
            ...(req.headers.host ? { serverUrl: `http://${req.headers.host}` } : {}),
          }),
        );
        return true;
      case 'GET /_local/outbox':
        sendJson(res, 200, await outbox.list());
        return true;
      case 'DELETE /_local/outbox':
        await outbox.clear();
        res.writeHead(204, { 'cache-control': 'no-store' }).end();
        return true;
      case 'GET /_local/events':
        sendJson(res, 200, bus?.list() ?? []);
        return true;
      case 'DELETE /_local/events':
        bus?.clear();
        res.writeHead(204, { 'cache-control': 'no-store' }).end();
        return true;
      case 'GET /_local/inbox': {
        const html = renderInbox(await outbox.list(), bus?.list() ?? []);
        res.writeHead(200, {
          'content-type': 'text/html; charset=utf-8',
          'cache-control': 'no-store',
          // Defence in depth behind the escaping: no script, no external fetch of any kind.
          'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'",
          'content-length': Buffer.byteLength(html),
        });
        res.end(html);
        return true;
      }
      default:
        return false;
    }
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<number> => {
    const url = new URL(req.url ?? '/', 'http://local');
    const method = req.method ?? 'GET';
    let match: RouteMatch;
    try {
      match = matchRoute(method, url.pathname);
    } catch {
      sendJson(res, 400, { message: 'Malformed path' });
      return 400;
    }
    if (match.kind === 'none') {
      if (await local(req, res, url)) return res.statusCode;
      sendJson(res, 404, { message: `No route for ${method} ${url.pathname}` });
      return 404;
    }
    if (match.kind === 'method-not-allowed') {
      sendJson(res, 405, { message: `Method ${method} not allowed` }, { allow: match.allowed.join(', ') });
      return 405;
    }
    const { dialect } = match.route;
    const handler = handlers[dialect];
    if (!handler) {
      sendJson(res, 501, {
        message: `The ${dialect} dialect is not built yet (${DIALECTS[dialect].entry} is missing)`,
      });
      return 501;
    }
    let body: Buffer;
    try {
      body = await readBody(req, MAX_REQUEST_BYTES);
    } catch (error) {
      if (!(error instanceof BodyTooLargeError)) throw error;
      sendJson(res, 413, { message: 'Request body too large' }, { connection: 'close' });
      return 413;
    }
    const requestId = randomUUID();
    const event = buildEvent(req, url, match, body, requestId);
    const result = await invoke(handler, event, lambdaContext(dialect, requestId));
    if (result === 'timeout') {
      sendJson(res, 504, { message: 'Endpoint request timed out' });
      return 504;
    }
    if (!isResult(result)) {
      // API Gateway answers a malformed Lambda response with 502.
      sendJson(res, 502, { message: 'Internal server error' });
      return 502;
    }
    sendResult(res, result);
    return result.statusCode;
  };

  return createServer((req, res) => {
    const started = Date.now();
    const path = new URL(req.url ?? '/', 'http://local').pathname;
    handle(req, res)
      .then((status) => log(`${req.method} ${path} ${status} ${Date.now() - started} ms`))
      .catch((error: unknown) => {
        // Name and frames, not the message: a message could carry request data (a phone, a code).
        const where = error instanceof Error ? (error.stack ?? '').split('\n').slice(1, 6).join('\n') : '';
        log(`${req.method} ${path} 500 ${error instanceof Error ? error.name : typeof error}\n${where}`);
        if (!res.headersSent) sendJson(res, 500, { message: 'Internal server error' });
        else res.destroy();
      });
  });
};

/** Starts listening; resolves with the bound port (useful with port 0). */
export const listen = (server: Server, port: number, host: string): Promise<number> =>
  new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
