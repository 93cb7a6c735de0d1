import { describe, expect, it } from '@jest/globals';
import { issue } from '../../../shared/engine';
import { RateLimitedError } from '../../../shared/errors';
import { engineHarness, phoneDelivery, rejection, smsIssue, testTenant } from '../../support/harness';

const PHONE = '+919876543219';

describe('engine', () => {
  describe('recipient window', () => {
    it('sends a request that fills the whole window (as many messages as it holds), then refuses the next', async () => {
      // Was a DynamoDB ValidationException (an unused :zero in the window's update), i.e. a 500.
      const tenant = testTenant({ policy: { maxMessagesPerRecipientWindow: 2 } });
      const h = await engineHarness();
      const both = [phoneDelivery('SMS', PHONE), phoneDelivery('VOICE', PHONE)];
      await expect(
        issue(h.deps, smsIssue(tenant, PHONE, 'test:a', { deliveries: both })),
      ).resolves.toMatchObject({
        resent: false,
      });
      expect(h.sent).toHaveLength(2);
      const refused = await rejection(issue(h.deps, smsIssue(tenant, PHONE, 'test:b')), RateLimitedError);
      expect(refused.reason).toBe('recipient-window');
    });
  });
});
