import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { z } from 'zod';
import { createHandler as appOtpHandler } from '../../functions/app-otp';
import { createHandler as capillaryAuthHandler } from '../../functions/capillary-auth';
import { createHandler as capillaryV2Handler } from '../../functions/capillary-v2';
import { createHandler as loginRadiusHandler } from '../../functions/loginradius';
import { createHandler as summitAiHandler } from '../../functions/summitai';
import { createHandler as twilioVerifyHandler } from '../../functions/twilio-verify';
import { demoUserToken } from '../../local/demo/app-otp';
import { DEMO_AUTH } from '../../local/demo/capillary-auth';
import { LOGINRADIUS_DEMO } from '../../local/demo/loginradius';
import { SEED_GENERATE, validateBody } from '../../local/demo/summitai';
import { TWILIO_DEMO } from '../../local/demo/twilio-verify';
import { DEMO, seedDemoTenant } from '../../local/demo-tenant';
import type { AppDeps } from '../../shared/app-deps';
import { APP_OTP_ERRORS } from '../../shared/dialects/app-otp/errors';
import { signPayload } from '../../shared/dialects/capillary-auth/payload-hash';
import { operationSchemas } from '../../shared/dialects/schemas';
import type { LambdaHandler } from '../../shared/http/types';
import { type DialectId, ROUTES, type RouteDef } from '../../shared/routes';
import { TenantDirectory } from '../../shared/tenant-directory';
import { gatewayRouting } from './app-harness';
import { engineHarness, scanItems, testDirectoryOptions } from './harness';
import { TWILIO_BASIC } from './twilio';

/** Security headers the plumbing promises on every answer, errors included. */
export const SECURITY_HEADERS = {
  'content-type': 'application/json; charset=utf-8',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
} as const;

/**
 * Each dialect's error body, strict: no extra keys, so an error that echoed the input or an
 * internal detail in a new field would fail. Written from each dialect's errors.ts and docs.
 */
export const ERROR_SHAPES: Record<DialectId, z.ZodType> = {
  'capillary-v2': z.strictObject({
    entity: z.literal(false).optional(),
    errors: z.array(z.strictObject({ code: z.number().int(), message: z.string().min(1) })).length(1),
    warnings: z.array(z.never()),
  }),
  loginradius: z.strictObject({
    Description: z.string().min(1),
    ErrorCode: z.number().int(),
    Message: z.string().min(1),
    IsProviderError: z.boolean(),
    ProviderErrorResponse: z.string().nullable(),
  }),
  'app-otp': z.strictObject({
    message: z.enum(Object.values(APP_OTP_ERRORS) as [string, ...string[]]),
  }),
  'capillary-auth': z.strictObject({
    status: z.strictObject({
      success: z.literal(false),
      code: z
        .number()
        .int()
        .refine((c) => c !== 200),
      message: z.string().min(1),
    }),
  }),
  summitai: z.strictObject({
    Errors: z.string().min(1),
    Message: z.literal(''),
    Output: z.literal(''),
    TokenID: z.literal(''),
    OrgID: z.literal(0),
    OutputObject: z.null(),
    OutputID: z.literal(0),
    Input: z.null(),
  }),
  'twilio-verify': z.strictObject({
    code: z.number().int().min(20000),
    message: z.string().min(1),
    more_info: z.string().startsWith('https://www.twilio.com/docs/errors/'),
    status: z.number().int().min(400),
  }),
};

/**
 * The answer each dialect gives a wrong code that was counted against a live challenge: the one
 * refusal that legitimately writes (the attempt and the destination's daily failure).
 */
