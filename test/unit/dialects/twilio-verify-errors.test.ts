import { describe, expect, it } from '@jest/globals';
import { createError } from '@middy/util';
import * as z from 'zod';
import { mapTwilioError } from '../../../shared/dialects/twilio-verify/errors';
import { type OtpErrorKind, RateLimitedError, type RateLimitReason } from '../../../shared/errors';
import { Refusal } from '../../../shared/http/refusal';
import { oneOfEachEngineError } from '../../support/engine-errors';

/** [HTTP status, Twilio code] for every engine error kind (docs/dialects/twilio-verify.md). */
const EXPECTED: Record<OtpErrorKind, [number, number]> = {
  'invalid-input': [400, 60200],
  'country-not-allowed': [403, 60605],
  'rate-limited': [429, 60212],
  'destination-locked': [429, 60202],
  'no-active-code': [404, 20404],
  'code-expired': [404, 20404],
  'invalid-code': [400, 60200],
  'too-many-attempts': [429, 60202],
  'delivery-failed': [503, 20503],
  'service-unavailable': [503, 20503],
  unauthorized: [401, 20003],
};

const body = (status: number, code: number) => ({
  code,
  message: expect.any(String),
  more_info: `https://www.twilio.com/docs/errors/${code}`,
  status,
});

describe('twilio-verify errors', () => {
  describe('mapTwilioError', () => {
    it.each(Object.entries(oneOfEachEngineError()))(
      'maps the engine kind %s to its Twilio code',
      (kind, error) => {
        const [status, code] = EXPECTED[kind as OtpErrorKind];
        const res = mapTwilioError(error);
        expect(res.status).toBe(status);
        expect(res.body).toEqual(body(status, code));
      },
    );

    it.each([
      ['resend-gap', 429, 60212],
      ['sends-per-code', 429, 60203],
      ['recipient-window', 429, 60203],
      ['destination-daily', 429, 60203],
      ['tenant-daily', 429, 20429],
      ['prefix-velocity', 403, 60410],
      ['conversion-breaker', 403, 60410],
    ] as const)('maps the send limit %s to %i %i with Retry-After', (reason, status, code) => {
      const res = mapTwilioError(new RateLimitedError(reason as RateLimitReason, 42));
      expect(res).toEqual({ status, body: body(status, code), headers: { 'retry-after': '42' } });
    });

    it('answers 401 with Twilio’s Basic challenge', () => {
      expect(mapTwilioError(oneOfEachEngineError().unauthorized).headers).toEqual({
        'www-authenticate': 'Basic realm="Twilio API"',
      });
    });

    it('maps a schema problem to 60200 naming the parameter, and never echoes the input', () => {
      const error = z.object({ To: z.string().max(3) }).safeParse({ To: '+15017122661' }).error;
      const res = mapTwilioError(error);
      expect(res).toEqual({ status: 400, body: body(400, 60200) });
      expect(JSON.stringify(res.body)).toContain('`To`');
      expect(JSON.stringify(res.body)).not.toContain('5017122661');
    });

    it('maps middy’s 404 to 20404, malformed JSON to 400, anything else to a masked 20500', () => {
      expect(mapTwilioError(createError(404, 'Route does not exist'))).toEqual({
        status: 404,
        body: body(404, 20404),
      });
      expect(mapTwilioError(createError(415, 'Content type malformed')).status).toBe(400);
      const internal = mapTwilioError(new Error('secret detail'));
      expect(internal).toEqual({ status: 500, body: body(500, 20500) });
      expect(JSON.stringify(internal)).not.toContain('secret');
    });

    it('passes a refusal through as the handler built it', () => {
      const response = { status: 400, body: { code: 60200 } };
      expect(mapTwilioError(new Refusal(response, 'x'))).toBe(response);
    });
  });
});
