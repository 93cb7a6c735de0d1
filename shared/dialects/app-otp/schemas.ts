import * as z from 'zod';
import { registerSchemas } from '../schemas';

/** Apps send numbers as JSON numbers or strings (the seed's examples use both). */
const digits = (max: number) => z.union([z.string().trim().min(1).max(max), z.number().int().nonnegative()]);

export const phoneFields = {
  phone_number: digits(32).describe(
    'The phone number: national, or with its country code (string or number)',
  ),
  countryCode: z
    .union([z.string().trim().min(1).max(8), z.number().int().positive().max(9999)])
    .describe('ISO 3166-1 alpha-2 region (`IN`) or dialling code (`+91`, `91` or the number 91)'),
};

export const registerBody = z.object(phoneFields);
export type RegisterBody = z.infer<typeof registerBody>;

export const verifyBody = z.object({
  ...phoneFields,
  authCode: digits(8).describe('The authCode the register (or resend) answered; string or number'),
  otp: digits(16).describe('The code the user received by SMS; string or number'),
});
export type VerifyBody = z.infer<typeof verifyBody>;

registerSchemas(
  () => {
    const registerResponse = z.object({
      authCode: z.string().describe('4 digits; present it with the OTP on verify. Same value on a resend'),
      isNewUser: z.boolean().describe('True until this JWT subject has verified this phone number once'),
    });
    const verifyResponse = z.object({ message: z.literal('Phone number verified successfully') });
    const errorResponse = z.object({
      message: z.string().describe('An error name such as UN_AUTHORIZED'),
    });

    const sendErrors = [400, 401, 429, 503];

    /** Seed 001: the user's JWT in the `user-jwt-token` header (a `Bearer ` prefix is tolerated). */
    const security = [{ appOtpUserJwt: [] }];
    const registered = { authCode: '5255', isNewUser: false };
    /** What every app-otp operation shares: its error shape, statuses, Retry-After and auth. */
    const common = {
      error: errorResponse,
      errorStatuses: sendErrors,
      retryAfterStatuses: [429, 503],
      security,
    };
    return {
      appOtpRegister: {
        body: registerBody,
        response: registerResponse,
        ...common,
        examples: {
          request: {
            seed: {
              summary: 'Seed 001 (its `XX` as a real region)',
              value: { phone_number: '1234567890', countryCode: 'IN' },
            },
          },
          response: registered,
        },
      },
      appOtpResend: {
        body: registerBody,
        response: registerResponse,
        ...common,
        examples: {
          request: {
            seed: { summary: 'Seed 001', value: { phone_number: '9876543219', countryCode: '+91' } },
          },
          response: { authCode: '2735', isNewUser: true },
        },
      },
      appOtpVerify: {
        body: verifyBody,
        response: verifyResponse,
        ...common,
        examples: {
          request: {
            seed: {
              summary: 'Seed 001 (numbers as numbers)',
              value: { phone_number: '1234567890', countryCode: 'IN', authCode: 1234, otp: 5678 },
            },
          },
          response: { message: 'Phone number verified successfully' },
        },
      },
    };
  },
  {
    appOtpUserJwt: {
      type: 'apiKey',
      in: 'header',
      name: 'user-jwt-token',
      description:
        'The user’s JWT from the tenant’s identity provider (`sub` required; issuer set in tenant `jwt`)',
    },
  },
);