export const isWrongCodeAnswer = (dialect: DialectId, status: number, body: unknown): boolean => {
  const b = body as Record<string, unknown>;
  switch (dialect) {
    case 'app-otp':
      return status === 400 && b.message === 'INVALID_OTP';
    case 'capillary-v2': {
      const first = (b.errors as Array<{ code: number; message: string }> | undefined)?.[0];
      return status === 400 && first?.code === 605 && first.message === 'Invalid OTP';
    }
    case 'loginradius':
      return status === 403 && b.ErrorCode === 1067 && String(b.Description).includes('incorrect');
    case 'summitai':
      return status === 400 && b.Errors === 'Invalid OTP';
    case 'capillary-auth':
      return status === 400 && (b.status as { code?: number } | undefined)?.code === 1506;
    case 'twilio-verify':
      // Twilio answers a wrong code as a check that stays pending, not as an error.
      return status === 200 && b.status === 'pending' && b.valid === false;
  }
};

/** A table's items by `pk|sk`, each as canonical JSON (for before/after comparisons). */
export type TableSnapshot = Map<string, Record<string, unknown>>;

export const snapshotTable = async (deps: AppDeps): Promise<TableSnapshot> =>
  new Map((await scanItems(deps.ddb, deps.tableName)).map((item) => [`${item.pk}|${item.sk}`, item]));

export interface TableDiff {
  added: Array<Record<string, unknown>>;
  removed: Array<Record<string, unknown>>;
  changed: Array<{ before: Record<string, unknown>; after: Record<string, unknown> }>;
}

/** What changed between two snapshots. */
export const diffTables = (before: TableSnapshot, after: TableSnapshot): TableDiff => {
  const diff: TableDiff = { added: [], removed: [], changed: [] };
  for (const [key, item] of after) {
    const old = before.get(key);
    if (!old) diff.added.push(item);
    else if (JSON.stringify(old) !== JSON.stringify(item)) diff.changed.push({ before: old, after: item });
  }
  for (const [key, item] of before) if (!after.has(key)) diff.removed.push(item);
  return diff;
};

export const isEmptyDiff = (d: TableDiff): boolean =>
  d.added.length + d.removed.length + d.changed.length === 0;

/** The attributes whose values differ between two versions of an item. */
const changedAttributes = (a: Record<string, unknown>, b: Record<string, unknown>): string[] =>
  [...new Set([...Object.keys(a), ...Object.keys(b)])].filter(
    (k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]),
  );

/**
 * True when a diff is exactly one counted wrong attempt: the challenge's `attempts` up by one and,
 * on the day item of every recipient the code went to (and no other item), `failures` up by one
 * (and `anonFailures` with it for an anonymous caller), or the day item created so.
 */
export const isCountedAttempt = (d: TableDiff): boolean => {
  if (d.removed.length > 0) return false;
  const challenge = d.changed.filter((c) => String(c.after.sk).startsWith('CH#'));
  const [ch] = challenge;
  if (!ch || challenge.length !== 1) return false;
  const chOk =
    changedAttributes(ch.before, ch.after).join() === 'attempts' &&
    Number(ch.after.attempts) === Number(ch.before.attempts) + 1;
  const recipients =
    ch.after.recipients instanceof Set ? (ch.after.recipients as Set<string>) : new Set<string>();
  const days = [
    ...d.added.map((after) => ({ before: {} as Record<string, unknown>, after })),
    ...d.changed.filter((c) => c !== ch),
  ];
  const dayOk = ({ before, after }: { before: Record<string, unknown>; after: Record<string, unknown> }) => {
    const changed = changedAttributes(before, after).filter((k) => !['pk', 'sk', 'ttl'].includes(k));
    return (
      recipients.has(String(after.pk)) &&
      String(after.sk).startsWith('DAY#') &&
      (changed.join() === 'failures' || changed.sort().join() === 'anonFailures,failures') &&
      changed.every((k) => Number(after[k]) === Number(before[k] ?? 0) + 1)
    );
  };
  return chOk && days.length === recipients.size && days.every(dayOk);
};

/** Every dialect's Lambda handler, built on one set of deps (as each Lambda would be). */
export const dialectHandlers = (deps: AppDeps): Record<DialectId, LambdaHandler> => ({
  'capillary-v2': capillaryV2Handler(deps),
  loginradius: loginRadiusHandler(deps),
  'app-otp': appOtpHandler(deps),
  'capillary-auth': capillaryAuthHandler(deps),
  summitai: summitAiHandler(deps),
  'twilio-verify': twilioVerifyHandler(deps),
});

