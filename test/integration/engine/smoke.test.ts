import { describe, expect, it } from '@jest/globals';
import { issue, verify } from '../../../shared/engine';
import { BUILT_IN_TEMPLATES } from '../../../shared/templates';
import { engineHarness, lastCode, testTenant } from '../../support/harness';

describe('engine smoke', () => {
  it('issues and verifies once', async () => {
    const h = await engineHarness();
    const tenant = testTenant();
    const req = {
      tenant,
      purpose: 'test:login',
      subject: '+919955882233',
      deliveries: [{ channel: 'SMS' as const, to: '+919955882233' }],
      content: { ...BUILT_IN_TEMPLATES },
    };
    h.requests.reset();
    const issued = await issue(h.deps, req);
    expect(h.requests.counts).toEqual({ TransactWriteItemsCommand: 1 });
    const code = lastCode(h.sent);
    expect(code).toMatch(/^\d{6}$/);
    h.clock.advance(31_000);
    h.requests.reset();
    const again = await issue(h.deps, req);
    expect(h.requests.counts).toEqual({ TransactWriteItemsCommand: 2 });
    expect(again.challengeId).toBe(issued.challengeId);
    expect(lastCode(h.sent)).toBe(code);
    await expect(
      verify(h.deps, {
        tenant,
        purpose: 'test:login',
        subject: '+919955882233',
        code: '000000' === code ? '111111' : '000000',
      }),
    ).rejects.toThrow('Invalid code');
    h.requests.reset();
    await verify(h.deps, { tenant, purpose: 'test:login', subject: '+919955882233', code });
    expect(h.requests.counts).toEqual({ TransactWriteItemsCommand: 1 });
    await expect(
      verify(h.deps, { tenant, purpose: 'test:login', subject: '+919955882233', code }),
    ).rejects.toThrow('No active code');
  });
});
