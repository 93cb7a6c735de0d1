import { describe, expect, it } from '@jest/globals';
import { SEED_GENERATE } from '../../local/demo/summitai';
import { authParts, rawEvent, runRaw, securityHarness } from '../support/security';

/** Names that find a member of Object.prototype when used as a plain object key. */
const PROTOTYPE_NAMES = ['__proto__', 'constructor', 'toString', 'hasOwnProperty'];

describe('security', () => {
  describe('prototype keys in dispatch values', () => {
    it.each(PROTOTYPE_NAMES)('answers SummitAI ServiceName %s with a 400 in the envelope', async (name) => {
      const h = await securityHarness();
      const { result } = await runRaw(
        h.handlers.summitai,
        rawEvent({
          method: 'POST',
          path: '/adm/service',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ ...SEED_GENERATE, ServiceName: name }),
        }),
      );
      expect(result?.statusCode).toBe(400);
      expect(JSON.parse(result?.body ?? '{}')).toMatchObject({
        Errors: expect.stringContaining('ServiceName'),
      });
      expect(h.sent).toHaveLength(0);
    });

    it.each(PROTOTYPE_NAMES)('answers LoginRadius smsotptype %s with 400 / 1182', async (name) => {
      const h = await securityHarness();
      const { result } = await runRaw(
        h.handlers.loginradius,
        rawEvent({
          method: 'POST',
          path: `/identity/v2/manage/account/smsotp/${name}`,
          headers: { 'content-type': 'application/json' },
          query: authParts('loginradius', h.clock.now()).query ?? null,
          body: JSON.stringify({ Phone: '+919876543210' }),
        }),
      );
      expect(result?.statusCode).toBe(400);
      expect(JSON.parse(result?.body ?? '{}')).toMatchObject({ ErrorCode: 1182 });
      expect(h.sent).toHaveLength(0);
    });
  });
});
