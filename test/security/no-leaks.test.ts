import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DEMO_AUTH } from '../../local/demo/capillary-auth';
import { SEED_GENERATE, SUMMITAI_DEMO, validateBody } from '../../local/demo/summitai';
import { TWILIO_DEMO } from '../../local/demo/twilio-verify';
import { maskDestination } from '../../shared/mask';
import type { DialectId } from '../../shared/routes';
import { TENANT_SK, tenantPk } from '../../shared/store/keys';
import { scanItems, wrongCodeFor } from '../support/harness';
import {
  callDialect,
  codePattern,
  type RawRequest,
  type SecurityHarness,
  securityHarness,
} from '../support/security';

/**
 * "No leaks": a full flow per dialect (generate → the code from the recording senders → a wrong
 * verify → the right one → a replay), then every answer (body and headers), every log line of
 * the capturing AppDeps logger and every table item are searched for each issued code, for
 * every phone number and e-mail address in clear, and for the demo tenant's secrets (its HS256
 * JWT secret, a brand's payload-signing secret and its Zalo token, which the flows use).
 */

interface Answer {
  dialect: DialectId;
  status: number;
  headers: string;
  body: string;
}

let h: SecurityHarness;
const answers: Answer[] = [];

beforeAll(async () => {
  h = await securityHarness();
});
afterAll(() => h.ddb.destroy());

/** Sends a request with the dialect's demo credentials and records the whole answer. */
const send = async (
  dialect: DialectId,
  method: string,
  path: string,
  body: unknown,
  extra: Partial<RawRequest> = {},
): Promise<{ status: number; body: Record<string, unknown>; raw: Answer }> => {
  const answer = await callDialect(h, dialect, method, path, body, extra);
  const raw = { dialect, status: answer.status, headers: JSON.stringify(answer.headers), body: answer.text };
  answers.push(raw);
  return { status: raw.status, body: answer.body, raw };
};

/** The code of the last message sent to `to`. */
const codeSentTo = (to: string): string => {
  const message = [...h.sent].reverse().find((m) => m.to === to);
  if (!message) throw new Error(`nothing was sent to ${to}`);
  return message.code;
};

/** Phone numbers and addresses the flows use: none may appear in clear in logs, answers or the table. */
const DESTINATIONS = {
  v2Entity: '+919986000581',
  v2Sms: '+919986000586',
  v2Email: 'leak.check@example.org',
  lr: '+919876543210',
  appOtp: '+919876543219',
  aeMobile: '+919940000000',
  aeEmail: 'ae.leak@example.com',
  aeUser: DEMO_AUTH.user.phone,
  summitPhone: SUMMITAI_DEMO.user.phone,
  summitEmail: SUMMITAI_DEMO.user.email,
};

const D = DESTINATIONS;

/** How a destination may be written in clear: a phone (all +91 here) as E.164, without the plus, and national. */
const clearForms = (value: string): string[] =>
  value.startsWith('+') ? [value, value.slice(1), value.slice(3)] : [value];

/** The demo tenant's secrets in clear (DESIGN §4: stored sealed, never in clear). */
const tenantSecrets = (): string[] => {
  const secrets = [
    h.tenant.jwt?.hs256Secret,
    h.tenant.brands[DEMO_AUTH.signedBrand]?.payloadSigningSecret,
    h.tenant.channels.zalo?.accessToken,
  ];
  // Not vacuous: the demo tenant carries all three.
  expect(secrets.every((s) => typeof s === 'string' && s.length > 0)).toBe(true);
  return secrets as string[];
};

/** Everything a leak could hide in: answers, log lines, table items (contacts aside: see below). */
const surfaces = async () => {
  const items = await scanItems(h.ddb, h.tableName);
  return {
    answers: answers.map((a) => `${a.status} ${a.headers} ${a.body}`),
    logs: [...h.logLines],
    // Contacts are the operator's directory of users (SummitAI, USERNAME): they hold a phone and
    // an e-mail address by design. Every other item names destinations only through HMACs.
    table: items.filter((i) => !String(i.sk).startsWith('CONTACT#')).map((i) => JSON.stringify(i)),
    // Tenant secrets may not appear in any item, contacts included.
    wholeTable: items.map((i) => JSON.stringify(i)),
  };
};

