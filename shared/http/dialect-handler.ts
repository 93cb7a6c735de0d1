import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy, { type MiddlewareObj } from '@middy/core';
import httpJsonBodyParser from '@middy/http-json-body-parser';
import httpUrlencodeBodyParser from '@middy/http-urlencode-body-parser';
import { createError } from '@middy/util';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import type { AppDeps } from '../app-deps';
import { withDeadline } from '../deadline';
import { RateLimitedError, ServiceUnavailableError, UnauthorizedError } from '../errors';
import { maskCredentialId } from '../mask';
import { routesFor } from '../routes';
import { HANDLER_EARLY_TIMEOUT_MS } from '../timeouts';
import { type Classified, classify } from './classify';
import { preflight, withCors } from './cors';
import { idempotent } from './idempotency';
import type { DialectSpec, HttpResponse, LambdaHandler, RouteHandler } from './types';

/** Bodies above this are refused with 413 before parsing (API Gateway's own cap is 10 MB). */
export const MAX_BODY_BYTES = 64 * 1024;

/** Headers on every answer, errors included. */
const SECURITY_HEADERS = {
  'content-type': 'application/json; charset=utf-8',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'strict-transport-security': 'max-age=63072000; includeSubDomains',
  'referrer-policy': 'no-referrer',
} as const;

const lowerKeys = (record: Record<string, string | undefined> | null | undefined): Record<string, string> =>
  Object.fromEntries(
    Object.entries(record ?? {})
      .filter((e): e is [string, string] => typeof e[1] === 'string')
      .map(([k, v]) => [k.toLowerCase(), v]),
  );

const toResult = (response: HttpResponse): APIGatewayProxyResult => ({
  statusCode: response.status,
  headers: { ...SECURITY_HEADERS, ...response.headers },
  body: JSON.stringify(response.body),
});

type Request = { event: APIGatewayProxyEvent; response?: APIGatewayProxyResult | null; error?: unknown };

/** Refuses oversized bodies before any parser sees them. */
const bodyLimit = (): MiddlewareObj<APIGatewayProxyEvent> => ({
  before: async ({ event }) => {
    if (event.body && Buffer.byteLength(event.body) > MAX_BODY_BYTES) {
      throw createError(413, 'Request body too large');
    }
  },
});

/**
 * Deepest nesting a JSON body may have (the vendors' bodies nest three levels). Deeper input is
 * refused before parsing: JSON.stringify and schema checks recurse, and a body nested thousands
 * of levels deep (a few KB) overflowed the stack in the payload-hash check, a 500.
 */
export const MAX_BODY_DEPTH = 32;

/** True when JSON text nests deeper than MAX_BODY_DEPTH; a loop, so the check itself cannot overflow. */
const tooDeep = (text: string): boolean => {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{' || c === '[') {
      if (++depth > MAX_BODY_DEPTH) return true;
    } else if (c === '}' || c === ']') depth--;
  }
  return false;
};

/** The body text of a request as it arrived, before the parser replaced `event.body` with its result. */
const rawBodies = new WeakMap<APIGatewayProxyEvent, string>();

/** JSON for every dialect (whatever the content type says); forms where the dialect takes them. */
const bodyParser = (acceptForms: boolean): MiddlewareObj<APIGatewayProxyEvent> => {
  // disableContentTypeCheck exists at run time (index.js) but not in v6's typings.
  const json = httpJsonBodyParser({ disableContentTypeCheck: true } as never);
  const form = httpUrlencodeBodyParser({ disableContentTypeError: true });
  return {
    before: async (request) => {
      const { body: raw, isBase64Encoded: base64 } = request.event;
      if (typeof raw === 'string')
        rawBodies.set(request.event, base64 ? Buffer.from(raw, 'base64').toString() : raw);
      const type = lowerKeys(request.event.headers as Record<string, string>)['content-type'] ?? '';
      if (request.event.httpMethod === 'GET') return;
      if (acceptForms && type.startsWith('application/x-www-form-urlencoded')) {
        // The middy parser looks up `content-type` and `Content-Type` only; a client spelling it
        // `Content-type` or `CONTENT-TYPE` (header names are case-insensitive) got its form left
        // unparsed. Hand the parser a copy with the lower-case name; the event keeps its headers.
        const parsing = { ...request, event: { ...request.event, headers: { 'content-type': type } } };
        await form.before?.(parsing as never);
        request.event.body = parsing.event.body;
        return;
      }
      const { body, isBase64Encoded } = request.event;
      if (
        typeof body === 'string' &&
        tooDeep(isBase64Encoded ? Buffer.from(body, 'base64').toString() : body)
      ) {
        throw createError(400, 'Request body nested too deeply');
      }
      return json.before?.(request as never);
    },
  };
};

