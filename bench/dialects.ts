import type { APIGatewayProxyEvent } from 'aws-lambda';
import { SignJWT } from 'jose';
import type { AppDeps } from '../shared/app-deps';
import { apiKeyCredentialId } from '../shared/dialects/summitai/credentials';
import { accountSidOf } from '../shared/dialects/twilio-verify/sids';
import type { LambdaHandler } from '../shared/http/types';
import type { DialectId } from '../shared/routes';
import { putBrandPointer } from '../shared/store/capillary-auth-sessions';
import { TwilioServices } from '../shared/store/twilio-services';
import type { Tenant } from '../shared/tenants';
import { apiEvent } from '../test/support/app-harness';

/**
 * How the benchmark drives one dialect: one "flow" is a generate (send a code) then a verify
 * (check it), through the dialect's own Lambda handler with the dialect's own request shapes.
 * Flow `i` goes to destination `i`, so daily limits never trigger on distinct destinations.
 */
export interface DialectDriver {
  /** Tenant fields the dialect needs (JWT issuer, brands, SummitAI channels). */
  tenantPatch: Partial<Tenant>;
  /** Writes the dialect's credentials (and contacts) for `tenantId`. */
  seed: (deps: AppDeps, tenantId: string) => Promise<void>;
  /** Where flow `i`'s code is sent (E.164): the recording sender is read there. */
  destination: (i: number) => string;
  /** Untimed set-up of a flow (the auth engine's session); its result is passed on. */
  prepare?: (call: Call, i: number) => Promise<FlowState>;
  generate: (i: number, state: FlowState) => APIGatewayProxyEvent;
  /** The verify of flow `i`, given the generate's answer and the code the user received. */
  verify: (i: number, state: FlowState, generated: Answer, code: string) => APIGatewayProxyEvent;
  /** True when an answer is the dialect's success (some dialects answer errors with 200). */
  ok: (answer: Answer) => boolean;
}

export type FlowState = Record<string, string>;
export interface Answer {
  status: number;
  body: Record<string, unknown>;
}
export type Call = (event: APIGatewayProxyEvent) => Promise<Answer>;

/** Calls a handler and parses its JSON body. */
export const caller =
  (handler: LambdaHandler): Call =>
  async (event) => {
    const result = await handler(event, LAMBDA_CONTEXT);
    return { status: result.statusCode, body: JSON.parse(result.body) as Record<string, unknown> };
  };

export const LAMBDA_CONTEXT = {
  awsRequestId: 'bench',
  functionName: 'otp-bench',
  getRemainingTimeInMillis: () => 10_000,
} as never;

/**
 * The `i`-th destination of a range: `+9198<8 digits>`, all valid Indian mobiles (checked with
 * libphonenumber-js/max). `base` keeps the ranges of different measurements apart.
 */
export const benchPhone = (base: number, i: number): string => `+9198${String(base + i).padStart(8, '0')}`;

const statusOk = (a: Answer) => a.status === 200;

const BASIC = { clientId: 'bench-client', secret: 'bench-secret-0123456789abcdef0123456789' };
const basicHeader = `Basic ${Buffer.from(`${BASIC.clientId}:${BASIC.secret}`).toString('base64')}`;

/** Seed 004: HTTP Basic, SMS to the entity's mobile. */
const capillaryV2 = (base: number): DialectDriver => ({
  tenantPatch: {},
  seed: (deps, tenantId) => deps.tenants.putCredential('v2-basic', BASIC.clientId, tenantId, BASIC.secret),
  destination: (i) => benchPhone(base, i),
  generate: (i) =>
    apiEvent('POST', '/v2/otp/generate', {
      body: { entityType: 'MOBILE', entityValue: benchPhone(base, i), action: 'REGISTRATION' },
      headers: { authorization: basicHeader },
    }),
  verify: (i, _state, _generated, code) =>
    apiEvent('POST', '/v2/otp/validate', {
      body: { entityType: 'MOBILE', entityValue: benchPhone(base, i), action: 'REGISTRATION', code },
      headers: { authorization: basicHeader },
    }),
  ok: (a) => statusOk(a) && a.body.entity !== false,
});

const LR = { apikey: 'bench-lr-apikey', apisecret: 'bench-lr-apisecret-0123456789abcdef' };
const LR_PATH = '/identity/v2/manage/account/smsotp/phoneverification';