/** Asserts no issued code, no destination and no tenant secret in clear anywhere so far. */
const assertNoLeaks = async () => {
  const codes = [...new Set(h.sent.map((m) => m.code))];
  expect(codes.length).toBeGreaterThan(0);
  const { wholeTable, ...s } = await surfaces();
  for (const [surface, texts] of Object.entries({ ...s, table: wholeTable })) {
    for (const secret of tenantSecrets()) {
      const hit = texts.find((t) => t.includes(secret));
      expect({ surface, secret, hit }).toEqual({ surface, secret, hit: undefined });
    }
  }
  for (const [surface, texts] of Object.entries(s)) {
    for (const code of codes) {
      const hit = texts.find((t) => codePattern(code).test(t));
      expect({ surface, code, hit }).toEqual({ surface, code, hit: undefined });
    }
    for (const destination of Object.values(DESTINATIONS)) {
      for (const form of clearForms(destination)) {
        const hit = texts.find((t) => t.toLowerCase().includes(form.toLowerCase()));
        expect({ surface, form, hit }).toEqual({ surface, form, hit: undefined });
      }
    }
  }
};

describe('security', () => {
  describe('no leaks', () => {
    it('capillary-v2: generate, wrong, right and replayed validate leak no code or destination', async () => {
      const base = { entityType: 'MOBILE', entityValue: '919986000581', action: 'REGISTRATION' };
      const generated = await send('capillary-v2', 'POST', '/v2/otp/generate', {
        ...base,
        channels: [
          { type: 'SMS', value: '919986000586' },
          { type: 'EMAIL', value: 'Leak.Check@Example.org' },
        ],
      });
      expect(generated.status).toBe(200);
      const code = codeSentTo(DESTINATIONS.v2Sms);
      expect(codeSentTo(DESTINATIONS.v2Email)).toBe(code);
      const wrong = await send('capillary-v2', 'POST', '/v2/otp/validate', {
        ...base,
        code: wrongCodeFor(code),
      });
      expect(wrong.status).toBe(400);
      expect((await send('capillary-v2', 'POST', '/v2/otp/validate', { ...base, code })).body).toEqual({
        entity: true,
        warnings: [],
      });
      expect((await send('capillary-v2', 'POST', '/v2/otp/validate', { ...base, code })).status).toBe(400);
      await assertNoLeaks();
    });

    it('loginradius: generate, wrong, right and replayed verify leak no code or phone', async () => {
      const path = '/identity/v2/manage/account/smsotp/forgotpassword';
      expect((await send('loginradius', 'POST', path, { Phone: '9876543210' })).status).toBe(200);
      const code = codeSentTo(DESTINATIONS.lr);
      const body = (otp: string) => ({ Phone: '+919876543210', Otp: otp });
      expect((await send('loginradius', 'PUT', `${path}/verify`, body(wrongCodeFor(code)))).status).toBe(403);
      expect((await send('loginradius', 'PUT', `${path}/verify`, body(code))).body).toEqual({
        IsVerified: true,
      });
      expect((await send('loginradius', 'PUT', `${path}/verify`, body(code))).status).toBe(403);
      await assertNoLeaks();
    });

    it('app-otp: register, wrong, right and replayed verify leak no code, authCode pairing or phone', async () => {
      const phone = { phone_number: '9876543219', countryCode: '+91' };
      const registered = await send('app-otp', 'POST', '/fe/users/auth/otp/register', phone);
      expect(registered.status).toBe(200);
      const authCode = String(registered.body.authCode);
      const code = codeSentTo(DESTINATIONS.appOtp);
      const verify = (otp: string) =>
        send('app-otp', 'POST', '/fe/users/auth/otp/verify', { ...phone, authCode, otp });
      expect((await verify(wrongCodeFor(code))).body).toEqual({ message: 'INVALID_OTP' });
      expect((await verify(code)).status).toBe(200);
      expect((await verify(code)).body).toEqual({ message: 'OTP_NOT_FOUND' });
      await assertNoLeaks();
    });

    it.each([
      [
        'MOBILE',
        '/auth/v1',
        { identifierType: 'MOBILE', identifierValue: '9940000000', deviceId: 'dev-1' },
        DESTINATIONS.aeMobile,
      ],
      [
        'EMAIL',
        '/auth/v1/web',
        { identifierType: 'EMAIL', identifierValue: 'AE.Leak@Example.com' },
        DESTINATIONS.aeEmail,
      ],
      [
        'USERNAME',
        '/auth/v1',
        { identifierType: 'USERNAME', identifierValue: 'demo-user', deviceId: 'dev-2' },
        DESTINATIONS.aeUser,
      ],
    ] as const)(
      'capillary-auth %s: session, OTP, wrong, right and replayed validate leak no code or destination',
      async (_, prefix, identity, destination) => {
        const body = { ...identity, brand: DEMO_AUTH.brand };
        const created = await send('capillary-auth', 'POST', `${prefix}/token/generate`, body);
        const sessionId = (created.body.user as { sessionId: string }).sessionId;
        expect(
          (await send('capillary-auth', 'POST', `${prefix}/otp/generate`, { ...body, sessionId })).status,
        ).toBe(200);
        const code = codeSentTo(destination);
        const validate = (otp: string) =>
          send('capillary-auth', 'POST', `${prefix}/otp/validate`, { ...body, sessionId, otp });
        expect((await validate(wrongCodeFor(code))).status).toBe(400);
        const ok = await validate(code);
        expect(ok.status).toBe(200);
        // The access token's claims are base64url, not encrypted: they must not name the code.
        const token = String((ok.body.auth as { token: string }).token);
        const claims = Buffer.from(token.split('.')[1] ?? '', 'base64url').toString();
        expect(claims).not.toMatch(codePattern(code));
        expect((await validate(code)).status).toBe(400);
        await assertNoLeaks();
      },
    );

    it('summitai: generate, wrong, right and replayed validate leak no code, phone or e-mail', async () => {
      const generated = await send('summitai', 'POST', '/adm/service', SEED_GENERATE);
      expect(generated.status).toBe(200);
      const transactionId = (
        generated.body.OutputObject as { OTP_Communication: Array<{ TransactionID: string }> }
      ).OTP_Communication[0]?.TransactionID as string;
      const code = codeSentTo(DESTINATIONS.summitPhone);
      expect(codeSentTo(DESTINATIONS.summitEmail)).toBe(code);
      const validate = (otp: string) =>
        send('summitai', 'POST', '/adm/service', validateBody(otp, transactionId));
      expect((await validate(wrongCodeFor(code))).status).toBe(400);
      expect((await validate(code)).status).toBe(200);
      expect((await validate(code)).status).toBe(400);
      await assertNoLeaks();
    });

    it('twilio-verify: create, fetch, wrong, right and replayed check leak no code; To only as `to`', async () => {
      const to = '+919986000599';
      const service = `/v2/Services/${TWILIO_DEMO.serviceSid}`;
      const created = await send('twilio-verify', 'POST', `${service}/Verifications`, {
        To: to,
        Channel: 'sms',
      });
      expect(created.status).toBe(201);
      const code = codeSentTo(to);
      expect(
        (await send('twilio-verify', 'GET', `${service}/Verifications/${created.body.sid}`, undefined))
          .status,
      ).toBe(200);
      const check = (Code: string) =>
        send('twilio-verify', 'POST', `${service}/VerificationCheck`, { To: to, Code });
      expect((await check(wrongCodeFor(code))).body.status).toBe('pending');
      expect((await check(code)).body.status).toBe('approved');
      expect((await check(code)).status).toBe(404);
      await assertNoLeaks();
      // Twilio's resources name their `to` (the client sent it): there and nowhere else, and never
      // in a log line or a table item (the challenge keeps it sealed for status reads).
      const { answers: texts, logs, wholeTable } = await surfaces();
      const twilioAnswers = texts.filter((t) => t.includes(TWILIO_DEMO.serviceSid));
      expect(twilioAnswers.length).toBeGreaterThan(0);
      for (const text of twilioAnswers)
        expect(text.replaceAll(`"to":"${to}"`, '')).not.toContain(to.slice(3));
      for (const text of [...logs, ...wholeTable]) expect(text).not.toContain(to.slice(3));
      expect(logs.join('\n')).toContain(maskDestination(to));
    });

    it('logged every issue and verify with the destination masked (the capture works)', async () => {
      const logs = h.logLines.join('\n');
      expect(h.logLines.length).toBeGreaterThan(20);
      // The engine logs the subject a code is counted against (SummitAI's is the user id).
      const subjects = [D.v2Entity, D.lr, D.appOtp, D.aeMobile, D.aeEmail, D.aeUser];
      for (const subject of subjects) expect(logs).toContain(maskDestination(subject));
      expect(logs).toContain('otp issued');
      expect(logs).toContain('otp rejected');
      expect(logs).toContain('otp verified');
      // Sanity of the search itself: the codes are in what the senders were given, and found there.
      for (const m of h.sent) expect(m.text).toMatch(codePattern(m.code));
    });

    it('scans the whole table at the end: no code, no destination in clear outside contacts', async () => {
      const items = await scanItems(h.ddb, h.tableName);
      expect(items.some((i) => String(i.sk).startsWith('CH#'))).toBe(true);
      await assertNoLeaks();
    });

    it('scans the whole table at the end: no tenant secret in clear in any item', async () => {
      const items = await scanItems(h.ddb, h.tableName);
      // The tenant item is there (the flows above authenticated with its secrets).
      expect(items.some((i) => i.pk === tenantPk(h.tenant.tenantId) && i.sk === TENANT_SK)).toBe(true);
      const table = items.map((i) => JSON.stringify(i));
      for (const secret of tenantSecrets()) {
        expect({ secret, hit: table.find((t) => t.includes(secret)) }).toEqual({ secret, hit: undefined });
      }
    });

    it('would catch a code or a phone in a log line or an answer (the search is not blind)', async () => {
      const code = h.sent[0]?.code as string;
      for (const leak of [
        `{"message":"otp issued","code":"${code}"}`,
        `{"to":"${D.lr}"}`,
        `{"to":"${D.v2Email}"}`,
        `{"settings":{"zalo":{"accessToken":"${h.tenant.channels.zalo?.accessToken}"}}}`,
      ]) {
        h.logLines.push(leak);
        await expect(assertNoLeaks()).rejects.toThrow();
        h.logLines.pop();
      }
      answers.push({ dialect: 'loginradius', status: 200, headers: '{}', body: `{"Otp":${code}}` });
      await expect(assertNoLeaks()).rejects.toThrow();
      answers.pop();
      // Digits inside a longer number (a timestamp, an id) are not the code.
      h.logLines.push(`{"timestamp":"1${code}2"}`);
      await expect(assertNoLeaks()).resolves.toBeUndefined();
      h.logLines.pop();
    });
  });

  describe('uniform answers', () => {
    const strip = (body: Record<string, unknown>, random: string[]) =>
      JSON.stringify(body, (key, value) => (random.includes(key) ? '<random>' : value));

    it('capillary-auth answers a known and an unknown USERNAME identically at every step', async () => {
      const flow = async (username: string, deviceId: string) => {
        const body = {
          identifierType: 'USERNAME',
          identifierValue: username,
          deviceId,
          brand: DEMO_AUTH.brand,
        };
        const created = await send('capillary-auth', 'POST', '/auth/v1/token/generate', body);
        const sessionId = (created.body.user as { sessionId: string }).sessionId;
        const sent = h.sent.length;
        const generated = await send('capillary-auth', 'POST', '/auth/v1/otp/generate', {
          ...body,
          sessionId,
        });
        const delivered = h.sent.length - sent;
        const wrong = await send('capillary-auth', 'POST', '/auth/v1/otp/validate', {
          ...body,
          sessionId,
          otp: '000000',
        });
        const again = await send('capillary-auth', 'POST', '/auth/v1/otp/generate', { ...body, sessionId });
        return { steps: [created, generated, wrong, again], delivered };
      };
      const known = await flow(DEMO_AUTH.user.userId, 'uniform-1');
      const unknown = await flow('no-such-user-anywhere', 'uniform-2');
      expect(known.delivered).toBe(1);
      expect(unknown.delivered).toBe(0);
      const view = (s: { raw: Answer; body: Record<string, unknown> }) => ({
        status: s.raw.status,
        headers: s.raw.headers,
        body: strip(s.body, ['sessionId']),
      });
      expect(unknown.steps.map(view)).toEqual(known.steps.map(view));
      // Not vacuous: the steps are a session, a send, a refusal and a resend-gap refusal that a
      // USERNAME sees as a success (a real user's limits must not tell it from a decoy).
      expect(known.steps.map((s) => s.status)).toEqual([200, 200, 400, 200]);
      expect(known.delivered).toBe(1);
    });

    it('loginradius answers forgotpassword the same for any phone (no account lookup)', async () => {
      const path = '/identity/v2/manage/account/smsotp/forgotpassword';
      const phones = ['+14155550123', '+447400123456', '+6591234567', '+84912345678'];
      const results = [];
      for (const Phone of phones) results.push(await send('loginradius', 'POST', path, { Phone }));
      const views = results.map((r) => ({
        status: r.raw.status,
        headers: r.raw.headers,
        body: strip(r.body, ['Token']),
      }));
      for (const v of views) expect(v).toEqual(views[0]);
      expect(views[0]?.status).toBe(200);
      // Each Token is its own opaque id, never the same twice.
      expect(new Set(results.map((r) => r.body.Token)).size).toBe(phones.length);
    });
  });
});