/** A stable reason code for a refused request's log line (never input, never a code). */
const reasonOf = (c: Exclude<Classified, { kind: 'internal' }>): string => {
  switch (c.kind) {
    case 'refusal':
      return c.reason;
    case 'otp':
      return c.error instanceof RateLimitedError ? `rate-limited:${c.error.reason}` : c.error.kind;
    case 'validation':
      return `invalid-${c.field || 'body'}`;
    case 'http':
      return `http-${c.status}`;
  }
};

/**
 * Maps any error to the dialect's shape; last in the chain so every answer gets the headers.
 * One log line per refused request: a failed authentication at WARN (masked credential id and
 * source IP, for alarms), any other refusal at INFO with its reason code, and ERROR only for a
 * real fault.
 */
const errorMapper = (
  spec: DialectSpec,
  deps: AppDeps,
): MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult> => ({
  onError: async (request) => {
    const error = request.error;
    const response = spec.mapError(error);
    const c = classify(error);
    if (c.kind === 'internal') {
      // Name and stack only: never the raw input, which may hold a code or a phone number.
      deps.logger.error('unhandled error', {
        dialect: spec.dialect,
        error: error instanceof Error ? { name: error.name, stack: error.stack } : String(error),
      });
    } else if (c.kind === 'otp' && c.error instanceof ServiceUnavailableError) {
      // One line per faulted request, whatever the SDK retried underneath (it logs nothing itself).
      deps.logger.warn('service unavailable', {
        dialect: spec.dialect,
        status: response.status,
        fault: c.error.fault,
      });
    } else if (c.kind === 'otp' && c.error instanceof UnauthorizedError) {
      deps.logger.warn('authentication failed', {
        dialect: spec.dialect,
        status: response.status,
        reason: c.error.message,
        sourceIp: request.event.requestContext?.identity?.sourceIp,
        ...(c.error.credentialId !== undefined && { credential: maskCredentialId(c.error.credentialId) }),
      });
    } else {
      deps.logger.info('request refused', {
        dialect: spec.dialect,
        status: response.status,
        reason: reasonOf(c),
      });
    }
    (request as Request).response = toResult(response);
  },
});

/**
 * middy's early timeout: when the Lambda's remaining time falls to the margin, the request is
 * answered with a ServiceUnavailableError (the dialect's 503 with Retry-After) instead of middy's
 * own TimeoutError, which no mapper knows and which would be a masked 500. The route's chain
 * fires first; the router's, with half the margin, only if the route's could not answer.
 */
const earlyTimeout = (marginMs: number, operationId?: string) => ({
  timeoutEarlyInMillis: marginMs,
  timeoutEarlyResponse: () => {
    throw new ServiceUnavailableError('The handler ran out of time', {
      fault: 'handler-deadline',
      ...(operationId !== undefined && { operationId }),
    });
  },
});

/**
 * API Gateway's request id (`requestContext.requestId`, the access log's `requestId`) as
 * Powertools' `correlation_id`, beside the Lambda request id it logs as `function_request_id`. In
 * AWS the two differ, and only this one joins a function's log lines to the access log line of the
 * same request. Set after injectLambdaContext, whose resetKeys clears it when the request ends.
 */
const correlate = (logger: AppDeps['logger']): MiddlewareObj<APIGatewayProxyEvent> => ({
  before: async ({ event }) => {
    const requestId = event.requestContext?.requestId;
    if (requestId) logger.setCorrelationId(requestId);
  },
});

