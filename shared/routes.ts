/**
 * The route table: the single source of truth for the CDK stack (API Gateway resources and the
 * Lambda behind each), the local server and the OpenAPI document. Adding an endpoint is one entry
 * here plus its handler in the dialect's function.
 *
 * Paths use API Gateway's `{param}` template syntax; the Lambda dispatches on the template API
 * Gateway matched (`event.resource`), so a route's path is also its dispatch key.
 */

/** The five vendor dialects, one Lambda function each. */
export const DIALECTS = {
  loginradius: {
    entry: 'functions/loginradius.ts',
    title: 'LoginRadius multipurpose SMS OTP (seed 000)',
  },
  'app-otp': {
    entry: 'functions/app-otp.ts',
    title: 'App register / verify / resend (seed 001)',
  },
  'capillary-auth': {
    entry: 'functions/capillary-auth.ts',
    title: 'Capillary auth engine sessions (seed 002)',
  },
  summitai: {
    entry: 'functions/summitai.ts',
    title: 'SummitAI ADM service dispatch (seed 003)',
  },
  'capillary-v2': {
    entry: 'functions/capillary-v2.ts',
    title: 'Capillary v2 multi-channel OTP (seed 004)',
  },
  'twilio-verify': {
    entry: 'functions/twilio-verify.ts',
    title: 'Twilio Verify v2 (Services, Verifications, VerificationCheck)',
  },
} as const;

export type DialectId = keyof typeof DIALECTS;
export type HttpMethod = 'GET' | 'POST' | 'PUT';

export interface RouteDef {
  dialect: DialectId;
  method: HttpMethod;
  /** API Gateway resource path, e.g. `/v2/otp/generate` or `/a/{b}`. */
  path: string;
  /** Unique, stable name: the handler map key and the OpenAPI operationId. */
  operationId: string;
  summary: string;
  /** Generate endpoints accept an `Idempotency-Key` header and send nothing twice. */
  sends?: boolean;
  /**
   * Called from browsers (Capillary's web app routes): the function answers the CORS preflight
   * and sets `Access-Control-Allow-Origin` for the origins the tenant lists (`cors.allowedOrigins`).
   */
  browser?: boolean;
}

const v1Auth = (prefix: string, variant: string, extra: Pick<RouteDef, 'browser'> = {}): RouteDef[] =>
  v1AuthRoutes(prefix, variant).map((route) => ({ ...route, ...extra }));

const v1AuthRoutes = (prefix: string, variant: string): RouteDef[] => [
  {
    dialect: 'capillary-auth',
    method: 'POST',
    path: `${prefix}/token/generate`,
    operationId: `capillaryAuth${variant}TokenGenerate`,
    summary: `Create a session bound to identifier, device and brand (${variant.toLowerCase()})`,
  },
  {
    dialect: 'capillary-auth',
    method: 'POST',
    path: `${prefix}/token/regenerate`,
    operationId: `capillaryAuth${variant}TokenRegenerate`,
    summary: `Exchange a refresh key for a new access token (${variant.toLowerCase()})`,
  },
  {
    dialect: 'capillary-auth',
    method: 'POST',
    path: `${prefix}/otp/generate`,
    operationId: `capillaryAuth${variant}OtpGenerate`,
    summary: `Send an OTP for a session (${variant.toLowerCase()})`,
    sends: true,
  },
  {
    dialect: 'capillary-auth',
    method: 'POST',
    path: `${prefix}/otp/validate`,
    operationId: `capillaryAuth${variant}OtpValidate`,
    summary: `Validate the OTP of a session and issue an access token (${variant.toLowerCase()})`,
  },
];

/** Twilio Verify v2 (docs/dialects/twilio-verify.md); one path parameter name per level, as API Gateway requires. */
const TWILIO_VERIFY_ROUTES: RouteDef[] = [
  ['POST', '/v2/Services', 'twilioCreateService', 'Create a verification Service'],
  ['GET', '/v2/Services', 'twilioListServices', 'List the Services of the account'],
  ['GET', '/v2/Services/{ServiceSid}', 'twilioFetchService', 'Fetch a Service'],
  [
    'POST',
    '/v2/Services/{ServiceSid}/Verifications',
    'twilioCreateVerification',
    'Send a code (the pending verification of the same To re-sends the same code)',
  ],
  [
    'GET',
    '/v2/Services/{ServiceSid}/Verifications/{Sid}',
    'twilioFetchVerification',
    'Fetch a pending verification by sid or To',
  ],
  [
    'POST',
    '/v2/Services/{ServiceSid}/Verifications/{Sid}',
    'twilioUpdateVerification',
    'Cancel or approve a pending verification',
  ],
  ['POST', '/v2/Services/{ServiceSid}/VerificationCheck', 'twilioCreateVerificationCheck', 'Check a code'],
].map(([method, path, operationId, summary]) => ({
  dialect: 'twilio-verify',
  method: method as HttpMethod,
  path: path as string,
  operationId: operationId as string,
  summary: summary as string,
  ...(operationId === 'twilioCreateVerification' && { sends: true }),
}));

