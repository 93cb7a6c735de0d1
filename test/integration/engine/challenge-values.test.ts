import { describe, expect, it } from '@jest/globals';
import { issue, verify } from '../../../shared/engine';
import { readChallenge as readView } from '../../../shared/engine/settle';
import { DeliveryFailedError } from '../../../shared/errors';
import type { ChallengeItem } from '../../../shared/store/challenges';
import {
  breakerTotals,
  engineHarness,
  lastCode,
  phoneDelivery,
  readChallenge,
  recordingSenders,
  rejection,
  smsIssue,
  testTenant,
  verifyOf,
} from '../../support/harness';

/**
 * What a resend records on the challenge (store/challenges.ts) and what the rollback of an
 * undelivered one takes off again, each a value a mutant could change without any other engine
 * test noticing (docs/MUTATION.md).
 */

const PHONE = '+919812345670';
const US_PHONE = '+12015550123';
const RESEND_GAP = 31_000;

describe('engine › challenge values', () => {
  it('records the breaker of a resend to another country, so the verify credits both regions', async () => {
    const h = await engineHarness();
    const tenant = testTenant();
    const now = h.clock.now();
    const req = smsIssue(tenant, PHONE);
    await issue(h.deps, req);
    h.clock.advance(RESEND_GAP);
    await expect(
      issue(h.deps, { ...req, deliveries: [phoneDelivery('SMS', US_PHONE)] }),
    ).resolves.toMatchObject({ resent: true });
    const item = (await readChallenge(h, tenant, req.purpose, PHONE)) as ChallengeItem | undefined;
    expect(item?.recipients.size).toBe(2);
    expect(item?.breakers?.size).toBe(2);

    await verify(h.deps, verifyOf(req, lastCode(h.sent)));
    // Each region one send and one credit.
    for (const region of ['IN', 'US'])
      expect(await breakerTotals(h.ddb, h.tableName, tenant, region, now)).toMatchObject({
        sends: 1,
        verified: 1,
      });
  });

  it('takes the recipient and the breaker an undelivered resend added off the challenge again', async () => {
    const h = await engineHarness();
    const tenant = testTenant();
    const req = smsIssue(tenant, PHONE);
    await issue(h.deps, req);
    const before = (await readChallenge(h, tenant, req.purpose, PHONE)) as ChallengeItem | undefined;
    h.clock.advance(RESEND_GAP);
    h.deps.senders = recordingSenders(['SMS']).senders;
    await rejection(
      issue(h.deps, { ...req, deliveries: [phoneDelivery('SMS', US_PHONE)] }),
      DeliveryFailedError,
    );
    const after = (await readChallenge(h, tenant, req.purpose, PHONE)) as ChallengeItem | undefined;
    expect(after?.recipients).toEqual(before?.recipients);
    expect(after?.breakers).toEqual(before?.breakers);
    expect(after).toMatchObject({ sendCount: 1, lastSentAt: before?.lastSentAt });
  });

  it('reads the challenge with a consistent read (a status right after a verify sees it)', async () => {
    const h = await engineHarness();
    const tenant = testTenant();
    const req = smsIssue(tenant, PHONE);
    await issue(h.deps, req);
    const reads: Record<string, unknown>[] = [];
    h.ddb.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'GetItemCommand') reads.push(args.input as Record<string, unknown>);
        return next(args);
      },
      { step: 'initialize', name: 'recordGetItem' },
    );
    await verify(h.deps, verifyOf(req, lastCode(h.sent)));
    const view = await readView(h.deps, { tenant, purpose: req.purpose, subject: PHONE });
    expect(view?.status).toBe('approved');
    expect(reads).toEqual([expect.objectContaining({ ConsistentRead: true })]);
  });
});