/** When the early timeout fires (wall clock); no deadline without a Lambda context (scripts). */
const deadlineOf = (context: Context): number =>
  typeof context?.getRemainingTimeInMillis === 'function'
    ? Date.now() + context.getRemainingTimeInMillis() - HANDLER_EARLY_TIMEOUT_MS
    : Number.POSITIVE_INFINITY;

/**
 * Builds a dialect's Lambda handler: router over the dialect's routes from the route table,
 * body limit → body parser → route handler, and the dialect's error mapper last.
 */
export const createDialectHandler = (spec: DialectSpec, deps: AppDeps): LambdaHandler => {
  const routes = routesFor(spec.dialect).map((route) => {
    const routeHandler: RouteHandler | undefined = spec.handlers[route.operationId];
    if (!routeHandler) throw new Error(`No handler for ${route.operationId} in dialect ${spec.dialect}`);
    // Generate endpoints honour an Idempotency-Key header: a retry gets the first answer, no resend.
    const handle = route.sends ? idempotent(routeHandler, deps.ddb, deps.tableName) : routeHandler;
    return {
      method: route.method,
      path: route.path,
      handler: middy<APIGatewayProxyEvent, APIGatewayProxyResult>(
        earlyTimeout(HANDLER_EARLY_TIMEOUT_MS, route.operationId),
      )
        .use(bodyLimit())
        .use(bodyParser(spec.formBodies ?? false))
        .use(errorMapper(spec, deps))
        .handler(async (event, context) =>
          toResult(
            // The early timeout's deadline, so work it abandons stops (shared/deadline.ts).
            await withDeadline(deadlineOf(context), () =>
              handle({
                context,
                event,
                body: event.body,
                rawBody: rawBodies.get(event) ?? '',
                headers: lowerKeys(event.headers as Record<string, string>),
                query: lowerKeys(event.queryStringParameters ?? {}),
                pathParameters: lowerKeys(event.pathParameters ?? {}),
                deps,
              }),
            ),
          ),
        ),
    };
  });
  // Dispatch on `resource` (the route template API Gateway matched), never on `path`: behind a
  // custom domain `path` carries the base path (`/otp/v2/otp/generate`), and API Gateway has
  // already matched the template and decoded `pathParameters`. @middy/http-router matches `path`.
  const byResource = new Map(routes.map((r) => [`${r.method} ${r.path}`, r.handler]));
  // The stack sends this function every method of its routes (`ANY`) and every unknown path under
  // its prefix (`{proxy+}`), so those answer here in the dialect's shape, not as API Gateway's 403.
  const methodsOf = new Map<string, string[]>();
  for (const r of routes) methodsOf.set(r.path, [...(methodsOf.get(r.path) ?? []), r.method]);
  const browserPaths = new Set(
    routesFor(spec.dialect)
      .filter((r) => r.browser)
      .map((r) => r.path),
  );
  const router = middy<APIGatewayProxyEvent, APIGatewayProxyResult>(
    (event: APIGatewayProxyEvent, context: Context) => {
      const routeHandler = byResource.get(`${event.httpMethod} ${event.resource}`);
      if (routeHandler) return routeHandler(event, context);
      if (methodsOf.has(event.resource)) throw createError(405, 'Method not allowed');
      throw createError(404, 'Route does not exist');
    },
    earlyTimeout(HANDLER_EARLY_TIMEOUT_MS / 2),
  )
    // Request id and cold-start flag on every log line; the event itself is never logged.
    .use(injectLambdaContext(deps.logger, { resetKeys: true }))
    .use(correlate(deps.logger))
    .use(errorMapper(spec, deps));
  return async (event, context) => {
    const allowed = methodsOf.get(event.resource);
    const browser = browserPaths.has(event.resource);
    if (browser && allowed && event.httpMethod === 'OPTIONS') {
      return preflight(deps.tenants, event, allowed, SECURITY_HEADERS);
    }
    let result = await router(event, context);
    if (result.statusCode === 405 && allowed) {
      result = { ...result, headers: { ...result.headers, allow: allowed.join(', ') } };
    }
    // After the error mapper: refusals and faults carry the CORS headers too.
    return browser ? withCors(deps.tenants, event, result) : result;
  };
};
