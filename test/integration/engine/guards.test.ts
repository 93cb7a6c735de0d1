import { DeleteItemCommand, PutItemCommand, type TransactWriteItem } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { describe, expect, it } from '@jest/globals';
import { issue, verify } from '../../../shared/engine';
import type { Guard } from '../../../shared/engine/types';
import { InvalidCodeError } from '../../../shared/errors';
import { tenantConfigSchema } from '../../../shared/tenant-config';
import {
  dayCounters,
  engineHarness,
  lastCode,
  readChallenge,
  readItem,
  rejection,
  smsIssue,
  testTenant,
  verifyOf,
  wrongCodeFor,
} from '../../support/harness';

/**
 * A dialect's guard (`IssueRequest.guard`, `VerifyRequest.guard`) inside the engine's own
 * transactions, against DynamoDB Local, with a stand-in for capillary-auth's session: an item
 * whose presence is the guard's condition. Every transaction of a send and of a verify's answer
 * carries the check; when it fails, nothing of that transaction is written and the dialect's
 * refusal is thrown instead of anything the engine would say.
 */

const PHONE = '+919812345670';
/** A US number listed as a test destination (a tenant that allows IN needs DLT registration). */
const US_TEST = '+12015550123';
const SESSION = { pk: 'GUARD#session', sk: 'G' };

class SessionGone extends Error {}

type Harness = Awaited<ReturnType<typeof engineHarness>>;

const openSession = (h: Harness) =>
  h.ddb.send(new PutItemCommand({ TableName: h.tableName, Item: marshall({ ...SESSION, device: 'd1' }) }));
const endSession = (h: Harness) =>
  h.ddb.send(new DeleteItemCommand({ TableName: h.tableName, Key: marshall(SESSION) }));

const guardOf = (h: Harness, extra: Partial<Guard> = {}): Guard => ({
  check: {
    ConditionCheck: {
      TableName: h.tableName,
      Key: marshall(SESSION),
      ConditionExpression: 'attribute_exists(pk)',
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    },
  },
  refusal: () => new SessionGone('session ended'),
  ...extra,
});

/** The session's own delete, carrying the guard's condition (capillary-auth's right guess). */
const sessionDelete = (h: Harness): TransactWriteItem => ({
  Delete: {
    TableName: h.tableName,
    Key: marshall(SESSION),
    ConditionExpression: 'attribute_exists(pk)',
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  },
});