/** Seed 000: apikey / apisecret in the query, JSON body. */
const loginRadius = (base: number): DialectDriver => ({
  tenantPatch: {},
  seed: (deps, tenantId) =>
    deps.tenants.putCredential('loginradius-apikey', LR.apikey, tenantId, LR.apisecret),
  destination: (i) => benchPhone(base, i),
  generate: (i) => apiEvent('POST', LR_PATH, { body: { Phone: benchPhone(base, i) }, query: LR }),
  verify: (i, _state, _generated, code) =>
    apiEvent('PUT', `${LR_PATH}/verify`, { body: { Phone: benchPhone(base, i), Otp: code }, query: LR }),
  ok: statusOk,
});

const JWT = {
  issuer: 'https://id.bench.invalid',
  audience: 'otp-bench',
  secret: 'bench-hs256-secret-0123456789abcdef',
};

/** Seed 001: a `user-jwt-token` (HS256 from the tenant's issuer), national number + dialling code. */
const appOtp = (base: number): DialectDriver => {
  let token: string | undefined;
  const headers = () => {
    if (!token) throw new Error('app-otp driver used before seed()');
    return { 'user-jwt-token': token };
  };
  const national = (i: number) => benchPhone(base, i).slice(3);
  return {
    // A day (the most a tenant may allow) rather than the default hour, so a long bench run
    // keeps one token; the token is issued on the deps clock, which the verifier reads.
    tenantPatch: {
      jwt: {
        issuer: JWT.issuer,
        audience: JWT.audience,
        hs256Secret: JWT.secret,
        maxTokenAgeSeconds: 86_400,
      },
    },
    seed: async (deps) => {
      const iat = Math.floor(deps.now() / 1000);
      token = await new SignJWT({ sub: 'bench-user' })
        .setProtectedHeader({ alg: 'HS256' })
        .setIssuer(JWT.issuer)
        .setAudience(JWT.audience)
        .setIssuedAt(iat)
        .setExpirationTime(iat + 86_400)
        .sign(new TextEncoder().encode(JWT.secret));
    },
    destination: (i) => benchPhone(base, i),
    generate: (i) =>
      apiEvent('POST', '/fe/users/auth/otp/register', {
        body: { phone_number: national(i), countryCode: '+91' },
        headers: headers(),
      }),
    verify: (i, _state, generated, code) =>
      apiEvent('POST', '/fe/users/auth/otp/verify', {
        body: { phone_number: national(i), countryCode: '+91', authCode: generated.body.authCode, otp: code },
        headers: headers(),
      }),
    ok: statusOk,
  };
};

/**
 * SummitAI users of the benchmark: by default a pool of 64, which flows reuse; a measurement of
 * `flows` flows gets one user (and one phone) per flow, so every generate looks its user up past the
 * 60 s contact cache (a user rarely asks for two codes a minute) and no per-recipient limit trips.
 */
const SUMMIT_USERS = 64;
const SUMMIT = { orgId: '1', apiKey: 'bench-summitai-apikey-0123456789abcdef' };
const summitProxy = { AuthType: 'APIKey', APIKey: SUMMIT.apiKey, OrgID: SUMMIT.orgId, ReturnType: 'JSON' };

/** Seed 003: APIKey auth in the body, the code goes to the user's phone from the contact directory. */
const summitAi = (base: number, flows?: number): DialectDriver => {
  const users = flows ?? SUMMIT_USERS;
  const user = (i: number) => String(1000 + (i % users));
  // Far apart, so the default pool's users fall into different number prefixes (the velocity
  // counters); a larger pool spreads over 60 million numbers above `base`.
  const spacing = users <= SUMMIT_USERS ? 1_000_000 : Math.floor(60_000_000 / users);
  const phone = (i: number) => benchPhone(base, (i % users) * spacing);
  return {
    tenantPatch: { summitAiChannels: 'SMS' },
    seed: async (deps, tenantId) => {
      await deps.tenants.putCredential(
        'summitai-apikey',
        apiKeyCredentialId(SUMMIT.orgId, SUMMIT.apiKey),
        tenantId,
        SUMMIT.apiKey,
      );
      for (let i = 0; i < users; i++) {
        await deps.tenants.putContact(tenantId, { userId: user(i), phone: phone(i) });
      }
    },
    destination: phone,
    generate: (i) =>
      apiEvent('POST', '/adm/service', {
        body: {
          ServiceName: 'ADM_GenerateOTP',
          objCommonParameters: { _ProxyDetails: summitProxy, objUserInformation: { LoginUID: user(i) } },
        },
      }),
    verify: (i, _state, generated, code) => {
      const out = generated.body.OutputObject as { OTP_Communication?: Array<{ TransactionID?: string }> };
      return apiEvent('POST', '/adm/service', {
        body: {
          ServiceName: 'ADM_ValidateOTP',
          objCommonParameters: {
            _ProxyDetails: summitProxy,
            objUserInformation: {
              OTP_Text: code,
              TransactionID: out?.OTP_Communication?.[0]?.TransactionID ?? '',
              LoginUID: user(i),
            },
          },
        },
      });
    },
    ok: (a) => statusOk(a) && a.body.Errors === '',
  };
};

