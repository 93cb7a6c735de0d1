import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { SEED_GENERATE } from '../../local/demo/summitai';
import { scryptHash, sha256 } from '../../shared/crypto';
import { apiKeyCredentialId, formCredentialId } from '../../shared/dialects/summitai/credentials';
import type { DialectId } from '../../shared/routes';
import { CREDENTIAL_SK, credentialPk } from '../../shared/store/keys';
import { CREDENTIAL_KINDS, type CredentialKind } from '../../shared/tenants';
import {
  ERROR_SHAPES,
  type RawRequest,
  rawEvent,
  runRaw,
  type SecurityHarness,
  securityHarness,
} from '../support/security';
import { TWILIO_SERVICE_PATH, twilioForm } from '../support/twilio';

/**
 * Credentials are scoped to the dialect (and auth type) they were made for: a credential stored
 * at exactly the id another dialect looks up, with the secret that dialect compares, must still
 * be refused there, with the same bytes as an unknown credential. Each case seeds one credential
 * of a foreign kind at a fresh id, so nothing but the kind separates refusal from acceptance;
 * the positive control seeds the dialect's own kind the same way.
 */

let h: SecurityHarness;
let n = 0;
/** A value no other case uses (ids, secrets, users, phone numbers). */
const fresh = () => ++n;

beforeAll(async () => {
  h = await securityHarness();
});
afterAll(() => h.ddb.destroy());

const raw = async (dialect: DialectId, r: RawRequest): Promise<APIGatewayProxyResult> => {
  const { result, thrown } = await runRaw(
    h.handlers[dialect],
    rawEvent({ ...r, headers: { 'content-type': 'application/json', ...r.headers } }),
  );
  if (!result) throw new Error(`handler threw ${String(thrown)}`);
  return result;
};

/** An Indian mobile number of its own per case, so no send limit meets another case. */
const phone = (i: number) => `+9198123${String(40_000 + i).padStart(5, '0')}`;

/** A SummitAI user of the demo tenant with a phone, so a generate for it answers 200. */
const summitUser = async (i: number): Promise<string> => {
  const userId = `scope-${i}`;
  await h.tenants.putContact(h.tenant.tenantId, { userId, phone: phone(i) });
  return userId;
};

const summitGenerate = async (proxy: Record<string, unknown>, i: number) =>
  raw('summitai', {
    method: 'POST',
    path: '/adm/service',
    body: JSON.stringify({
      ServiceName: 'ADM_GenerateOTP',
      objCommonParameters: { _ProxyDetails: proxy, objUserInformation: { LoginUID: await summitUser(i) } },
    }),
  });

/**
 * One way of presenting a credential: the id and secret the dialect looks up for what it is sent,
 * and the request that sends it (to a fresh recipient, so an accepted one answers 200).
 */
interface Presentation {
  id: string;
  secret: string;
  send: () => Promise<APIGatewayProxyResult>;
}

interface Presenter {
  dialect: DialectId;
  /** The kind this presentation is for: the only one it may accept. */
  own: CredentialKind;
  present: (i: number) => Presentation;
}

const ORG = '7';

