import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from '@jest/globals';
import type { OutboundMessage } from '../../../shared/channels/types';
import { issue, verify } from '../../../shared/engine';
import type { EngineDeps, IssueRequest } from '../../../shared/engine/types';
import {
  DeliveryFailedError,
  DestinationLockedError,
  InvalidCodeError,
  NoActiveCodeError,
  RateLimitedError,
} from '../../../shared/errors';
import {
  engineHarness,
  keysFor,
  lastCode,
  phoneDelivery,
  readChallenge,
  readItem,
  rejection,
  smsIssue,
  testTenant,
  verifyOf,
  wrongCodeFor,
} from '../../support/harness';

/**
 * The races of one code, each played out at the exact point where it matters: a competing
 * request runs to completion between two writes of the request under test (a deterministic
 * interleaving, not a burst that may or may not hit the window). Each closes one condition of
 * store/challenges.ts; scripts/condition-mutations.ts drops that condition and these tests must
 * fail (docs/MUTATION.md).
 */

const SUBJECT = '+919812345670';
const OTHER = '+919812345671';
const MINUTE = 60_000;

/**
 * Runs `competitor` (once) just before the `nth` request (1-based) named `command` that the
 * client sends from now on, for which `when` holds: the request under test then meets the item
 * as the competitor left it. The competitor's own requests pass the hook untouched.
 */
const racedBy = (
  ddb: DynamoDBClient,
  command: string,
  competitor: () => Promise<unknown>,
  options: { nth?: number; when?: (input: Record<string, unknown>) => boolean } = {},
) => {
  let seen = 0;
  let fired = false;
  let running = false;
  const name = `race-${Math.random()}`;
  ddb.middlewareStack.add(
    (next, context) => async (args) => {
      const matches =
        !fired &&
        !running &&
        context.commandName === command &&
        (options.when?.(args.input as Record<string, unknown>) ?? true);
      if (matches && ++seen === (options.nth ?? 1)) {
        fired = true;
        running = true;
        try {
          await competitor();
        } finally {
          running = false;
        }
      }
      return next(args);
    },
    { step: 'initialize', name },
  );
  return { fired: () => fired };
};