/** The service's token signing key in these tests. */
export const SIGNING_KEY = Buffer.from('security-test-signing-key-0123456789abcdef');

/**
 * DynamoDB Local with a fresh table, the demo tenant with every dialect's demo credentials, the
 * capturing logger as the AppDeps logger, recording senders, and the five handlers.
 */
export const securityHarness = async (options: { tenantCacheSeconds?: number } = {}) => {
  const h = await engineHarness();
  const tenants = new TenantDirectory(
    h.ddb,
    h.tableName,
    testDirectoryOptions(options.tenantCacheSeconds ?? 60),
  );
  const tenant = await seedDemoTenant(tenants);
  const deps: AppDeps = { ...h.deps, tenants, signingKey: async () => SIGNING_KEY };
  const handlers = dialectHandlers(deps);
  return { ...h, deps, tenants, tenant, handlers };
};
export type SecurityHarness = Awaited<ReturnType<typeof securityHarness>>;

/** The demo credentials, per dialect, as the request parts that carry them. */
export const DEMO_AUTH_PARTS = {
  basic: `Basic ${Buffer.from(`${DEMO.basic.clientId}:${DEMO.basic.secret}`).toString('base64')}`,
  lrQuery: { apikey: LOGINRADIUS_DEMO.apikey, apisecret: LOGINRADIUS_DEMO.apisecret },
} as const;

/** Options of one raw request; `body` is sent as given (a string) or JSON-encoded. */
export interface RawRequest {
  method: string;
  path: string;
  body?: string | null;
  headers?: Record<string, string>;
  query?: Record<string, string> | null;
  isBase64Encoded?: boolean;
}

const context = { awsRequestId: 'security', getRemainingTimeInMillis: () => 10_000 } as unknown as Context;

/** A REST (v1) proxy event exactly as given: no default headers, so content types can be left out. */
export const rawEvent = (r: RawRequest): APIGatewayProxyEvent => ({
  httpMethod: r.method,
  path: r.path,
  ...gatewayRouting(r.method, r.path),
  body: r.body ?? null,
  headers: r.headers ?? {},
  multiValueHeaders: {},
  queryStringParameters: r.query ?? null,
  multiValueQueryStringParameters: null,
  stageVariables: null,
  isBase64Encoded: r.isBase64Encoded ?? false,
  requestContext: { requestId: 'security', identity: { sourceIp: '127.0.0.1' } } as never,
});

/** Runs a handler; a thrown error is returned, not raised, so properties can assert on it. */
export const runRaw = async (
  handler: LambdaHandler,
  event: APIGatewayProxyEvent,
): Promise<{ result?: APIGatewayProxyResult; thrown?: unknown }> => {
  try {
    return { result: await handler(event, context) };
  } catch (thrown) {
    return { thrown };
  }
};

export type DialectAnswer = { status: number; body: Record<string, unknown> };

/** One JSON request to a dialect's handler with the demo credentials; the answer parsed. */
export const callDialect = async (
  h: { handlers: Record<DialectId, LambdaHandler>; clock: { now: () => number } },
  dialect: DialectId,
  method: string,
  path: string,
  body: unknown,
  extra: Partial<RawRequest> = {},
): Promise<DialectAnswer & { headers: APIGatewayProxyResult['headers']; text: string }> => {
  const auth = authParts(dialect, h.clock.now());
  const { result, thrown } = await runRaw(
    h.handlers[dialect],
    rawEvent({
      method,
      path,
      body: JSON.stringify(body),
      headers: { 'content-type': 'application/json', ...auth.headers, ...extra.headers },
      query: auth.query || extra.query ? { ...auth.query, ...extra.query } : null,
    }),
  );
  if (!result) throw new Error(`handler threw ${String(thrown)}`);
  return {
    status: result.statusCode,
    headers: result.headers,
    text: result.body,
    body: JSON.parse(result.body) as Record<string, unknown>,
  };
};