const PRESENTERS: Record<string, Presenter> = {
  'capillary-v2 Basic': {
    dialect: 'capillary-v2',
    own: 'v2-basic',
    present: (i) => {
      const id = `scope-client-${i}`;
      const secret = `scope-secret-${i}-${sha256(String(i))}`;
      return {
        id,
        secret,
        send: () =>
          raw('capillary-v2', {
            method: 'POST',
            path: '/v2/otp/generate',
            headers: { authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}` },
            body: JSON.stringify({ entityType: 'MOBILE', entityValue: phone(i).slice(1), action: 'GENERIC' }),
          }),
      };
    },
  },
  'loginradius apikey / apisecret': {
    dialect: 'loginradius',
    own: 'loginradius-apikey',
    present: (i) => {
      const id = `scope-apikey-${i}`;
      const secret = `scope-apisecret-${i}-${sha256(String(i))}`;
      return {
        id,
        secret,
        send: () =>
          raw('loginradius', {
            method: 'POST',
            path: '/identity/v2/manage/account/smsotp/forgotpassword',
            query: { apikey: id, apisecret: secret },
            body: JSON.stringify({ Phone: phone(i) }),
          }),
      };
    },
  },
  'summitai APIKey': {
    dialect: 'summitai',
    own: 'summitai-apikey',
    present: (i) => {
      const key = `scope-summit-key-${i}-${sha256(String(i))}`;
      return {
        id: apiKeyCredentialId(ORG, key),
        secret: key,
        send: () => summitGenerate({ AuthType: 'APIKey', APIKey: key, OrgID: ORG }, i),
      };
    },
  },
  'summitai FORM': {
    dialect: 'summitai',
    own: 'summitai-form',
    present: (i) => {
      const user = `scope-user-${i}@sum.com`;
      const password = `Scope-Password-${i}`;
      return {
        id: formCredentialId(ORG, user),
        secret: password,
        send: () => summitGenerate({ AuthType: 'FORM', UserName: user, Password: password, OrgID: ORG }, i),
      };
    },
  },
};

/** A Twilio Basic credential (`AC…` account SID or `SK…` API key) creating a verification. */
const twilioPresenter = (own: 'twilio-account' | 'twilio-apikey', prefix: 'AC' | 'SK'): Presenter => ({
  dialect: 'twilio-verify',
  own,
  present: (i) => {
    const id = `${prefix}${String(i).padStart(32, '0')}`;
    const secret = `scope-token-${i}-${sha256(String(i))}`;
    return {
      id,
      secret,
      send: () =>
        raw('twilio-verify', {
          method: 'POST',
          path: `${TWILIO_SERVICE_PATH}/Verifications`,
          headers: {
            authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`,
            'content-type': 'application/x-www-form-urlencoded',
          },
          body: twilioForm({ To: phone(i), Channel: 'sms' }),
        }),
    };
  },
});
PRESENTERS['twilio account SID / auth token'] = twilioPresenter('twilio-account', 'AC');
PRESENTERS['twilio API key'] = twilioPresenter('twilio-apikey', 'SK');

const seed = (kind: CredentialKind, p: Presentation) =>
  h.tenants.putCredential(kind, p.id, h.tenant.tenantId, p.secret);

/** A credential item as the code before per-dialect kinds wrote it (SHA-256; FORM used scrypt). */
const seedLegacy = (kind: 'basic' | 'apikey' | 'form', p: Presentation) =>
  h.ddb.send(
    new PutItemCommand({
      TableName: h.tableName,
      Item: marshall({
        pk: credentialPk(kind, p.id),
        sk: CREDENTIAL_SK,
        tenantId: h.tenant.tenantId,
        secretHash: kind === 'form' ? scryptHash(p.secret) : sha256(p.secret),
      }),
    }),
  );

const presenter = (name: string): Presenter => {
  const p = PRESENTERS[name];
  if (!p) throw new Error(`no presenter ${name}`);
  return p;
};

/** Asserts a refusal: the bytes an unknown credential gets, 401 in the dialect's error shape, nothing sent. */
const expectRefused = async (pr: Presenter, p: Presentation) => {
  const unknown = await pr.present(fresh()).send();
  const sentBefore = h.sent.length;
  const answer = await p.send();
  expect(answer).toEqual(unknown);
  expect(answer.statusCode).toBe(401);
  expect(ERROR_SHAPES[pr.dialect].safeParse(JSON.parse(answer.body)).success).toBe(true);
  expect(h.sent.length).toBe(sentBefore);
};

