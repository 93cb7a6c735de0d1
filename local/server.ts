import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { GATEWAY_ANSWER_HEADERS, GATEWAY_ANSWERS, type GatewayAnswer } from '../shared/gateway-answers';
import { MAX_BODY_BYTES } from '../shared/http/dialect-handler';
import type { LambdaHandler } from '../shared/http/types';
import { buildOpenApi } from '../shared/openapi';
import {
  catchAllResource,
  DIALECT_PREFIXES,
  DIALECTS,
  type DialectId,
  ROUTES,
  type RouteDef,
} from '../shared/routes';
import { API_GATEWAY_TIMEOUT_MS, LAMBDA_TIMEOUT_MS } from '../shared/timeouts';
import type { LocalEventBus } from './event-bus';
import { INBOX_CSP, renderInbox } from './inbox-page';
import type { Outbox } from './outbox';

/**
 * Request bodies above this are refused before any routing, as the stack's WAF body size rule
 * does (lib/constructs/api-firewall.ts), with the same 413 and body (GATEWAY_ANSWERS.bodyTooLarge).
 */
export const MAX_REQUEST_BYTES = MAX_BODY_BYTES;

export interface LocalServerOptions {
  outbox: Outbox;
  /** The local event bus, listed at `/_local/events` and next to each message on the inbox page. */
  bus?: LocalEventBus;
  /** Lambda handler per dialect (see loadDialects); routes of a missing dialect answer 501. */
  handlers: Partial<Record<DialectId, LambdaHandler>>;
  /** One line per request (method, path without query, status, time); default: silent. */
  log?: (line: string) => void;
  /**
   * The functions' timeout (default LAMBDA_TIMEOUT_MS, what the stack sets): a handler still
   * running then is answered as API Gateway answers a timed-out Lambda, 502. Tests shorten it.
   */
  functionTimeoutMs?: number;
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
  | { kind: 'method-not-allowed'; allowed: string[]; route: RouteDef; pathParameters: Record<string, string> }
  | { kind: 'none' };

/** What API Gateway hands a function: the resource template it matched and the path parameters. */
export interface GatewayTarget {
  dialect: DialectId;
  resource: string;
  pathParameters: Record<string, string>;
}

/**
 * Where the stack's API Gateway sends a request (lib/constructs/otp-api.ts): a route's method to
 * its function; another method of a route to the same function through the resource's `ANY`; a
 * path under a dialect's prefix to its `{proxy+}` catch-all; anything else to no function (the
 * gateway's own 404). Throws URIError for a malformed escape, as matchRoute does.
 */
export const gatewayTarget = (method: string, rawPath: string): GatewayTarget | undefined => {
  const match = matchRoute(method, rawPath);
  if (match.kind !== 'none') {
    return { dialect: match.route.dialect, resource: match.route.path, pathParameters: match.pathParameters };
  }
  // A dialect's prefix is one segment, or two where the first is shared (`/v2/otp`, `/v2/Services`).
  const segments = rawPath.split('/').slice(1);
  const taken = [2, 1].find(
    (n) => segments.length > n && DIALECT_PREFIXES.has(`/${segments.slice(0, n).join('/')}`),
  );
  const prefix = `/${segments.slice(0, taken ?? 1).join('/')}`;
  const dialect = DIALECT_PREFIXES.get(prefix);
  const proxy = segments
    .slice(taken ?? 1)
    .map(decodeURIComponent)
    .join('/');
  // `{proxy+}` needs at least one non-empty segment after the prefix.
  if (!dialect || proxy === '') return undefined;
  return { dialect, resource: catchAllResource(prefix), pathParameters: { proxy } };
};

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
  const [first] = candidates;
  if (first) {
    const pathParameters: Record<string, string> = {};
    first.segments.forEach((s, i) => {
      if (s.param) pathParameters[s.param] = parts[i] ?? '';
    });
    return {
      kind: 'method-not-allowed',
      allowed: candidates.map((c) => c.route.method),
      route: first.route,
      pathParameters,
    };
  }
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
  target: Pick<GatewayTarget, 'resource' | 'pathParameters'>,
  body: Buffer,
  requestId: string,
): APIGatewayProxyEvent => {
  const { headers, multiValueHeaders } = headerMaps(req);
  const method = req.method ?? 'GET';
  return {
    resource: target.resource,
    path: url.pathname,
    httpMethod: method,
    headers,
    multiValueHeaders,
    ...queryMaps(url.searchParams),
    pathParameters: Object.keys(target.pathParameters).length > 0 ? target.pathParameters : null,
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
      resourcePath: target.resource,
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
const lambdaContext = (dialect: DialectId, requestId: string, timeoutMs: number): Context => {
  // The function's own timeout, as in AWS: the handler's early timeout counts down from it.
  const deadline = Date.now() + timeoutMs;
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

/** An answer the gateway gives itself, with its headers (shared/gateway-answers.ts). */
const sendGatewayAnswer = (
  res: ServerResponse,
  answer: GatewayAnswer,
  headers: Record<string, string> = {},
) => sendJson(res, answer.status, answer.body, { ...GATEWAY_ANSWER_HEADERS, ...headers });

/**
 * Runs the handler as Lambda behind API Gateway does: a handler that throws or outlives the
 * function timeout is a failed invocation (API Gateway's 502); one still running at the 29 s
 * integration timeout (only if the function timeout were longer) is the gateway's 504.
 */
const invoke = async (
  handler: LambdaHandler,
  event: APIGatewayProxyEvent,
  context: Context,
  functionTimeoutMs: number,
): Promise<APIGatewayProxyResult | GatewayAnswer> => {
  let timer: NodeJS.Timeout | undefined;
  const cutOff =
    functionTimeoutMs < API_GATEWAY_TIMEOUT_MS
      ? GATEWAY_ANSWERS.functionError
      : GATEWAY_ANSWERS.integrationTimeout;
  const timeout = new Promise<GatewayAnswer>((resolve) => {
    timer = setTimeout(() => resolve(cutOff), Math.min(functionTimeoutMs, API_GATEWAY_TIMEOUT_MS));
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
  const functionTimeoutMs = options.functionTimeoutMs ?? LAMBDA_TIMEOUT_MS;
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
          // Defence in depth behind the escaping: only the page's own script (by hash), fetches
          // to this origin only.
          'content-security-policy': INBOX_CSP,
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
    let target: GatewayTarget | undefined;
    try {
      target = gatewayTarget(method, url.pathname);
    } catch {
      sendJson(res, 400, { message: 'Malformed path' });
      return 400;
    }
    if (!target && (await local(req, res, url))) return res.statusCode;
    // The WAF's body size rule runs before API Gateway routes anything, so it answers for every path.
    let body: Buffer;
    try {
      body = await readBody(req, MAX_REQUEST_BYTES);
    } catch (error) {
      if (!(error instanceof BodyTooLargeError)) throw error;
      sendGatewayAnswer(res, GATEWAY_ANSWERS.bodyTooLarge, { connection: 'close' });
      return GATEWAY_ANSWERS.bodyTooLarge.status;
    }
    if (!target) {
      sendGatewayAnswer(res, GATEWAY_ANSWERS.unknownRoute);
      return GATEWAY_ANSWERS.unknownRoute.status;
    }
    const { dialect } = target;
    const handler = handlers[dialect];
    if (!handler) {
      sendJson(res, 501, {
        message: `The ${dialect} dialect is not built yet (${DIALECTS[dialect].entry} is missing)`,
      });
      return 501;
    }
    // Two ids, as in AWS: API Gateway's (the event's) and the Lambda invocation's (the context's).
    const event = buildEvent(req, url, target, body, randomUUID());
    let result: APIGatewayProxyResult | GatewayAnswer;
    try {
      result = await invoke(
        handler,
        event,
        lambdaContext(dialect, randomUUID(), functionTimeoutMs),
        functionTimeoutMs,
      );
    } catch (error) {
      // A handler that throws is a failed invocation: API Gateway answers 502, no detail.
      log(`${method} ${url.pathname} function error ${error instanceof Error ? error.name : typeof error}`);
      result = GATEWAY_ANSWERS.functionError;
    }
    if ((Object.values(GATEWAY_ANSWERS) as unknown[]).includes(result)) {
      const answer = result as GatewayAnswer;
      sendGatewayAnswer(res, answer);
      return answer.status;
    }
    if (!isResult(result)) {
      // API Gateway answers a malformed Lambda response with 502.
      sendGatewayAnswer(res, GATEWAY_ANSWERS.functionError);
      return GATEWAY_ANSWERS.functionError.status;
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
