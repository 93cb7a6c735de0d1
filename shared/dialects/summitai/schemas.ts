import * as z from 'zod';
import { registerSchemas } from '../schemas';

/** The two services of `POST /adm/service`, matched case-insensitively. */
export const SERVICE_NAMES = ['ADM_GenerateOTP', 'ADM_ValidateOTP'] as const;

/** Fields SummitAI clients send that this service reads nothing from; accepted and ignored. */
const scalar = z.union([z.string().max(256), z.number(), z.boolean(), z.null()]);

/**
 * SummitAI documents OrgID as an INTEGER and its samples send `"1"`: both are taken. Up to 15
 * digits so the number echoed back in the envelope is exact.
 */
const orgId = z
  .union([
    z
      .string()
      .trim()
      .regex(/^\d{1,15}$/),
    z.number().int().nonnegative().max(999_999_999_999_999),
  ])
  .transform(String)
  .describe('Organisation id; with the credentials it selects the tenant');

/** Documented as STRING, sent as numbers in the samples (`"LoginUID": 967`). */
const userId = z.union([
  z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9_.@-]{0,64}$/),
]);

export const proxyDetails = z.object({
  AuthType: z
    .string()
    .trim()
    .max(16)
    .optional()
    .describe('FORM (UserName / Password) or APIKey (APIKey); default: APIKey when one is given, else FORM'),
  UserName: z.string().trim().max(256).optional().describe('FORM: login name of the API user'),
  Password: z.string().max(1024).optional().describe('FORM: password of the API user'),
  APIKey: z.string().trim().max(1024).optional().describe('APIKey: the organisation’s API key'),
  OrgID: orgId,
  TokenID: scalar.optional().describe('Ignored: this service issues no session tokens'),
  ProxyID: scalar.optional(),
  ReturnType: scalar.optional().describe('Ignored: answers are always JSON'),
  SAASOrgID: scalar.optional(),
  LoginUID: scalar.optional(),
  RequestType: scalar.optional(),
  MobileVersion: scalar.optional(),
});
export type ProxyDetails = z.infer<typeof proxyDetails>;

/** The part every service shares: enough to authenticate and dispatch. */
export const serviceRequest = z.object({
  ServiceName: z.string().trim().min(1).max(64).describe('ADM_GenerateOTP or ADM_ValidateOTP'),
  objCommonParameters: z.object({
    _ProxyDetails: proxyDetails,
    objUserInformation: z.unknown().optional(),
  }),
});

/** The user a service is about: LoginUID, else UserID (0 and "" count as absent). */
export const userOf = (u: { LoginUID?: number | string; UserID?: number | string }): string | undefined =>
  [u.LoginUID, u.UserID].map((v) => (v === undefined ? '' : String(v))).find((v) => v !== '' && v !== '0');

const requireUser = { message: 'LoginUID or UserID is required', path: ['LoginUID'] };

export const generateUser = z
  .object({
    LoginUID: userId.optional().describe('Logged-in user’s id: whose phone / e-mail gets the OTP'),
    UserID: userId.optional().describe('Used when LoginUID is absent or 0'),
    DomainId: scalar.optional(),
    UserName: z.string().max(256).optional(),
  })
  .refine((u) => userOf(u) !== undefined, requireUser);

export const validateUser = z
  .object({
    OTP_Text: z
      .union([z.string().trim().min(1).max(32), z.number().int().nonnegative()])
      .describe('The code the user typed (send it as a string: a number loses leading zeros)'),
    TransactionID: z.string().trim().min(1).max(64).describe('TransactionID from ADM_GenerateOTP'),
    LoginUID: userId.optional(),
    UserID: userId.optional(),
  })
  .refine((u) => userOf(u) !== undefined, requireUser);

const withUser = <T extends z.ZodType>(user: T) =>
  serviceRequest.extend({
    objCommonParameters: serviceRequest.shape.objCommonParameters.extend({ objUserInformation: user }),
  });

export const generateRequest = withUser(generateUser);
export const validateRequest = withUser(validateUser);

registerSchemas(() => {
  /** SummitAI's response envelope: the same keys on success and error. */
  const envelope = <T extends z.ZodType>(outputObject: T) =>
    z.object({
      Errors: z.string().describe('Empty on success; the error message otherwise'),
      Message: z.string(),
      Output: z.string(),
      TokenID: z.string().describe('Always empty: no session token is issued'),
      OrgID: z.number(),
      OutputObject: outputObject,
      OutputID: z.number(),
      Input: z.null(),
    });

  const generateResponse = envelope(
    z.object({
      OTP_Communication: z.array(
        z.object({
          Message: z
            .string()
            .describe('Where the OTP went, masked: "OTP sent to to***@sy***.com and ***219"'),
          AuthenticationType: z.literal('password'),
          TransactionID: z.uuid().describe('Opaque; pass it to ADM_ValidateOTP. Same on a re-send'),
        }),
      ),
    }),
  );
  const validateResponse = envelope(z.object({ OTP_Validation: z.array(z.object({ Message: z.string() })) }));
  const errorResponse = envelope(z.null());

  /** Seed 003's sample request, with a password a real one would need (15 characters). */
  const SEED_GENERATE = {
    ServiceName: 'ADM_GenerateOTP',
    objCommonParameters: {
      _ProxyDetails: {
        SAASOrgID: '0',
        LoginUID: 0,
        RequestType: 'mobile',
        MobileVersion: '5.10.3',
        Password: 'XXXX@123-XXXX@123',
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
  return {
    summitAiService: {
      body: z.union([generateRequest, validateRequest]),
      response: z.union([generateResponse, validateResponse]),
      error: errorResponse,
      errorStatuses: [400, 401, 404, 413, 429, 503],
      retryAfterStatuses: [429, 503],
      // SummitAI sends its credentials in the body (`_ProxyDetails`: FORM or APIKey), which no
      // OpenAPI security scheme can name: the operation documents them in its body schema.
      security: [],
      examples: {
        request: {
          generate: { summary: 'ADM_GenerateOTP (seed 003)', value: SEED_GENERATE },
          validate: {
            summary: 'ADM_ValidateOTP',
            value: {
              ...SEED_GENERATE,
              ServiceName: 'ADM_ValidateOTP',
              objCommonParameters: {
                ...SEED_GENERATE.objCommonParameters,
                objUserInformation: {
                  LoginUID: 967,
                  OTP_Text: '123456',
                  TransactionID: '36d97a51-07ee-480e-a50e-e6fb53baf14f',
                },
              },
            },
          },
        },
        response: {
          Errors: '',
          Message: '',
          Output: '',
          TokenID: '',
          OrgID: 1,
          OutputObject: {
            OTP_Communication: [
              {
                Message: 'OTP sent to ***219',
                AuthenticationType: 'password',
                TransactionID: '36d97a51-07ee-480e-a50e-e6fb53baf14f',
              },
            ],
          },
          OutputID: 0,
          Input: null,
        },
      },
    },
  };
});
