import { describe, expect, it } from '@jest/globals';
import { createError } from '@middy/util';
import { lrRefusal, mapLoginRadiusError } from '../../../shared/dialects/loginradius/errors';
import { canonicalType, generateBody, verifyBody } from '../../../shared/dialects/loginradius/schemas';
import { InvalidInputError, type OtpErrorKind, RateLimitedError } from '../../../shared/errors';
import { oneOfEachEngineError } from '../../support/engine-errors';

const ONE_OF_EACH = oneOfEachEngineError({
  'invalid-input': new InvalidInputError('phone', 'Invalid phone number'),
});

/** [status, ErrorCode] each kind must map to (docs/dialects/loginradius.md). */
const EXPECTED: Record<OtpErrorKind, [number, number]> = {
  'invalid-input': [400, 908],
  'country-not-allowed': [400, 908],
  'rate-limited': [429, 429],
  'destination-locked': [429, 429],
  'no-active-code': [403, 1067],
  'code-expired': [403, 1067],
  'invalid-code': [403, 1067],
  'too-many-attempts': [403, 1067],
  'delivery-failed': [503, 1000],
  'service-unavailable': [503, 1000],
  unauthorized: [401, 902],
};

const SHAPE = {
  Description: expect.any(String),
  ErrorCode: expect.any(Number),
  Message: expect.any(String),
  IsProviderError: expect.any(Boolean),
};

describe('loginradius-errors', () => {
  describe('mapLoginRadiusError', () => {
    it.each(Object.entries(ONE_OF_EACH))(
      'maps %s to its status and code in the vendor shape',
      (kind, error) => {
        const res = mapLoginRadiusError(error);
        const [status, code] = EXPECTED[kind as OtpErrorKind];
        expect(res.status).toBe(status);
        expect(res.body).toEqual({
          ...SHAPE,
          ErrorCode: code,
          ProviderErrorResponse: kind === 'delivery-failed' ? expect.any(String) : null,
        });
        expect(Object.keys(res.body as object).sort()).toEqual([
          'Description',
          'ErrorCode',
          'IsProviderError',
          'Message',
          'ProviderErrorResponse',
        ]);
      },
    );

    it('gives the rate limit a Retry-After header of the seconds to wait', () => {
      expect(mapLoginRadiusError(new RateLimitedError('resend-gap', 12)).headers).toEqual({
        'retry-after': '12',
      });
    });

    it('marks only a delivery failure as a provider error', () => {
      for (const [kind, error] of Object.entries(ONE_OF_EACH)) {
        const body = mapLoginRadiusError(error).body as {
          IsProviderError: boolean;
          ProviderErrorResponse: unknown;
        };
        expect(body.IsProviderError).toBe(kind === 'delivery-failed');
        expect(body.ProviderErrorResponse === null).toBe(kind !== 'delivery-failed');
      }
    });

    it('maps a bad template to 500 and other bad input to 908 with its message', () => {
      expect(mapLoginRadiusError(new InvalidInputError('template', 'no placeholder'))).toMatchObject({
        status: 500,
        body: { ErrorCode: 1000 },
      });
      expect(mapLoginRadiusError(new InvalidInputError('code', 'Bad code format'))).toMatchObject({
        status: 400,
        body: { ErrorCode: 908, Description: 'Bad code format' },
      });
    });

    it('maps validation errors to 908 naming the field, and a non-object body to 965', () => {
      const missing = generateBody.safeParse({ Uid: 'u' }).error;
      expect(mapLoginRadiusError(missing)).toMatchObject({
        status: 400,
        body: { ErrorCode: 908, Description: 'The phone is a required parameter.' },
      });
      const wrongType = verifyBody.safeParse({ Phone: '1', OTP: { a: 1 } }).error;
      expect(mapLoginRadiusError(wrongType)).toMatchObject({
        body: { ErrorCode: 908, Description: 'The otp is not formatted correctly.' },
      });
      const notObject = generateBody.safeParse([1]).error;
      expect(mapLoginRadiusError(notObject)).toMatchObject({ status: 400, body: { ErrorCode: 965 } });
    });

    it.each([
      ['malformed JSON', createError(415, 'Invalid or malformed JSON was provided'), 400, 965],
      ['a body over the limit', createError(413, 'Request body too large'), 413, 965],
      ['an unknown route', createError(404, 'Route does not exist'), 404, 404],
      ['a dialect refusal', lrRefusal(400, 1182, 'bad type'), 400, 1182],
    ])('maps %s', (_, error, status, code) => {
      const res = mapLoginRadiusError(error);
      expect(res.status).toBe(status);
      expect(res.body).toEqual({ ...SHAPE, ErrorCode: code, ProviderErrorResponse: null });
    });

    it('masks anything unexpected as 500 950 without its message', () => {
      const res = mapLoginRadiusError(new Error('secret table name otp-prod and +919876543210'));
      expect(res.status).toBe(500);
      expect(res.body).toEqual({ ...SHAPE, ErrorCode: 950, ProviderErrorResponse: null });
      expect(JSON.stringify(res.body)).not.toMatch(/otp-prod|9876543210/);
    });
  });

  describe('canonicalType', () => {
    it.each([
      ['addphone', 'addphone'],
      ['AddPhone', 'addphone'],
      ['phoneidverification', 'phoneverification'],
      ['PhoneVerification', 'phoneverification'],
      [' PASSWORDLESSLOGIN ', 'passwordlesslogin'],
      ['deleteuser', undefined],
      ['', undefined],
      [undefined, undefined],
    ])('reads %p as %p', (raw, expected) => {
      expect(canonicalType(raw)).toBe(expected);
    });
  });
});
