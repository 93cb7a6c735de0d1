import { describe, expect, it, jest } from '@jest/globals';
import { fallbackPlan, openPlan, scheduleStep, sealPlan } from '../../shared/engine/fallback-plan';
import type { Scheduler } from '../../shared/engine/scheduler';
import type { EngineDeps, IssueRequest } from '../../shared/engine/types';
import { captureLogger, phoneDelivery, smsIssue, testTenant } from '../support/harness';

/**
 * A fallback workflow's plan and schedule (shared/engine/fallback-plan.ts) on their own: what the
 * plan keeps of a request, where its sealed copy opens, and when a step is scheduled. The
 * fallback integration tests run the steps against DynamoDB Local.
 */

const PHONE = '+919812345670';
const STEPS = [
  { channel: 'VOICE' as const, afterSeconds: 30 },
  { channel: 'EMAIL' as const, afterSeconds: 60 },
];
const tenant = testTenant({ fallback: { 'v2:REGISTRATION': { steps: STEPS } } });
const request = (extra: Partial<IssueRequest> = {}): IssueRequest =>
  smsIssue(tenant, PHONE, 'v2:REGISTRATION:more', {
    deliveries: [phoneDelivery('SMS', PHONE), { channel: 'EMAIL', to: 'ana@example.com' }],
    ...extra,
  });

describe('engine › fallback plan', () => {
  it("keeps the workflow's steps and the request's destinations, caller, locale and app hash", () => {
    const plan = fallbackPlan(request({ caller: 'anonymous', locale: 'hi', appHash: 'AbCdEfGhIjK' }));
    expect(plan).toMatchObject({
      steps: STEPS,
      subject: PHONE,
      phone: PHONE,
      email: 'ana@example.com',
      caller: 'anonymous',
      locale: 'hi',
      appHash: 'AbCdEfGhIjK',
    });
    const bare = fallbackPlan(request());
    expect(bare?.caller).toBe('authenticated');
    expect(bare).not.toHaveProperty('locale');
    expect(bare).not.toHaveProperty('appHash');
    expect(fallbackPlan(smsIssue(tenant, PHONE, 'v2:LOGIN'))).toBeUndefined();
  });

  it('never takes an address under the reserved .invalid domain (the decoy of a username with no contact)', () => {
    for (const to of ['nobody@decoy.invalid', 'nobody@decoy.INVALID', 'nobody@decoy.invalid.']) {
      const plan = fallbackPlan(
        request({ deliveries: [phoneDelivery('SMS', PHONE), { channel: 'EMAIL', to }] }),
      );
      expect(plan).not.toHaveProperty('email');
    }
    const near = 'ana@invalid.example.com';
    expect(fallbackPlan(request({ deliveries: [{ channel: 'EMAIL', to: near }] }))?.email).toBe(near);
  });

  it('opens a sealed plan only for the challenge it was sealed for', () => {
    const pepper = Buffer.from('p'.repeat(32));
    const key = { pk: 'T#t#D#x', sk: 'CH#v2:REGISTRATION' };
    const plan = fallbackPlan(request());
    if (!plan) throw new Error('no plan');
    const sealed = sealPlan(pepper, key, 'c-1', plan);
    expect(openPlan(pepper, key, 'c-1', sealed)).toEqual(plan);
    expect(() => openPlan(pepper, key, 'c-2', sealed)).toThrow();
  });
});

describe('engine › fallback schedule', () => {
  const plan = { steps: STEPS, subject: PHONE, content: {}, caller: 'authenticated' } as never;
  const job = (step: number) => ({ tenantId: 't', pk: 'p', sk: 's', id: 'c-1', step });
  const depsWith = (schedule: Scheduler['schedule']) => {
    const { logger, lines } = captureLogger();
    return {
      deps: { logger, scheduler: { schedule } } as unknown as EngineDeps & { scheduler: Scheduler },
      lines,
    };
  };

  it('schedules a step at its time after the code was issued, while the code is still live', async () => {
    const schedule = jest.fn(async (_job: unknown, _at: number) => undefined);
    const { deps } = depsWith(schedule);
    const challenge = { createdAt: 1_000_000, expiresAt: 1_000_000 + 60_001 };
    await expect(scheduleStep(deps, job(1), challenge, plan)).resolves.toBe(true);
    expect(schedule).toHaveBeenCalledWith(job(1), 1_030_000);
    // Step 2 would fire at expiry + 0: the code is dead by then.
    await expect(scheduleStep(deps, job(2), { ...challenge, expiresAt: 1_060_000 }, plan)).resolves.toBe(
      false,
    );
    // No step 3.
    await expect(scheduleStep(deps, job(3), challenge, plan)).resolves.toBe(false);
    expect(schedule).toHaveBeenCalledTimes(1);
  });

  it('logs a scheduler fault by its name and answers false, without throwing', async () => {
    const { deps, lines } = depsWith(async () => {
      throw Object.assign(new Error('denied'), { name: 'AccessDeniedException' });
    });
    await expect(scheduleStep(deps, job(1), { createdAt: 0, expiresAt: 600_000 }, plan)).resolves.toBe(false);
    const line = JSON.parse(lines[0] ?? '{}') as Record<string, unknown>;
    expect(line).toMatchObject({
      message: 'fallback step could not be scheduled',
      challengeId: 'c-1',
      step: 1,
      error: 'AccessDeniedException',
    });
  });
});
