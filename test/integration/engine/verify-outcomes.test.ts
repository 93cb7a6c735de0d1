import { UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { describe, expect, it } from '@jest/globals';
import { issue, verify } from '../../../shared/engine';
import {
  CodeExpiredError,
  DestinationLockedError,
  InvalidCodeError,
  NoActiveCodeError,
  OtpError,
  TooManyAttemptsError,
} from '../../../shared/errors';
import { recordingEvents } from '../../support/events';
import {
  breakerTotals,
  engineHarness,
  keysFor,
  lastCode,
  phoneDelivery,
  readChallenge,
  readItem,
  rejection,
  scanItems,
  smsIssue,
  testTenant,
  verifyOf,
  wrongCodeFor,
} from '../../support/harness';

/**
 * Branches of verify that a mutant once removed without any test noticing (docs/MUTATION.md):
 * codes written by an older version, codes whose messages counted in no breaker or in two
 * regions, the expiry event, and a verify's own extra write failing its condition.
 */

const PHONE = '+919812345670';
const US_PHONE = '+12015550123';
const EMAIL = 'huckfinn@example.com';
const MINUTE = 60_000;

describe('engine › verify outcomes', () => {
  it('charges a code written before recipients were recorded to its subject, and locks it there', async () => {
    const h = await engineHarness();
    const tenant = testTenant({ policy: { maxDailyFailuresPerDestination: 2 } });
    const req = smsIssue(tenant, PHONE);
    await issue(h.deps, req);
    const code = lastCode(h.sent);
    const keys = keysFor(tenant, req.purpose, PHONE, h.clock.now());
    // The item as an older version wrote it: no `recipients` set.
    await h.ddb.send(
      new UpdateItemCommand({
        TableName: h.tableName,
        Key: marshall(keys.challenge),
        UpdateExpression: 'REMOVE recipients',
      }),
    );
    expect((await readChallenge(h, tenant, req.purpose, PHONE))?.recipients).toBeUndefined();

    await rejection(verify(h.deps, verifyOf(req, wrongCodeFor(code))), InvalidCodeError);
    expect((await readItem(h.ddb, h.tableName, keys.destinationDay))?.failures).toBe(1);
    await rejection(verify(h.deps, verifyOf(req, wrongCodeFor(code))), InvalidCodeError);
    // The subject's day is locked: even the right code is refused, and the code stays unused.
    await rejection(verify(h.deps, verifyOf(req, code)), DestinationLockedError);
    expect((await readItem(h.ddb, h.tableName, keys.destinationDay))?.failures).toBe(2);
    expect(await readChallenge(h, tenant, req.purpose, PHONE)).toMatchObject({ attempts: 2 });
  });

  it('writes no breaker item for a verify of a code no breaker counted (an e-mailed code)', async () => {
    const h = await engineHarness();
    const tenant = testTenant();
    const req = smsIssue(tenant, PHONE, 'test:login', { deliveries: [{ channel: 'EMAIL', to: EMAIL }] });
    await issue(h.deps, req);
    expect((await readChallenge(h, tenant, req.purpose, PHONE))?.breakers).toBeUndefined();
    const keysOf = async () =>
      (await scanItems(h.ddb, h.tableName)).map((i) => `${String(i.pk)} ${String(i.sk)}`).sort();
    const before = await keysOf();
    await verify(h.deps, verifyOf(req, lastCode(h.sent)));
    // The right guess consumed the challenge and checked the recipient's day: no item appeared.
    expect(await keysOf()).toEqual(before);
    expect((await readChallenge(h, tenant, req.purpose, PHONE))?.consumedAt).toBe(h.clock.now());
  });

  it('credits each region of a code sent to two countries once', async () => {
    const h = await engineHarness();
    const tenant = testTenant();
    const now = h.clock.now();
    const req = smsIssue(tenant, PHONE, 'test:login', {
      deliveries: [phoneDelivery('SMS', PHONE), phoneDelivery('SMS', US_PHONE)],
    });
    await issue(h.deps, req);
    await verify(h.deps, verifyOf(req, lastCode(h.sent)));
    // Each region one send and one credit.
    for (const region of ['IN', 'US'])
      expect(await breakerTotals(h.ddb, h.tableName, tenant, region, now)).toMatchObject({
        sends: 1,
        verified: 1,
      });
  });

  it('tells otp.expired for an expired code only, never for a used or locked one', async () => {
    const h = await engineHarness();
    const events = recordingEvents();
    const deps = { ...h.deps, events: events.publisher };
    const tenant = testTenant({ policy: { maxAttemptsPerCode: 2, ttlSeconds: 300 } });

    // Used: refused as no active code.
    const used = smsIssue(tenant, PHONE, 'test:used');
    await issue(deps, used);
    const usedCode = lastCode(h.sent);
    await verify(deps, verifyOf(used, usedCode));
    await rejection(verify(deps, verifyOf(used, usedCode)), NoActiveCodeError);
    // Locked by wrong guesses: refused as too many attempts.
    const locked = smsIssue(tenant, PHONE, 'test:locked');
    await issue(deps, locked);
    const lockedCode = lastCode(h.sent);
    for (let i = 0; i < 2; i++)
      await rejection(verify(deps, verifyOf(locked, wrongCodeFor(lockedCode))), InvalidCodeError);
    await rejection(verify(deps, verifyOf(locked, lockedCode)), TooManyAttemptsError);
    // Never issued.
    await rejection(
      verify(deps, verifyOf(smsIssue(tenant, PHONE, 'test:none'), '123456')),
      NoActiveCodeError,
    );
    expect(events.ofType('otp.expired')).toEqual([]);

    const expiring = smsIssue(tenant, PHONE, 'test:expiring');
    const issued = await issue(deps, expiring);
    h.clock.advance(6 * MINUTE);
    await rejection(verify(deps, verifyOf(expiring, lastCode(h.sent))), CodeExpiredError);
    expect(events.ofType('otp.expired')).toEqual([
      expect.objectContaining({ verificationId: issued.challengeId, attempts: 0 }),
    ]);
  });

  it("fails, naming the write, when a verify's own extra write fails its condition, and consumes nothing", async () => {
    const h = await engineHarness();
    const tenant = testTenant();
    const req = smsIssue(tenant, PHONE);
    await issue(h.deps, req);
    const code = lastCode(h.sent);
    const missing = {
      ConditionCheck: {
        TableName: h.tableName,
        Key: marshall({ pk: 'NO#SUCH', sk: 'ITEM' }),
        ConditionExpression: 'attribute_exists(pk)',
      },
    };
    // Not a refusal of the guess (a dialect would answer it as one): a bug of the caller, a 500.
    const failed = await rejection(
      verify(h.deps, { ...verifyOf(req, code), onSuccess: { marker: missing } }),
      Error,
    );
    expect(failed).not.toBeInstanceOf(OtpError);
    expect(failed.message).toContain('onSuccess:marker');
    // The transaction wrote nothing: the code is unused and verifies without the failing write.
    expect((await readChallenge(h, tenant, req.purpose, PHONE))?.consumedAt).toBeUndefined();
    await expect(verify(h.deps, verifyOf(req, code))).resolves.toEqual({ verifiedAt: h.clock.now() });
  });
});
