import { describe, expect, it } from '@jest/globals';
import { createError } from '@middy/util';
import * as z from 'zod';
import { mapV2Error } from '../../../shared/dialects/capillary-v2/errors';
import { InvalidInputError, type OtpErrorKind } from '../../../shared/errors';
import { oneOfEachEngineError } from '../../support/engine-errors';

/** [HTTP status, vendor code, entity:false present] for every engine error kind (README, seed 004). */
const EXPECTED: Record<OtpErrorKind, [number, number, boolean]> = {
  'invalid-input': [400, 8056, false],
  'country-not-allowed': [400, 8056, false],
  'rate-limited': [429, 429, false],
  'destination-locked': [429, 429, true],
  'no-active-code': [400, 604, true],
  'code-expired': [400, 604, true],
  'invalid-code': [400, 605, true],
  'too-many-attempts': [400, 605, true],
  'delivery-failed': [503, 606, false],
  'service-unavailable': [503, 503, false],
  unauthorized: [401, 401, false],
};

describe('capillary-v2 errors', () => {
  describe('mapV2Error', () => {
    it.each(Object.entries(oneOfEachEngineError()))(
      'maps the engine kind %s to its vendor code',
      (kind, error) => {
        const [status, code, entityFalse] = EXPECTED[kind as OtpErrorKind];
        const res = mapV2Error(error);
        expect(res.status).toBe(status);
        expect(res.body).toEqual({
          ...(entityFalse ? { entity: false } : {}),
          errors: [{ code, message: expect.any(String) }],
          warnings: [],
        });
      },
    );

    it.each([
      ['template', 608],
      ['channel', 603],
      ['identifier', 602],
    ] as const)('maps an invalid %s to %i', (field, code) => {
      expect(mapV2Error(new InvalidInputError(field, 'bad')).body).toMatchObject({ errors: [{ code }] });
    });

    it.each([
      ['action', 600],
      ['entityType', 601],
      ['entityValue', 602],
      ['channels', 603],
      ['code', 605],
      ['template', 608],
      ['somethingElse', 602],
    ])('maps a schema problem in %s to %i', (field, code) => {
      const result = z.object({ [field]: z.string() }).safeParse({});
      expect(result.success).toBe(false);
      const res = mapV2Error(result.error);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ errors: [{ code }] });
    });

    it('maps malformed JSON to 400 and a route miss to 404, in the vendor shape', () => {
      expect(mapV2Error(createError(415, 'Invalid or malformed JSON was provided'))).toMatchObject({
        status: 400,
        body: { errors: [{ code: 400, message: 'Malformed request body' }], warnings: [] },
      });
      expect(mapV2Error(createError(404, 'Route does not exist')).status).toBe(404);
    });

    it('masks anything unexpected as a 500 without details', () => {
      const res = mapV2Error(new Error('secret detail 123456 +919876543210'));
      expect(res).toEqual({
        status: 500,
        body: { errors: [{ code: 500, message: 'Internal error' }], warnings: [] },
      });
    });

    it('asks for credentials on a 401', () => {
      expect(mapV2Error(oneOfEachEngineError().unauthorized).headers?.['www-authenticate']).toContain(
        'Basic',
      );
    });
  });
});
