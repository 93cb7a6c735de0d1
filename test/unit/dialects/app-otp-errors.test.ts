import { describe, expect, it } from '@jest/globals';
import { createError } from '@middy/util';
import type { z } from 'zod';
import { APP_OTP_ERRORS, mapAppOtpError } from '../../../shared/dialects/app-otp/errors';
import { registerBody, verifyBody } from '../../../shared/dialects/app-otp/schemas';
import {
  CodeExpiredError,
  CountryNotAllowedError,
  DeliveryFailedError,
  DestinationLockedError,
  InvalidCodeError,
  InvalidInputError,
  NoActiveCodeError,
  type OtpError,
  type OtpErrorKind,
  RateLimitedError,
  ServiceUnavailableError,
  TooManyAttemptsError,
  UnauthorizedError,
} from '../../../shared/errors';

/** One instance of every engine error kind; the Record type fails to compile if a kind is missing. */
const ONE_OF_EACH: Record<OtpErrorKind, [OtpError, number, string]> = {
  'invalid-input': [new InvalidInputError('phone', 'Invalid mobile number'), 400, 'INVALID_PHONE_NUMBER'],
  'country-not-allowed': [
    new CountryNotAllowedError('Country +44 is not allowed'),
    400,
    'COUNTRY_NOT_SUPPORTED',
  ],
  'rate-limited': [new RateLimitedError('resend-gap', 17), 429, 'TOO_MANY_REQUESTS'],
  'destination-locked': [new DestinationLockedError('locked'), 429, 'PHONE_NUMBER_LOCKED'],
  'no-active-code': [new NoActiveCodeError('No active code'), 400, 'OTP_NOT_FOUND'],
  'code-expired': [new CodeExpiredError('expired'), 400, 'OTP_EXPIRED'],
  'invalid-code': [new InvalidCodeError(3), 400, 'INVALID_OTP'],
  'too-many-attempts': [new TooManyAttemptsError('locked'), 400, 'OTP_ATTEMPTS_EXCEEDED'],
  'delivery-failed': [
    new DeliveryFailedError('No channel could deliver the code'),
    503,
    'OTP_DELIVERY_FAILED',
  ],
  'service-unavailable': [
    new ServiceUnavailableError('The store is unavailable'),
    503,
    'SERVICE_UNAVAILABLE',
  ],
  unauthorized: [new UnauthorizedError('Invalid token'), 401, 'UN_AUTHORIZED'],
};

const zodError = (schema: z.ZodType, value: unknown): z.ZodError => {
  const result = schema.safeParse(value);
  if (result.success) throw new Error('expected a validation error');
  return result.error;
};

describe('app-otp errors', () => {
  describe('mapAppOtpError', () => {
    it.each(Object.entries(ONE_OF_EACH))(
      'maps %s to its status and name',
      (kind, [error, status, message]) => {
        const res = mapAppOtpError(error);
        expect(error.kind).toBe(kind);
        expect(res.status).toBe(status);
        expect(res.body).toEqual({ message });
        expect(Object.values(APP_OTP_ERRORS)).toContain(message);
      },
    );

    it('gives every engine kind a distinct name', () => {
      const names = Object.values(ONE_OF_EACH).map(
        ([error]) => (mapAppOtpError(error).body as { message: string }).message,
      );
      expect(new Set(names).size).toBe(names.length);
    });

    it('sets retry-after from a rate limit', () => {
      expect(mapAppOtpError(new RateLimitedError('destination-daily', 3600)).headers).toEqual({
        'retry-after': '3600',
      });
      // A zero wait still tells the client to back off for a second.
      expect(mapAppOtpError(new RateLimitedError('resend-gap', 0)).headers).toEqual({ 'retry-after': '1' });
    });

    it.each([
      ['phone', 400, 'INVALID_PHONE_NUMBER'],
      ['code', 400, 'INVALID_OTP'],
      ['email', 400, 'INVALID_REQUEST'],
      ['identifier', 400, 'INVALID_REQUEST'],
      ['channel', 400, 'INVALID_REQUEST'],
      ['template', 500, 'INTERNAL_SERVER_ERROR'],
    ] as const)('maps an invalid %s input to %i %s', (field, status, message) => {
      expect(mapAppOtpError(new InvalidInputError(field, 'bad'))).toEqual({ status, body: { message } });
    });

    it.each([
      ['phone_number', registerBody, { countryCode: 'IN' }, 'INVALID_PHONE_NUMBER'],
      ['countryCode', registerBody, { phone_number: '9876543219', countryCode: '' }, 'INVALID_COUNTRY_CODE'],
      [
        'otp',
        verifyBody,
        { phone_number: '9876543219', countryCode: 'IN', authCode: '1234' },
        'INVALID_REQUEST',
      ],
      ['authCode', verifyBody, { phone_number: '9876543219', countryCode: 'IN', otp: 1 }, 'INVALID_REQUEST'],
      ['the whole body', registerBody, 'just a string', 'INVALID_REQUEST'],
    ])('maps a validation error in %s to 400', (_, schema, value, message) => {
      expect(mapAppOtpError(zodError(schema, value))).toEqual({ status: 400, body: { message } });
    });

    it.each([
      [createError(415, 'Invalid or malformed JSON was provided'), 400, 'INVALID_REQUEST'],
      [createError(404, 'Route does not exist'), 404, 'NOT_FOUND'],
      [createError(405, 'Method not allowed'), 405, 'METHOD_NOT_ALLOWED'],
      [createError(413, 'Request body too large'), 413, 'PAYLOAD_TOO_LARGE'],
      [createError(415, 'Unsupported Media Type'), 415, 'INVALID_REQUEST'],
    ])('maps plumbing error %p to its status', (error, status, message) => {
      expect(mapAppOtpError(error)).toEqual({ status, body: { message } });
    });

    it.each([
      ['an Error', new Error('ddb item {"phone":"+919876543219","code":"482913"}')],
      ['a string', 'boom 482913'],
      ['undefined', undefined],
      ['a 5xx http error', createError(502, 'upstream 482913')],
    ])('masks %s as 500 INTERNAL_SERVER_ERROR without its text', (_, error) => {
      const res = mapAppOtpError(error);
      expect(res).toEqual({ status: 500, body: { message: 'INTERNAL_SERVER_ERROR' } });
      expect(JSON.stringify(res)).not.toContain('482913');
    });
  });
});
