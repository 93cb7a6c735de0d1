/**
 * What API Gateway and WAF answer themselves, without a function: one table for the stack
 * (lib/constructs/otp-api.ts sets the gateway responses, lib/constructs/api-firewall.ts the WAF
 * custom responses) and the local runtime (local/server.ts answers the same status and body), so
 * the two cannot drift.
 *
 * Gateway responses are per REST API and their templates are not VTL (no branching on the path),
 * so none of these can be in a dialect's shape. That is why the stack routes every path under a
 * dialect's prefix and every method of a route to the dialect's function (README, Deploy): what is
 * left here is a path outside every prefix, the stage's throttle, WAF's blocks and a function that
 * failed.
 */

/** One answer the gateway or WAF gives on its own. */
export interface GatewayAnswer {
  readonly status: number;
  readonly body: { readonly message: string };
}

/** Headers on every gateway-generated answer (the functions' answers carry the same ones). */
export const GATEWAY_ANSWER_HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
} as const;

export const GATEWAY_ANSWERS = {
  /**
   * A path outside every dialect's prefix (`/`, `/foo`). API Gateway's default is 403
   * `{"message":"Missing Authentication Token"}`, which sends people hunting for a credential;
   * the stack sets the MISSING_AUTHENTICATION_TOKEN gateway response to this 404 instead.
   */
  unknownRoute: { status: 404, body: { message: 'Not Found' } },
  /**
   * A function that threw, returned a malformed answer or ran past its own timeout: API Gateway's
   * own 502 (the DEFAULT_5XX body). The functions answer 503 in the dialect's shape before their
   * timeout (shared/timeouts.ts), so this is the fault path only.
   */
  functionError: { status: 502, body: { message: 'Internal server error' } },
  /** A function still running at API Gateway's 29 s integration timeout (cannot happen: 15 s). */
  integrationTimeout: { status: 504, body: { message: 'Endpoint request timed out' } },
  /** The stage's throttle (`apiRateLimit`/`apiBurstLimit`): API Gateway's THROTTLED default. */
  throttled: { status: 429, body: { message: 'Too Many Requests' } },
  /** A WAF block without a custom response (the AWS common rule set): WAF_FILTERED's default. */
  wafBlocked: { status: 403, body: { message: 'Forbidden' } },
  /**
   * A body over the API's 64 KB limit, blocked by the WAF's body size rule with this custom
   * response (413 rather than WAF's default 403, so a client can tell its body was the problem).
   */
  bodyTooLarge: { status: 413, body: { message: 'Request body too large' } },
} as const satisfies Record<string, GatewayAnswer>;