const BRAND = 'BENCHBRAND';

/** Seed 002 (mobile): a session from token/generate (untimed), then otp/generate and otp/validate. */
const capillaryAuth = (base: number): DialectDriver => {
  const body = (i: number, extra: Record<string, string> = {}) => ({
    identifierType: 'MOBILE',
    identifierValue: benchPhone(base, i),
    deviceId: 'bench-device',
    brand: BRAND,
    ...extra,
  });
  const success = (a: Answer) => statusOk(a) && (a.body.status as { success?: boolean })?.success === true;
  return {
    tenantPatch: { brands: { [BRAND]: {} } },
    seed: (deps, tenantId) => putBrandPointer(deps, BRAND, tenantId),
    destination: (i) => benchPhone(base, i),
    prepare: async (call, i) => {
      const answer = await call(apiEvent('POST', '/auth/v1/token/generate', { body: body(i) }));
      const sessionId = (answer.body.user as { sessionId?: string } | undefined)?.sessionId;
      if (!success(answer) || !sessionId) throw new Error(`token/generate answered ${answer.status}`);
      return { sessionId };
    },
    generate: (i, state) => apiEvent('POST', '/auth/v1/otp/generate', { body: body(i, state) }),
    verify: (i, state, _generated, code) =>
      apiEvent('POST', '/auth/v1/otp/validate', { body: body(i, { ...state, otp: code }) }),
    ok: success,
  };
};

const TW = {
  token: 'bench0123456789abcdef0123456789ab',
  service: `VA${'0'.repeat(28)}be4c`,
};

/** Twilio Verify v2: HTTP Basic with the account SID and auth token, form bodies, check by To. */
const twilioVerify = (base: number): DialectDriver => {
  let auth = '';
  const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
  const event = (path: string, fields: Record<string, string>) =>
    apiEvent('POST', `/v2/Services/${TW.service}${path}`, {
      body: form(fields),
      headers: { authorization: auth, 'content-type': 'application/x-www-form-urlencoded' },
    });
  return {
    tenantPatch: {},
    seed: async (deps, tenantId) => {
      const account = accountSidOf(tenantId);
      auth = `Basic ${Buffer.from(`${account}:${TW.token}`).toString('base64')}`;
      await deps.tenants.putCredential('twilio-account', account, tenantId, TW.token);
      await new TwilioServices(deps.ddb, deps.tableName).save({
        sid: TW.service,
        tenantId,
        friendlyName: 'Bench',
        codeLength: 6,
        customCodeEnabled: false,
        doNotShareWarningEnabled: false,
        dateCreated: 0,
        dateUpdated: 0,
      });
    },
    destination: (i) => benchPhone(base, i),
    generate: (i) => event('/Verifications', { To: benchPhone(base, i), Channel: 'sms' }),
    verify: (i, _state, _generated, code) =>
      event('/VerificationCheck', { To: benchPhone(base, i), Code: code }),
    // A create answers 201 `pending`; a check 200 `approved` (a wrong code: 200 `pending`).
    ok: (a) =>
      (a.status === 201 && a.body.status === 'pending') || (a.status === 200 && a.body.status === 'approved'),
  };
};

/**
 * A driver per dialect; `base` picks the destination range (distinct per measurement), `flows`
 * (optional) how many distinct flows the measurement runs.
 */
export const DRIVERS: Record<DialectId, (base: number, flows?: number) => DialectDriver> = {
  'capillary-v2': capillaryV2,
  loginradius: loginRadius,
  'app-otp': appOtp,
  summitai: summitAi,
  'capillary-auth': capillaryAuth,
  'twilio-verify': twilioVerify,
};
