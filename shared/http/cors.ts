import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { TenantDirectory } from '../tenant-directory';

/**
 * CORS for the browser routes (`RouteDef.browser`: Capillary's `/auth/v1/web/...`). An origin is
 * allowed when a tenant lists it in `cors.allowedOrigins` (TenantDirectory.forOrigin); the
 * preflight carries no body and so no brand, which is why the origin alone decides. The answers
 * carry no cookies and the routes take no ambient credential, so `Allow-Credentials` is never set.
 * Every answer of a browser route says `Vary: Origin`, so a cache never hands one origin's answer
 * to another.
 */

/** Request headers a page may send: JSON bodies and the generate routes' Idempotency-Key. */
export const CORS_ALLOWED_HEADERS = 'content-type, idempotency-key';

/** Seconds a browser may reuse a preflight answer. */
export const CORS_MAX_AGE_S = 600;

const originOf = (event: APIGatewayProxyEvent): string | undefined =>
  Object.entries(event.headers ?? {}).find(([name]) => name.toLowerCase() === 'origin')?.[1] ?? undefined;

/** The CORS headers for this request's origin: `Vary: Origin`, plus the origin itself when allowed. */
const corsHeaders = async (
  tenants: Pick<TenantDirectory, 'forOrigin'>,
  event: APIGatewayProxyEvent,
): Promise<Record<string, string>> => {
  const origin = originOf(event);
  if (!origin) return { vary: 'Origin' };
  // A store fault while deciding must not turn the answer into a 500: the origin is just not
  // allowed this time (the browser then hides the answer, which is the safe side).
  const tenant = await tenants.forOrigin(origin).catch(() => undefined);
  return tenant ? { vary: 'Origin', 'access-control-allow-origin': origin } : { vary: 'Origin' };
};

/** A browser route's answer with the CORS headers of its origin, errors included. */
export const withCors = async (
  tenants: Pick<TenantDirectory, 'forOrigin'>,
  event: APIGatewayProxyEvent,
  result: APIGatewayProxyResult,
): Promise<APIGatewayProxyResult> => ({
  ...result,
  headers: { ...result.headers, ...(await corsHeaders(tenants, event)) },
});

/**
 * The answer to a preflight (`OPTIONS`): 204 with the allowed methods and headers for an allowed
 * origin; for any other origin the same 204 without `Access-Control-Allow-Origin`, so the browser
 * refuses the real request.
 */
export const preflight = async (
  tenants: Pick<TenantDirectory, 'forOrigin'>,
  event: APIGatewayProxyEvent,
  methods: readonly string[],
  baseHeaders: Record<string, string>,
): Promise<APIGatewayProxyResult> => {
  const cors = await corsHeaders(tenants, event);
  return {
    statusCode: 204,
    headers: {
      ...baseHeaders,
      ...cors,
      ...('access-control-allow-origin' in cors && {
        'access-control-allow-methods': methods.join(', '),
        'access-control-allow-headers': CORS_ALLOWED_HEADERS,
        'access-control-max-age': String(CORS_MAX_AGE_S),
      }),
    },
    body: '',
  };
};