/** A concrete path for a route (`{smsotptype}` → a valid type, Twilio's → the demo Service and a To). */
export const concretePath = (route: RouteDef, smsOtpType = 'forgotpassword'): string =>
  route.path
    .replace('{smsotptype}', smsOtpType)
    .replace('{ServiceSid}', TWILIO_DEMO.serviceSid)
    .replace('{Sid}', encodeURIComponent(TWILIO_TO));

/** The number the Twilio seed bodies verify. */
export const TWILIO_TO = '+919876543217';

/** The credentials a valid request of this dialect carries outside the body. */
export const authParts = (dialect: DialectId, nowMs: number): Pick<RawRequest, 'headers' | 'query'> => {
  switch (dialect) {
    case 'capillary-v2':
      return { headers: { authorization: DEMO_AUTH_PARTS.basic } };
    case 'twilio-verify':
      return { headers: { authorization: TWILIO_BASIC } };
    case 'loginradius':
      return { query: { ...DEMO_AUTH_PARTS.lrQuery } };
    case 'app-otp':
      // Minted at the harness clock's time: the verifier reads that clock.
      return { headers: { 'user-jwt-token': demoUserToken(nowMs) } };
    default:
      return {};
  }
};

/** Live ids a seed body may point at (capillary-auth sessions, refresh key, web token). */
export interface LiveIds {
  mobileSessionId: string;
  webSessionId: string;
  refreshKey: string;
  webToken: string;
}

const AE = { brand: DEMO_AUTH.brand, identifierType: 'MOBILE', identifierValue: '9940000000' };
const AE_MOBILE = { ...AE, deviceId: '32rtsdered' };

/**
 * A valid example body for every operation (the seeds' examples with the demo credentials), so
 * a mutation of one field tests that field and not an earlier refusal.
 */
export const seedBodies = (ids: LiveIds): Record<string, Record<string, unknown>> => ({
  capillaryV2Generate: {
    entityType: 'MOBILE',
    entityValue: '911234567896',
    action: 'POINTSTRANSFER',
    template: 'Hi user.Your OTP for validation is {{ validation_code }}.Enjoy',
    emailTemplate: { subject: 'Validation Code', body: 'Code: {{ validation_code }}' },
    channels: [
      { type: 'SMS', value: '911234567896' },
      { type: 'EMAIL', value: 'tomsawyer@gmail.com' },
    ],
  },
  capillaryV2Validate: {
    entityType: 'MOBILE',
    entityValue: '911234567896',
    action: 'POINTSTRANSFER',
    code: '123456',
  },
  loginRadiusSmsOtpGenerate: { Phone: '+919876543210', Uid: 'demo-uid-1' },
  loginRadiusSmsOtpVerify: { Phone: '+919876543210', Otp: '123456' },
  appOtpRegister: { phone_number: '9876543219', countryCode: '+91' },
  appOtpResend: { phone_number: '9876543219', countryCode: '+91' },
  appOtpVerify: { phone_number: '9876543219', countryCode: '+91', authCode: '1234', otp: '123456' },
  capillaryAuthMobileTokenGenerate: { ...AE_MOBILE },
  capillaryAuthMobileTokenRegenerate: { ...AE_MOBILE, key: ids.refreshKey },
  capillaryAuthMobileOtpGenerate: { ...AE_MOBILE, sessionId: ids.mobileSessionId },
  capillaryAuthMobileOtpValidate: { ...AE_MOBILE, sessionId: ids.mobileSessionId, otp: '123456' },
  capillaryAuthWebTokenGenerate: { ...AE },
  capillaryAuthWebTokenRegenerate: { ...AE, expiredToken: ids.webToken },
  capillaryAuthWebOtpGenerate: { ...AE, sessionId: ids.webSessionId },
  capillaryAuthWebOtpValidate: { ...AE, sessionId: ids.webSessionId, otp: '123456' },
  summitAiService: structuredClone(SEED_GENERATE) as Record<string, unknown>,
  summitAiValidate: validateBody('123456', '6f1c1f2e-0000-4000-8000-000000000000') as Record<string, unknown>,
  twilioCreateService: { FriendlyName: 'Fuzz', CodeLength: '6', CustomCodeEnabled: 'true' },
  twilioListServices: {},
  twilioFetchService: {},
  twilioCreateVerification: { To: TWILIO_TO, Channel: 'sms', CustomFriendlyName: 'Fuzz', Locale: 'en' },
  twilioFetchVerification: {},
  twilioUpdateVerification: { Status: 'canceled' },
  twilioCreateVerificationCheck: { To: TWILIO_TO, Code: '123456' },
});

