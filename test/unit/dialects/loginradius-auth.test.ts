import { describe, expect, it } from '@jest/globals';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { signingInputs } from '../../../shared/dialects/loginradius/auth';
import { requestUrl, withinExpiryWindow } from '../../../shared/http/auth';

const event = (overrides: Partial<APIGatewayProxyEvent>): APIGatewayProxyEvent =>
  ({
    path: '/identity/v2/manage/account/smsotp/forgotpassword',
    headers: { Host: 'otp.example.com' },
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    ...overrides,
  }) as APIGatewayProxyEvent;

describe('loginradius auth', () => {
  describe('requestUrl', () => {
    it('rebuilds the URL the client addressed: host, base path, every query value in order', () => {
      const url = requestUrl(
        event({
          path: '/otp/identity/v2/manage/account/smsotp/forgotpassword',
          multiValueQueryStringParameters: { apiKey: ['k 1'], x: ['1', '2'] },
        }),
      );
      expect(url).toBe(
        'https://otp.example.com/otp/identity/v2/manage/account/smsotp/forgotpassword?apiKey=k%201&x=1&x=2',
      );
    });

    it('falls back to the single-value query and leaves out an empty one', () => {
      expect(requestUrl(event({ queryStringParameters: { apiKey: 'k' } }))).toBe(
        'https://otp.example.com/identity/v2/manage/account/smsotp/forgotpassword?apiKey=k',
      );
      expect(requestUrl(event({ headers: { host: 'h' } }))).toBe(
        'https://h/identity/v2/manage/account/smsotp/forgotpassword',
      );
    });
  });

  describe('signingInputs', () => {
    it('normalises the URL encoding (decode, then encode) and lower-cases it; the SDK 11 form ignores URL and body', () => {
      const [bound] = signingInputs('2026-12-05 10:00:00', 'https://H/p?Phone=%2B91', '{"a":1}');
      expect(bound).toBe('2026-12-05 10:00:00:https%3a%2f%2fh%2fp%3fphone%3d%2b91:{"a":1}');
      expect(signingInputs('e', 'https://h/p', '')).toEqual(['e:https%3a%2f%2fh%2fp', 'e:undefined']);
    });
  });

  describe('withinExpiryWindow', () => {
    const limits = { maxLifetimeMs: 3_600_000, skewMs: 300_000 };
    it('takes an expiry from 5 min past to 1 h 5 min ahead, and nothing outside', () => {
      const now = 1_000_000_000;
      expect(withinExpiryWindow(now - 300_000, now, limits)).toBe(true);
      expect(withinExpiryWindow(now - 300_001, now, limits)).toBe(false);
      expect(withinExpiryWindow(now + 3_900_000, now, limits)).toBe(true);
      expect(withinExpiryWindow(now + 3_900_001, now, limits)).toBe(false);
    });
  });
});