describe('engine › a dialect guard in the engine transactions', () => {
  it('sends a fresh code while the guard holds, and charges and writes nothing once it fails', async () => {
    const h = await engineHarness();
    const tenant = testTenant();
    await openSession(h);
    await issue(h.deps, { ...smsIssue(tenant, PHONE), guard: guardOf(h) });
    expect(h.sent).toHaveLength(1);

    await endSession(h);
    const other = '+919812345671';
    await rejection(issue(h.deps, { ...smsIssue(tenant, other), guard: guardOf(h) }), SessionGone);
    expect(h.sent).toHaveLength(1);
    expect(await readChallenge(h, tenant, 'test:login', other)).toBeUndefined();
    expect(await dayCounters(h.ddb, h.tableName, tenant, other, h.clock.now())).toEqual({
      sends: 0,
      failures: 0,
      tenantSends: 1,
    });
  });

  it('refuses a resend once the guard fails, leaving the code as it was', async () => {
    const h = await engineHarness();
    const tenant = testTenant();
    await openSession(h);
    const req = { ...smsIssue(tenant, PHONE), guard: guardOf(h) };
    await issue(h.deps, req);
    await endSession(h);
    h.clock.advance(120_000);
    await rejection(issue(h.deps, req), SessionGone);
    expect(h.sent).toHaveLength(1);
    expect((await readChallenge(h, tenant, req.purpose, PHONE))?.sendCount).toBe(1);
  });

  it("puts a test destination's code in one transaction with the check", async () => {
    const h = await engineHarness();
    const tenant = tenantConfigSchema.parse({
      ...testTenant({ policy: { allowedRegions: ['US'] } }),
      testDestinations: [{ to: US_TEST, code: '123456' }],
    });
    await rejection(issue(h.deps, { ...smsIssue(tenant, US_TEST), guard: guardOf(h) }), SessionGone);
    expect(await readChallenge(h, tenant, 'test:login', US_TEST)).toBeUndefined();
    await openSession(h);
    const first = await issue(h.deps, { ...smsIssue(tenant, US_TEST), guard: guardOf(h) });
    expect(await readChallenge(h, tenant, 'test:login', US_TEST)).toMatchObject({ test: true });
    // A second generate under the guard while the code lives: the put fails on the live code, and
    // answers as the resend of that code (the refused transaction names it), writing nothing.
    const again = await issue(h.deps, { ...smsIssue(tenant, US_TEST), guard: guardOf(h) });
    expect(again).toMatchObject({ challengeId: first.challengeId, resent: true, sendCount: 1 });
    // Without a guard the test code is one conditional PutItem (parallel generates serialise on
    // the item instead of cancelling each other's transactions).
    h.requests.reset();
    await issue(h.deps, smsIssue(tenant, US_TEST, 'test:unguarded'));
    expect(h.requests.counts).toMatchObject({ PutItemCommand: 1 });
    expect(h.requests.counts).not.toHaveProperty('TransactWriteItemsCommand');
    await expect(
      verify(h.deps, { ...verifyOf(smsIssue(tenant, US_TEST), '123456'), guard: guardOf(h) }),
    ).resolves.toEqual({
      verifiedAt: h.clock.now(),
    });
  });

  it('answers a wrong guess while the guard holds; once it fails, gives the reserved guess back and charges no failure', async () => {
    const h = await engineHarness();
    const tenant = testTenant();
    await openSession(h);
    const req = smsIssue(tenant, PHONE);
    await issue(h.deps, req);
    const wrong = { ...verifyOf(req, wrongCodeFor(lastCode(h.sent))), guard: guardOf(h) };
    await rejection(verify(h.deps, wrong), InvalidCodeError);
    await endSession(h);
    await rejection(verify(h.deps, wrong), SessionGone);
    expect(await readChallenge(h, tenant, req.purpose, PHONE)).toMatchObject({ attempts: 1 });
    expect((await dayCounters(h.ddb, h.tableName, tenant, PHONE, h.clock.now())).failures).toBe(1);
  });

  it('does not consume a right guess once the guard fails', async () => {
    const h = await engineHarness();
    const tenant = testTenant();
    const req = smsIssue(tenant, PHONE);
    await issue(h.deps, req);
    const right = { ...verifyOf(req, lastCode(h.sent)), guard: guardOf(h) };
    await rejection(verify(h.deps, right), SessionGone);
    expect(await readChallenge(h, tenant, req.purpose, PHONE)).toMatchObject({ attempts: 0 });
    expect((await readChallenge(h, tenant, req.purpose, PHONE))?.consumedAt).toBeUndefined();
    await openSession(h);
    await expect(verify(h.deps, right)).resolves.toEqual({ verifiedAt: h.clock.now() });
  });

  it("lets a right guess's own write carry the check (one transaction names an item once)", async () => {
    const h = await engineHarness();
    const tenant = testTenant();
    const req = smsIssue(tenant, PHONE);
    await issue(h.deps, req);
    const right = {
      ...verifyOf(req, lastCode(h.sent)),
      guard: guardOf(h, { carriedBy: 'session' }),
      onSuccess: { session: sessionDelete(h) },
    };
    // The session is gone: its delete fails, and that is the guard's refusal.
    await rejection(verify(h.deps, right), SessionGone);
    expect((await readChallenge(h, tenant, req.purpose, PHONE))?.consumedAt).toBeUndefined();
    // With the session open the guess is answered and the session ends with it.
    await openSession(h);
    await expect(verify(h.deps, right)).resolves.toEqual({ verifiedAt: h.clock.now() });
    expect(await readItem(h.ddb, h.tableName, SESSION)).toBeUndefined();
    // A wrong guess has no such write: the check goes in on its own.
    const other = smsIssue(tenant, PHONE, 'test:other');
    await issue(h.deps, other);
    const wrong = {
      ...verifyOf(other, wrongCodeFor(lastCode(h.sent))),
      guard: guardOf(h, { carriedBy: 'session' }),
      onSuccess: { session: sessionDelete(h) },
    };
    await rejection(verify(h.deps, wrong), SessionGone);
    // Nor has a right guess whose request brings no such write.
    const bare = { ...verifyOf(other, lastCode(h.sent)), guard: guardOf(h, { carriedBy: 'session' }) };
    await rejection(verify(h.deps, bare), SessionGone);
  });

  it("ranks a refusal decided before any check by the guard's own verdict", async () => {
    const h = await engineHarness();
    const tenant = testTenant({ policy: { allowedRegions: ['US'] } });
    const recheck = async () => new SessionGone('session ended');
    await rejection(
      issue(h.deps, { ...smsIssue(tenant, PHONE), guard: guardOf(h, { recheck }) }),
      SessionGone,
    );
    // No code to guess: the guard still answers first.
    await rejection(
      verify(h.deps, { ...verifyOf(smsIssue(tenant, PHONE), '123456'), guard: guardOf(h, { recheck }) }),
      SessionGone,
    );
  });
});