/**
 * A capillary-auth body for the demo brand that signs payloads, with a valid `hash` for `now`
 * (the first use passes the check; a replay or any change to the body is 5004).
 */
export const signedSeed = (body: Record<string, unknown>, now: number): Record<string, unknown> => {
  const signed: Record<string, unknown> = { ...body, brand: DEMO_AUTH.signedBrand };
  delete signed.hash;
  return { ...signed, hash: signPayload(DEMO_AUTH.payloadSigningSecret, signed, Math.floor(now / 1000)) };
};

/** The seed bodies a route is fuzzed from (SummitAI's one route serves two services). */
export const seedBodiesFor = (route: RouteDef, ids: LiveIds): Array<Record<string, unknown>> => {
  const all = seedBodies(ids);
  const names =
    route.operationId === 'summitAiService' ? ['summitAiService', 'summitAiValidate'] : [route.operationId];
  return names.map((n) => {
    const body = all[n];
    if (!body) throw new Error(`no seed body for ${n}`);
    return body;
  });
};

/**
 * Runs one capillary-auth mobile and web flow to its end, so the seed bodies can name a live
 * session, a refresh key and a web token. Returns the ids and the codes it was sent.
 */
export const liveAuthEngineIds = async (h: SecurityHarness): Promise<LiveIds> => {
  const handler = h.handlers['capillary-auth'];
  const post = async (path: string, body: Record<string, unknown>) => {
    const { result } = await runRaw(
      handler,
      rawEvent({
        method: 'POST',
        path,
        body: JSON.stringify(body),
        headers: { 'content-type': 'application/json' },
      }),
    );
    if (result?.statusCode !== 200) throw new Error(`${path} answered ${result?.statusCode}`);
    return JSON.parse(result.body) as {
      user: { sessionId: string };
      auth: { token: string | null; key: string | null };
    };
  };
  const flow = async (prefix: string, body: Record<string, unknown>) => {
    const first = (await post(`${prefix}/token/generate`, body)).user.sessionId;
    await post(`${prefix}/otp/generate`, { ...body, sessionId: first });
    const code = h.sent.at(-1)?.code;
    const auth = (await post(`${prefix}/otp/validate`, { ...body, sessionId: first, otp: code })).auth;
    // A second session stays open for the fuzzer (the first was closed by the validation).
    const open = (await post(`${prefix}/token/generate`, body)).user.sessionId;
    return { auth, open };
  };
  const mobile = await flow('/auth/v1', AE_MOBILE);
  const web = await flow('/auth/v1/web', AE);
  return {
    mobileSessionId: mobile.open,
    webSessionId: web.open,
    refreshKey: String(mobile.auth.key),
    webToken: String(web.auth.token),
  };
};

/** The success body schema of an operation (SummitAI: either service's). */
export const successSchema = (operationId: string): z.ZodType | undefined =>
  operationSchemas()[operationId]?.response;

/** Every route of the route table, for `describe.each`. */
export const ALL_ROUTES: RouteDef[] = [...ROUTES];

/** Occurrences of a code as a whole number: not inside a longer run of digits (timestamps, ids). */
export const codePattern = (code: string): RegExp => new RegExp(`(?<![0-9])${code}(?![0-9])`);