export const ROUTES: readonly RouteDef[] = [
  {
    dialect: 'capillary-v2',
    method: 'POST',
    path: '/v2/otp/generate',
    operationId: 'capillaryV2Generate',
    summary: 'Send one code to every requested channel',
    sends: true,
  },
  {
    dialect: 'capillary-v2',
    method: 'POST',
    path: '/v2/otp/validate',
    operationId: 'capillaryV2Validate',
    summary: 'Check and consume a code',
  },
  {
    dialect: 'loginradius',
    method: 'POST',
    path: '/identity/v2/manage/account/smsotp/{smsotptype}',
    operationId: 'loginRadiusSmsOtpGenerate',
    summary: 'Send an SMS OTP for one of the multipurpose OTP types',
    sends: true,
  },
  {
    dialect: 'loginradius',
    method: 'PUT',
    path: '/identity/v2/manage/account/smsotp/{smsotptype}/verify',
    operationId: 'loginRadiusSmsOtpVerify',
    summary: 'Verify an SMS OTP (this project’s extension of the LoginRadius API)',
  },
  {
    dialect: 'app-otp',
    method: 'POST',
    path: '/fe/users/auth/otp/register',
    operationId: 'appOtpRegister',
    summary: 'Send an OTP to a phone number for the JWT’s user',
    sends: true,
  },
  {
    dialect: 'app-otp',
    method: 'POST',
    path: '/fe/users/auth/otp/verify',
    operationId: 'appOtpVerify',
    summary: 'Verify the OTP with its authCode',
  },
  {
    dialect: 'app-otp',
    method: 'POST',
    path: '/fe/users/auth/otp/resend',
    operationId: 'appOtpResend',
    summary: 'Re-send the live OTP (same code and authCode within expiry)',
    sends: true,
  },
  ...v1Auth('/auth/v1', 'Mobile'),
  ...v1Auth('/auth/v1/web', 'Web', { browser: true }),
  {
    dialect: 'summitai',
    method: 'POST',
    path: '/adm/service',
    operationId: 'summitAiService',
    summary: 'ADM_GenerateOTP / ADM_ValidateOTP service dispatch',
    sends: true,
  },
  ...TWILIO_VERIFY_ROUTES,
];

/** The routes served by one dialect's function. */
export const routesFor = (dialect: DialectId): RouteDef[] => ROUTES.filter((r) => r.dialect === dialect);

/**
 * The first path segment each dialect owns (`/v2`, `/identity`, `/fe`, `/auth`, `/adm`): the
 * stack sends any other path or method under it to the dialect's function (a `{proxy+}` catch-all
 * and an `ANY` method on every route), so unknown routes and wrong methods answer in the
 * dialect's own shape, not API Gateway's. Derived from the route table; a segment two dialects
 * share gets no catch-all (its unknown paths get the gateway's own answer).
 */
export const DIALECT_PREFIXES: ReadonlyMap<string, DialectId> = (() => {
  // The shortest prefix (one path segment, else two) that only one dialect's routes start with:
  // `/v2` is shared by Capillary v2 (`/v2/otp/…`) and Twilio Verify (`/v2/Services/…`), so each
  // gets its two-segment prefix.
  const prefixOf = (path: string, segments: number) =>
    `/${path
      .split('/')
      .slice(1, segments + 1)
      .join('/')}`;
  const ownersAt = (segments: number) => {
    const owners = new Map<string, Set<DialectId>>();
    for (const route of ROUTES) {
      const prefix = prefixOf(route.path, segments);
      owners.set(prefix, (owners.get(prefix) ?? new Set()).add(route.dialect));
    }
    return owners;
  };
  const one = ownersAt(1);
  const two = ownersAt(2);
  const prefixes = new Map<string, DialectId>();
  for (const route of ROUTES) {
    const short = prefixOf(route.path, 1);
    const long = prefixOf(route.path, 2);
    if (one.get(short)?.size === 1) prefixes.set(short, route.dialect);
    else if (two.get(long)?.size === 1 && long.split('/').length === 3 && !long.includes('{'))
      prefixes.set(long, route.dialect);
  }
  return prefixes;
})();

/** The catch-all resource of a prefix, as API Gateway names it in `event.resource`. */
export const catchAllResource = (prefix: string): string => `${prefix}/{proxy+}`;
