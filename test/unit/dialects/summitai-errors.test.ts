import { describe, expect, it } from '@jest/globals';
import { createError } from '@middy/util';
import { z } from 'zod';
import { mapSummitError } from '../../../shared/dialects/summitai/errors';
import {
  InvalidInputError,
  type OtpError,
  type OtpErrorKind,
  RateLimitedError,
} from '../../../shared/errors';
import { maskPhoneTail } from '../../../shared/mask';
import { oneOfEachEngineError } from '../../support/engine-errors';
import { summitRefusal } from '../../support/summitai';

const ONE_OF_EACH = oneOfEachEngineError({ 'rate-limited': new RateLimitedError('destination-daily', 3600) });

const EXPECTED: Record<OtpErrorKind, [number, string | RegExp]> = {
  'invalid-input': [400, 'The registered mobile number of the user is not valid'],
  'country-not-allowed': [400, /country this organisation does not send to/],
  'rate-limited': [429, 'OTP request limit reached, try again later'],
  'destination-locked': [429, 'Too many failed OTP attempts for this user today'],
  'no-active-code': [400, /^No valid OTP found/],
  'code-expired': [400, 'OTP expired: generate a new OTP'],
  'invalid-code': [400, 'Invalid OTP'],
  'too-many-attempts': [429, /locked until it expires/],
  'delivery-failed': [503, 'The OTP could not be sent, try again later'],
  'service-unavailable': [503, 'Service unavailable, try again later'],
  unauthorized: [401, 'Invalid credentials'],
};

/** The envelope with `Errors` filled and everything else at its empty value. */
const envelopeWith = summitRefusal;

describe('summitai errors', () => {
  describe('mapSummitError', () => {
    it.each(Object.entries(ONE_OF_EACH) as Array<[OtpErrorKind, OtpError]>)(
      'maps %s to its status and message in the envelope',
      (kind, error) => {
        const [status, message] = EXPECTED[kind];
        const res = mapSummitError(error);
        expect(res.status).toBe(status);
        expect(res.body).toEqual(envelopeWith(message));
      },
    );

    it('maps every kind to a 4xx or 503, never a 500', () => {
      for (const error of Object.values(ONE_OF_EACH)) {
        expect([400, 401, 429, 503]).toContain(mapSummitError(error).status);
      }
    });

    it('returns 429 with Retry-After and the wait for a re-send inside the gap', () => {
      const res = mapSummitError(new RateLimitedError('resend-gap', 17));
      expect(res).toEqual({
        status: 429,
        headers: { 'retry-after': '17' },
        body: envelopeWith(/wait 17 seconds/),
      });
    });

    it.each([
      ['email', /e-mail address/],
      ['channel', 'No registered mobile number or e-mail address for the user'],
      ['template', /template/],
      ['identifier', 'Invalid user'],
      ['code', 'Invalid OTP'],
    ] as const)('returns 400 for invalid input in %s', (field, message) => {
      const res = mapSummitError(new InvalidInputError(field, 'engine text'));
      expect(res).toEqual({ status: 400, body: envelopeWith(message) });
    });

    it('returns 401 with a WWW-Authenticate challenge', () => {
      expect(mapSummitError(ONE_OF_EACH.unauthorized).headers).toEqual({
        'www-authenticate': 'FORM realm="summitai", APIKey realm="summitai"',
      });
    });

    it('returns 400 naming the field for a validation error', () => {
      const result = z.object({ ServiceName: z.string() }).safeParse({});
      expect(result.success).toBe(false);
      const res = mapSummitError(result.error);
      expect(res.status).toBe(400);
      expect(res.body).toEqual(envelopeWith(/^Invalid request: ServiceName: /));
    });

    it('returns 400 for malformed JSON (middy’s 415)', () => {
      const res = mapSummitError(createError(415, 'Invalid or malformed JSON was provided'));
      expect(res).toEqual({ status: 400, body: envelopeWith('Malformed request body') });
    });

    it.each([
      [404, 'Route does not exist'],
      [413, 'Request body too large'],
    ])('keeps the router’s %i in the envelope', (status, message) => {
      expect(mapSummitError(createError(status, message))).toEqual({ status, body: envelopeWith(message) });
    });

    it('masks anything unexpected as a 500 without its message', () => {
      const res = mapSummitError(new Error('connect ECONNREFUSED 10.0.0.1 code 123456'));
      expect(res).toEqual({ status: 500, body: envelopeWith('Internal error') });
      expect(mapSummitError('a string').status).toBe(500);
    });
  });

  describe('maskPhoneTail', () => {
    it.each([
      ['+919876543219', '***219'],
      ['919876543219', '***219'],
      ['+1 (555) 010-0219', '***219'],
      ['12345', '***'],
      ['', '***'],
    ])('masks %s as %s', (phone, masked) => {
      expect(maskPhoneTail(phone)).toBe(masked);
    });
  });
});
