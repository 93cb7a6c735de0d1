import { describe, expect, it } from '@jest/globals';
import { createError } from '@middy/util';
import { z } from 'zod';
import {
  AE_CODES,
  mapAuthEngineError,
  type Operation,
  refusals,
  tagOperation,
} from '../../../shared/dialects/capillary-auth/errors';
import {
  DestinationLockedError,
  InvalidInputError,
  type OtpError,
  type OtpErrorKind,
  RateLimitedError,
  ServiceUnavailableError,
} from '../../../shared/errors';
import { oneOfEachEngineError } from '../../support/engine-errors';

const ONE_OF_EACH = oneOfEachEngineError({ 'rate-limited': new RateLimitedError('resend-gap', 30) });

/** [status, code] of every kind, as the docs' error table lists them (operation: otp-validate). */
const EXPECTED: Record<OtpErrorKind, [number, number]> = {
  'invalid-input': [400, 1540],
  'country-not-allowed': [400, 1540],
  'rate-limited': [429, 1534],
  'destination-locked': [429, 1518],
  'no-active-code': [400, 1537],
  'code-expired': [400, 1537],
  'invalid-code': [400, 1506],
  'too-many-attempts': [429, 1518],
  'delivery-failed': [503, 1503],
  'service-unavailable': [503, 1502],
  unauthorized: [400, 1519],
};

const statusOf = (body: unknown) =>
  (body as { status: { success: boolean; code: number; message: string } }).status;

describe('capillary-auth errors', () => {
  describe('mapAuthEngineError', () => {
    it.each(Object.entries(ONE_OF_EACH))('maps the engine kind %s to its documented code', (kind, error) => {
      const res = mapAuthEngineError(tagOperation(error, 'otp-validate'));
      const [status, code] = EXPECTED[kind as OtpErrorKind];
      expect(res.status).toBe(status);
      expect(statusOf(res.body)).toEqual({ success: false, code, message: expect.any(String) });
      expect(Object.keys(res.body as object)).toEqual(['status']);
    });

    it.each<[Operation, OtpError, number]>([
      ['otp-generate', new DestinationLockedError('locked'), AE_CODES.MAX_OTPS],
      ['otp-validate', new DestinationLockedError('locked'), AE_CODES.MAX_OTP_ATTEMPTS],
      ['token', new ServiceUnavailableError('down'), AE_CODES.UNABLE_TO_GENERATE_TOKEN],
      ['otp-generate', new ServiceUnavailableError('down'), AE_CODES.UNABLE_TO_GENERATE_OTP],
      ['otp-validate', new ServiceUnavailableError('down'), AE_CODES.UNABLE_TO_VALIDATE_OTP],
    ])('reads the operation %s for %p as code %i', (operation, error, code) => {
      expect(statusOf(mapAuthEngineError(tagOperation(error, operation)).body).code).toBe(code);
    });

    it('maps an invalid code field to 1506 and a template problem to 1519', () => {
      expect(statusOf(mapAuthEngineError(new InvalidInputError('code', 'bad')).body).code).toBe(1506);
      expect(statusOf(mapAuthEngineError(new InvalidInputError('template', 'bad')).body).code).toBe(1519);
    });

    it('maps an invalid identifierType to 1546 and other schema problems to 1519', () => {
      const schema = z.object({ identifierType: z.enum(['MOBILE']), brand: z.string() });
      const badType = schema.safeParse({ identifierType: 'FAX', brand: 'B' }).error;
      const noBrand = schema.safeParse({ identifierType: 'MOBILE' }).error;
      expect(mapAuthEngineError(badType)).toEqual({
        status: 400,
        body: { status: { success: false, code: 1546, message: 'Invalid identifierType passed' } },
      });
      expect(mapAuthEngineError(noBrand).status).toBe(400);
      expect(statusOf(mapAuthEngineError(noBrand).body)).toMatchObject({
        code: 1519,
        message: /^Invalid details/,
      });
    });

    it('maps malformed JSON to 400/1519 and other HTTP errors to their status', () => {
      const malformed = mapAuthEngineError(createError(415, 'Invalid or malformed JSON was provided'));
      expect(malformed).toEqual({
        status: 400,
        body: { status: { success: false, code: 1519, message: 'Malformed request body' } },
      });
      expect(mapAuthEngineError(createError(413, 'Request body too large')).status).toBe(413);
      expect(statusOf(mapAuthEngineError(createError(404, 'Route does not exist')).body).code).toBe(404);
    });

    it('masks anything unexpected as a 500 that names nothing', () => {
      const res = mapAuthEngineError(new TypeError('secret 123456 +919940000000'));
      expect(res).toEqual({
        status: 500,
        body: { status: { success: false, code: 500, message: 'Internal error' } },
      });
    });

    it.each(Object.entries(refusals))('maps the refusal %s with its own code and status', (_, make) => {
      const refusal = make();
      const res = mapAuthEngineError(refusal);
      expect(res).toEqual(refusal.response);
      const { status } = res.body as { status: { success: boolean; code: number; message: string } };
      expect(status.success).toBe(false);
      expect(status.code).toBeGreaterThanOrEqual(1505);
      expect(refusal.reason).toBe(`capillary-auth-${status.code}`);
      expect([400, 403]).toContain(res.status);
    });
  });

  describe('tagOperation', () => {
    it('keeps the first operation an error was tagged with', () => {
      const error = tagOperation(
        tagOperation(new DestinationLockedError('x'), 'otp-generate'),
        'otp-validate',
      );
      expect(statusOf(mapAuthEngineError(error).body).code).toBe(AE_CODES.MAX_OTPS);
    });
  });
});