describe('engine › races of one code', () => {
  it('guess vs consume: a right guess whose code another right guess consumed meanwhile is refused', async () => {
    const h = await engineHarness();
    const tenant = testTenant();
    const req = smsIssue(tenant, SUBJECT);
    await issue(h.deps, req);
    const code = lastCode(h.sent);
    const other = racedBy(h.ddb, 'TransactWriteItemsCommand', () => verify(h.deps, verifyOf(req, code)));
    // Both reserved an attempt on the live code; the competitor consumes it first.
    await rejection(verify(h.deps, verifyOf(req, code)), NoActiveCodeError);
    expect(other.fired()).toBe(true);
    const item = await readChallenge(h, tenant, req.purpose, SUBJECT);
    expect(item).toMatchObject({ attempts: 2 });
    expect(item?.consumedAt).toBe(h.clock.now());
  });

  it('guess vs consume: a wrong guess after the code was used is neither compared nor charged', async () => {
    const h = await engineHarness();
    const tenant = testTenant();
    const req = smsIssue(tenant, SUBJECT);
    await issue(h.deps, req);
    const code = lastCode(h.sent);
    await verify(h.deps, verifyOf(req, code));
    await rejection(verify(h.deps, verifyOf(req, wrongCodeFor(code))), NoActiveCodeError);
    const keys = keysFor(tenant, req.purpose, SUBJECT, h.clock.now());
    expect(await readItem(h.ddb, h.tableName, keys.challenge)).toMatchObject({ attempts: 1 });
    expect((await readItem(h.ddb, h.tableName, keys.destinationDay))?.failures).toBeUndefined();
  });

  it('guess vs replace: a right guess of a code replaced after its reservation consumes nothing', async () => {
    const h = await engineHarness();
    const tenant = testTenant({ policy: { ttlSeconds: 60 } });
    const req = smsIssue(tenant, SUBJECT);
    await issue(h.deps, req);
    const first = lastCode(h.sent);
    const clock = h.deps.now;
    let replaced = '';
    racedBy(h.ddb, 'TransactWriteItemsCommand', async () => {
      // The first code expires and a new one takes its place before the guess's transaction.
      h.clock.advance(2 * MINUTE);
      await issue(h.deps, req);
      replaced = lastCode(h.sent);
    });
    // The guess was reserved while the first code was live, at the request's own clock.
    await rejection(verify({ ...h.deps, now: clock }, verifyOf(req, first)), NoActiveCodeError);
    expect(replaced).not.toBe('');
    const item = await readChallenge(h, tenant, req.purpose, SUBJECT);
    expect(item?.consumedAt).toBeUndefined();
    await expect(verify(h.deps, verifyOf(req, replaced))).resolves.toEqual({ verifiedAt: h.clock.now() });
  });

  it('guess vs replace: the attempt given back by a locked recipient never lands on the new code', async () => {
    const h = await engineHarness();
    const tenant = testTenant({ policy: { ttlSeconds: 60, maxDailyFailuresPerDestination: 2 } });
    // The first code goes to OTHER, whose day gets locked; the second to SUBJECT.
    const toOther = smsIssue(tenant, SUBJECT, 'test:login', { deliveries: [phoneDelivery('SMS', OTHER)] });
    await issue(h.deps, toOther);
    const first = lastCode(h.sent);
    for (let i = 0; i < 2; i++)
      await rejection(verify(h.deps, verifyOf(toOther, wrongCodeFor(first))), InvalidCodeError);
    const reservedAt = h.clock.now();
    racedBy(
      h.ddb,
      'UpdateItemCommand',
      async () => {
        h.clock.advance(2 * MINUTE);
        await issue(h.deps, smsIssue(tenant, SUBJECT));
        // One wrong guess on the new code: its attempts are 1, and must stay 1.
        await rejection(verify(h.deps, verifyOf(toOther, wrongCodeFor(lastCode(h.sent)))), InvalidCodeError);
      },
      { when: (input) => input.UpdateExpression === 'ADD attempts :minus' },
    );
    // The guess on the first code is reserved, then refused by OTHER's lock, and its attempt given back.
    await rejection(
      verify({ ...h.deps, now: () => reservedAt }, verifyOf(toOther, first)),
      DestinationLockedError,
    );
    const item = await readChallenge(h, tenant, toOther.purpose, SUBJECT);
    expect(item).toMatchObject({ attempts: 1, sendCount: 1 });
  });

  it('guess vs consume and lock: a right guess whose code was used and whose recipient was locked meanwhile is refused as locked', async () => {
    const h = await engineHarness();
    const tenant = testTenant({ policy: { maxDailyFailuresPerDestination: 2 } });
    const req = smsIssue(tenant, SUBJECT);
    await issue(h.deps, req);
    const code = lastCode(h.sent);
    racedBy(h.ddb, 'TransactWriteItemsCommand', async () => {
      // Another right guess uses the code, then wrong guesses at another code of the same
      // number lock the number's day.
      await verify(h.deps, verifyOf(req, code));
      const other = smsIssue(tenant, SUBJECT, 'test:other');
      await issue(h.deps, other);
      for (let i = 0; i < 2; i++)
        await rejection(verify(h.deps, verifyOf(other, wrongCodeFor(lastCode(h.sent)))), InvalidCodeError);
    });
    // Both of the guess's conditions fail (recipient locked, code consumed): the lock is the answer.
    await rejection(verify(h.deps, verifyOf(req, code)), DestinationLockedError);
    const outcomes = h.logLines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l.purpose === req.purpose && l.message === 'otp rejected')
      .map((l) => l.outcome);
    expect(outcomes).toEqual(['locked']);
  });

  it('resend vs lock: a resend of a code locked by wrong guesses meanwhile sends nothing', async () => {
    const h = await engineHarness();
    const tenant = testTenant({ policy: { maxAttemptsPerCode: 3 } });
    const req = smsIssue(tenant, SUBJECT);
    await issue(h.deps, req);
    const code = lastCode(h.sent);
    h.clock.advance(MINUTE);
    // The resend read the code with attempts left (its fresh write was refused); the guesses
    // then lock it before the resend's own write.
    racedBy(
      h.ddb,
      'TransactWriteItemsCommand',
      async () => {
        for (let i = 0; i < 3; i++)
          await rejection(verify(h.deps, verifyOf(req, wrongCodeFor(code))), InvalidCodeError);
      },
      { nth: 2 },
    );
    await rejection(issue(h.deps, req), RateLimitedError);
    expect(h.sent).toHaveLength(1);
    const item = await readChallenge(h, tenant, req.purpose, SUBJECT);
    expect(item).toMatchObject({ attempts: 3, sendCount: 1 });
  });

  it('resend vs verify: a resend of a code consumed meanwhile sends nothing', async () => {
    const h = await engineHarness();
    const tenant = testTenant();
    const req = smsIssue(tenant, SUBJECT);
    await issue(h.deps, req);
    const code = lastCode(h.sent);
    h.clock.advance(MINUTE);
    racedBy(h.ddb, 'TransactWriteItemsCommand', () => verify(h.deps, verifyOf(req, code)), { nth: 2 });
    await rejection(issue(h.deps, req), RateLimitedError);
    expect(h.sent).toHaveLength(1);
    const item = await readChallenge(h, tenant, req.purpose, SUBJECT);
    expect(item).toMatchObject({ sendCount: 1, consumedAt: h.clock.now() });
  });

  it('resend vs replace: a resend of a code replaced meanwhile (by a request with a slower clock) sends nothing', async () => {
    const h = await engineHarness();
    const tenant = testTenant();
    const req = smsIssue(tenant, SUBJECT);
    await issue(h.deps, req);
    const first = lastCode(h.sent);
    const issuedAt = h.clock.now();
    h.clock.advance(40_000);
    // Between the resend's refused fresh write and its own write, the code is used and another
    // request (whose clock is 35 s behind) issues a new one: the resend gap alone would not stop
    // the resend from counting the new code and sending the used one.
    racedBy(
      h.ddb,
      'TransactWriteItemsCommand',
      async () => {
        await verify(h.deps, verifyOf(req, first));
        await issue({ ...h.deps, now: () => issuedAt + 5_000 }, req);
      },
      { nth: 2 },
    );
    await rejection(issue(h.deps, req), RateLimitedError);
    expect(h.sent.map((m) => m.code)).toHaveLength(2);
    const item = await readChallenge(h, tenant, req.purpose, SUBJECT);
    expect(item).toMatchObject({ sendCount: 1, lastSentAt: issuedAt + 5_000 });
  });

  /**
   * Issues `req` at the harness clock's current time through an SMS sender whose first send fails
   * after the code expired and another request replaced it (that request's message is delivered),
   * then checks the rollback of the failed send left the new code whole and verifiable.
   */
  const rollbackAfterReplace = async (
    h: Awaited<ReturnType<typeof engineHarness>>,
    req: IssueRequest,
    replaced: Record<string, unknown>,
  ) => {
    const at = h.clock.now();
    const delivered: OutboundMessage[] = [];
    const deps: EngineDeps = {
      ...h.deps,
      now: () => at,
      senders: {
        ...h.deps.senders,
        SMS: async (m: OutboundMessage) => {
          if (deps.now() !== at) {
            delivered.push(m);
            return;
          }
          // While this send hangs, its code expires and another request replaces it.
          h.clock.advance(2 * MINUTE);
          deps.now = h.clock.now;
          await issue(deps, req);
          throw Object.assign(new Error('provider down'), { name: 'ProviderError' });
        },
      },
    };
    await rejection(issue(deps, req), DeliveryFailedError);
    expect(delivered).toHaveLength(1);
    const key = keysFor(req.tenant, req.purpose, SUBJECT, h.clock.now()).challenge;
    expect(await readItem(h.ddb, h.tableName, key)).toMatchObject({ ...replaced, sendCount: 1 });
    await expect(verify(h.deps, verifyOf(req, delivered[0]?.code ?? ''))).resolves.toBeDefined();
  };

  it('rollback vs replace: an undelivered fresh code rolled back after a replacement leaves the new code', async () => {
    const h = await engineHarness();
    const req = smsIssue(testTenant({ policy: { ttlSeconds: 60 } }), SUBJECT);
    await rollbackAfterReplace(h, req, {});
  });

  it('rollback vs replace: an undelivered resend rolled back after a replacement leaves the new code', async () => {
    const h = await engineHarness();
    const req = smsIssue(testTenant({ policy: { ttlSeconds: 60 } }), SUBJECT);
    await issue(h.deps, req);
    h.clock.advance(40_000);
    await rollbackAfterReplace(h, req, { lastSentAt: h.clock.now() + 2 * MINUTE });
  });
});
