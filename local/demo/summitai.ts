import { apiKeyCredentialId, formCredentialId } from '../../shared/dialects/summitai/credentials';
import type { TenantDirectory } from '../../shared/tenant-directory';
import type { Tenant } from '../../shared/tenants';

/**
 * SummitAI (seed 003) on the demo tenant. Every value here is LOCAL-ONLY and committed: the FORM
 * user and password are the seed's sample request, so it runs as written.
 */
export const SUMMITAI_DEMO = {
  orgId: '1',
  form: { userName: 'google@sum.com', password: 'XXXX@123' },
  apiKey: 'summitai-demo-apikey-local-only-0123456789',
  /** The seed's `LoginUID` 967; messages land in the local outbox, never on a real phone or inbox. */
  user: { userId: '967', phone: '+919876543219', email: 'tomsawyer@symphony.com' },
} as const;

/** Generate sends to the user's e-mail and phone (the tenant default, spelled out). */
export const demoTenantPatch: Partial<Tenant> = { summitAiChannels: 'BOTH' };

/** The FORM and APIKey credentials of OrgID 1 and the user 967, on `tenantId`. */
export const seedDemo = async (tenants: TenantDirectory, tenantId: string): Promise<void> => {
  const { orgId, form, apiKey, user } = SUMMITAI_DEMO;
  await tenants.putCredential(
    'summitai-form',
    formCredentialId(orgId, form.userName),
    tenantId,
    form.password,
  );
  await tenants.putCredential('summitai-apikey', apiKeyCredentialId(orgId, apiKey), tenantId, apiKey);
  await tenants.putContact(tenantId, { ...user });
};

/** The seed's sample request, exactly as written. */
export const SEED_GENERATE = {
  ServiceName: 'ADM_GenerateOTP',
  objCommonParameters: {
    _ProxyDetails: {
      SAASOrgID: '0',
      LoginUID: 0,
      RequestType: 'mobile',
      MobileVersion: '5.10.3',
      Password: 'XXXX@123',
      AuthType: 'FORM',
      ProxyID: 0,
      OrgID: '1',
      TokenID: '',
      ReturnType: 'JSON',
      UserName: 'google@sum.com',
    },
    objUserInformation: { DomainId: 1, UserID: 967, LoginUID: 967, UserName: 'abcd' },
  },
};

/** SummitAI's documented ADM_ValidateOTP sample, with the demo password and placeholders to fill. */
export const validateBody = (otp: string, transactionId: string) => ({
  ServiceName: 'ADM_ValidateOTP',
  objCommonParameters: {
    _ProxyDetails: { ...SEED_GENERATE.objCommonParameters._ProxyDetails },
    objUserInformation: { OTP_Text: otp, TransactionID: transactionId, LoginUID: 967 },
  },
});

const curl = (body: unknown): string =>
  `curl -s -H 'content-type: application/json' http://localhost:3000/adm/service -d '${JSON.stringify(body)}'`;

/**
 * Copy-paste commands: generate (FORM, the seed as written), validate (fill in the code and the
 * TransactionID), then generate again with the APIKey. That order never meets the 30 s re-send
 * gap: the validate consumed the first code, so the third command issues a fresh one.
 */
export const demoCurl: string[] = [
  curl(SEED_GENERATE),
  curl(validateBody('<code from /_local/outbox>', '<TransactionID from the generate answer>')),
  curl({
    ...SEED_GENERATE,
    objCommonParameters: {
      ...SEED_GENERATE.objCommonParameters,
      _ProxyDetails: {
        AuthType: 'APIKey',
        APIKey: SUMMITAI_DEMO.apiKey,
        ProxyID: 0,
        ReturnType: 'JSON',
        OrgID: '1',
        TokenID: '',
      },
    },
  }),
];