describe('security', () => {
  describe('credential scope', () => {
    describe.each(Object.entries(PRESENTERS))('%s', (_, presenter) => {
      const foreign = CREDENTIAL_KINDS.filter((k) => k !== presenter.own);

      it.each(foreign)(
        'refuses a %s credential stored at the id it looks up, as it refuses an unknown one',
        async (kind) => {
          const p = presenter.present(fresh());
          await seed(kind, p);
          await expectRefused(presenter, p);
        },
      );

      it(`accepts a ${presenter.own} credential (positive control)`, async () => {
        const p = presenter.present(fresh());
        await seed(presenter.own, p);
        // Twilio answers a created verification with 201.
        expect((await p.send()).statusCode).toBe(presenter.dialect === 'twilio-verify' ? 201 : 200);
      });
    });

    describe('app-otp', () => {
      it('refuses every credential dialect’s credentials: only a tenant-signed user JWT is taken', async () => {
        const v2 = presenter('capillary-v2 Basic').present(fresh());
        const lr = presenter('loginradius apikey / apisecret').present(fresh());
        await seed('v2-basic', v2);
        await seed('loginradius-apikey', lr);
        const answer = await raw('app-otp', {
          method: 'POST',
          path: '/fe/users/auth/otp/register',
          headers: { authorization: `Basic ${Buffer.from(`${v2.id}:${v2.secret}`).toString('base64')}` },
          query: { apikey: lr.id, apisecret: lr.secret },
          body: JSON.stringify({
            phone_number: '9812345679',
            countryCode: '+91',
            _ProxyDetails: SEED_GENERATE.objCommonParameters._ProxyDetails,
          }),
        });
        expect(answer.statusCode).toBe(401);
        expect(JSON.parse(answer.body)).toEqual({ message: 'UN_AUTHORIZED' });
      });
    });

    describe('credentials stored before kinds were per dialect', () => {
      const LR = 'loginradius apikey / apisecret';
      const SUMMIT_KEY = 'summitai APIKey';

      it('refuses an old SummitAI apikey item presented to LoginRadius as apikey=<OrgID>:<sha256(key)>', async () => {
        const summit = presenter(SUMMIT_KEY).present(fresh());
        await seedLegacy('apikey', summit);
        const lr = presenter(LR);
        // What a holder of the SummitAI key sends to LoginRadius: the id SummitAI stores, and the key.
        const p = { ...lr.present(fresh()), id: summit.id, secret: summit.secret };
        const i = fresh();
        p.send = () =>
          raw('loginradius', {
            method: 'POST',
            path: '/identity/v2/manage/account/smsotp/forgotpassword',
            query: { apikey: summit.id, apisecret: summit.secret },
            body: JSON.stringify({ Phone: phone(i) }),
          });
        await expectRefused(lr, p);
        // The same item still works where it belongs (positive control).
        expect((await summit.send()).statusCode).toBe(200);
      });

      it('refuses an old LoginRadius apikey item as a SummitAI APIKey, and keeps it working for LoginRadius', async () => {
        const lr = presenter(LR).present(fresh());
        await seedLegacy('apikey', lr);
        const summit = presenter(SUMMIT_KEY);
        // A SummitAI caller presenting the LoginRadius secret as its key finds no item: refused.
        const p = summit.present(fresh());
        const asKey = {
          ...p,
          send: () => summitGenerate({ AuthType: 'APIKey', APIKey: lr.secret, OrgID: ORG }, fresh()),
        };
        await expectRefused(summit, asKey);
        expect((await lr.send()).statusCode).toBe(200);
      });

      it.each([
        ['basic', 'capillary-v2 Basic'],
        ['form', 'summitai FORM'],
      ] as const)('accepts an old %s item only in %s', async (kind, owner) => {
        for (const [name, pr] of Object.entries(PRESENTERS)) {
          const p = pr.present(fresh());
          await seedLegacy(kind, p);
          if (name === owner) expect((await p.send()).statusCode).toBe(200);
          else await expectRefused(pr, p);
        }
      });
    });
  });
});
