import type { TransactWriteItem } from '@aws-sdk/client-dynamodb';
import type { OutboundMessage, ReceiptRef } from '../channels/types';
import { generateCode, normalizeCode, openCode, randomId, safeEqual, sealCode } from '../crypto';
import { pastDeadline } from '../deadline';
import {
  DeliveryFailedError,
  DestinationLockedError,
  InvalidInputError,
  RateLimitedError,
  TooManyAttemptsError,
} from '../errors';
import { maskDestination } from '../mask';
import { APP_HASH, withAutofill } from '../sms-autofill';
import {
  type ChallengeItem,
  claimStep,
  markResent,
  putFresh,
  putFreshAlone,
  type Reservation,
  undoSend,
} from '../store/challenges';
import {
  chargeRecipientDay,
  chargeRecipientWindow,
  refundRecipientDay,
  refundRecipientWindow,
  type Trust,
  tenantDay,
  tenantDayKey,
  tenantDayKeys,
  tenantDayShards,
  tenantDayShare,
} from '../store/counters';
import { Transaction, type TransactionResult } from '../store/dynamo';
import { challengeKey, HOUR_MS, recipientPk } from '../store/keys';
import {
  breakerClosed,
  breakerHour,
  breakerKeys,
  breakerPreviousHour,
  breakerShards,
  prefixHour,
} from '../store/pumping';
import { baseOf, MAX_RESHARDS, pickWithRoom, randomShard, readAll, shardPk } from '../store/shards';
import {
  DEFAULT_LOCALE,
  type LocalizedTemplates,
  localeCandidates,
  render,
  renderHtml,
  spellOut,
} from '../templates';
import type { Policy } from '../tenants';
import { CHANNEL_SEND_DEADLINE_MS } from '../timeouts';
import { codeHash, noteAad, sealAad } from './challenge';
import { fallbackPlan, scheduleStep, sealPlan } from './fallback-plan';
import { GuardWatch } from './guard';
import { emit, refusalEvents, sendEvents } from './lifecycle';
import { planSends, type SendPlan } from './plan';
import { issueModeOf } from './test-destinations';
import type { Delivery, DeliveryResult, EngineDeps, Issued, IssueRequest } from './types';
import { auditCounters, countersOf, type WholeRefusal, wholeRefusal } from './whole-limits';

/**
 * The texts of the locale a recipient gets: the request's locale, else the tenant's choice for
 * the phone's region, else the tenant's default; each tried most specific first (`pt-br`, `pt`)
 * and skipped when the content has no texts for it. English is the dialect's own texts.
 */
const localeTexts = (d: Delivery, req: IssueRequest): LocalizedTemplates | undefined => {
  const { locales } = req.tenant;
  const region = d.channel === 'EMAIL' ? undefined : d.phone.region;
  const chosen = [req.locale, region ? locales.byRegion[region] : undefined, locales.default];
  for (const locale of chosen.flatMap(localeCandidates)) {
    const texts = req.content.translations?.[locale];
    if (texts) return texts;
    if (locale === DEFAULT_LOCALE) return undefined;
  }
  return undefined;
};

/**
 * The DLT ids of an SMS (only an SMS asks) to India (TRAI): the locale's or template's id, else
 * the tenant's.
 */
const dltFor = (region: string | undefined, req: IssueRequest, texts: LocalizedTemplates | undefined) => {
  const { dlt } = req.tenant;
  if (region !== 'IN' || !dlt) return undefined;
  return {
    entityId: dlt.entityId,
    templateId: texts?.dltTemplateId ?? req.content.dltTemplateId ?? dlt.templateId,
  };
};

/** Builds the message a channel sends; the code enters the text here and nowhere earlier. */
const messageFor = (d: Delivery, req: IssueRequest, code: string, receipt: ReceiptRef): OutboundMessage => {
  const { tenant, content } = req;
  const base = {
    channel: d.channel,
    tenantId: tenant.tenantId,
    to: d.to,
    code,
    settings: tenant.channels,
    receipt,
  };
  const texts = localeTexts(d, req);
  const sms = texts?.sms ?? content.sms;
  switch (d.channel) {
    case 'EMAIL': {
      const email = texts?.email ?? content.email;
      return {
        ...base,
        // A subject may carry the code too ("{{ validation_code }} is your code"): rendered, never sent literally.
        subject: render(email.subject, code),
        // Without a text body SES gets a text part derived from the HTML (shared/channels/ses.ts).
        text: email.body === undefined ? '' : render(email.body, code),
        ...(email.html !== undefined && { html: renderHtml(email.html, code) }),
      };
    }
    case 'VOICE':
      return { ...base, text: render(texts?.voice ?? content.voice, spellOut(code)) };
    case 'WHATSAPP':
      return { ...base, text: render(sms, code), templateName: content.whatsappTemplateName };
    case 'ZALO':
      return { ...base, text: render(sms, code), templateName: content.zaloTemplateId };
    default: {
      const autofill = { ...tenant.smsAutofill, ...(req.appHash !== undefined && { appHash: req.appHash }) };
      const dlt = dltFor(d.phone.region, req, texts);
      return { ...base, text: withAutofill(render(sms, code), code, autofill), ...(dlt && { dlt }) };
    }
  }
};

/** Sends to every channel in parallel; one failing channel never stops the others. */
/** Rejects with a ChannelTimeoutError when `send` has not settled within `ms`. */
const withinDeadline = async (send: Promise<void>, ms: number): Promise<void> => {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(Object.assign(new Error('Channel send timed out'), { name: 'ChannelTimeoutError' })),
      ms,
    );
  });
  try {
    await Promise.race([send, deadline]);
  } finally {
    clearTimeout(timer);
  }
};

const deliverAll = async (
  deps: EngineDeps,
  req: IssueRequest,
  code: string,
  receipt: ReceiptRef,
): Promise<DeliveryResult[]> =>
  Promise.all(
    req.deliveries.map(async (d): Promise<DeliveryResult> => {
      const sender = deps.senders[d.channel];
      const to = maskDestination(d.to);
      // The request was already answered 503 by the early timeout: send nothing behind it.
      if (pastDeadline()) return { channel: d.channel, to: d.to, ok: false, error: 'provider-error' };
      if (!sender) {
        deps.logger.warn('channel not configured', { channel: d.channel, to, challengeId: receipt.id });
        return { channel: d.channel, to: d.to, ok: false, error: 'not-configured' };
      }
      try {
        // A provider that never answers is cut off here, so the other channels' answer is not
        // held back; the abandoned send may still land later (if every channel failed, the code
        // it carries has been rolled back and no longer verifies).
        await withinDeadline(sender(messageFor(d, req, code, receipt)), CHANNEL_SEND_DEADLINE_MS);
        return { channel: d.channel, to: d.to, ok: true };
      } catch (error) {
        // The provider's error names only the provider's problem; the code is not in it.
        deps.logger.warn('channel send failed', {
          channel: d.channel,
          to,
          challengeId: receipt.id,
          error: error instanceof Error ? error.name : 'unknown',
        });
        return { channel: d.channel, to: d.to, ok: false, error: 'provider-error' };
      }
    }),
  );

/** Seconds until 00:00 UTC, when the daily counters roll over. */
const secondsToNextUtcDay = (now: number): number => {
  const d = new Date(now);
  return Math.ceil((Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1) - now) / 1000);
};

/** Seconds from `now` to the start of the UTC hour `hours` after the current one. */
const secondsToHour = (now: number, hours: number): number =>
  Math.ceil(((Math.floor(now / HOUR_MS) + hours) * HOUR_MS - now) / 1000);

/** Recipients plus breaker regions one code may gather (its verify transaction holds one item each). */
const MAX_CODE_FANOUT = 90;

/** Recipient and breaker partitions a resend added to its code. */
type Added = { recipients: string[]; breakers: string[] };

/** Everything one send works with, derived once per request. */
interface SendContext {
  deps: EngineDeps;
  req: IssueRequest;
  policy: Policy;
  trust: Trust;
  pepper: Buffer;
  now: number;
  key: { pk: string; sk: string };
  plan: SendPlan;
  /** The shard of each sharded counter this request charges; re-picked when one refuses. */
  shards: Shards;
  /** The sharded counters whose period is irregular (whole-limits.ts): judged whole after the charge. */
  irregular: ReturnType<typeof auditCounters>;
  /** The dialect's guard, checked in every transaction of the send. */
  guard: GuardWatch;
}

/** The tenant day's shard, and each breaker region's (by its index in `plan.breakers`). */
interface Shards {
  tenantDay: number;
  breakers: number[];
}

/** The breaker shard partitions this request charges (a verify credits exactly these). */
const chargedBreakers = (ctx: SendContext): string[] =>
  ctx.plan.breakers.map((b, i) => shardPk(b.pk, ctx.shards.breakers[i] ?? 0));

/**
 * The charges of one send, each a named item: the tenant's day, every recipient's day and
 * window, every prefix's hour and every breaker region's current and previous hour.
 */
const charges = (ctx: SendContext, tx: Transaction): Transaction => {
  const { deps, policy, trust, now, plan, shards } = ctx;
  tx.add(
    'tenantDay',
    tenantDay(deps.tableName, ctx.req.tenant.tenantId, shards.tenantDay, plan.messages, policy, now),
  );
  plan.recipients.forEach((r, i) => {
    tx.add(`recipientDay:${i}`, chargeRecipientDay(deps.tableName, r.pk, r.messages, policy, trust, now));
    tx.add(
      `recipientWindow:${i}`,
      chargeRecipientWindow(deps.tableName, r.pk, r.messages, policy, trust, now),
    );
  });
  plan.prefixes.forEach((p, i) => {
    tx.add(`prefix:${i}`, prefixHour(deps.tableName, p.pk, p.messages, policy, now));
  });
  plan.breakers.forEach((b, i) => {
    const shard = shards.breakers[i] ?? 0;
    tx.add(`breaker:${i}`, breakerHour(deps.tableName, b.pk, shard, b.messages, policy, now));
    tx.add(`breakerPrevious:${i}`, breakerPreviousHour(deps.tableName, b.pk, shard, policy, now));
  });
  return tx;
};

/** Items of a send that are sharded: a refusal by one of them may be only that shard's. */
const isSharded = (name: string) =>
  name === 'tenantDay' || name.startsWith('breaker:') || name.startsWith('breakerPrevious:');

/**
 * After a send refused by shards only (the tenant's day, a breaker region; the challenge may have
 * failed too), reads every shard of each refusing counter in one BatchGetItem and re-picks, at
 * random, a shard with room (store/shards.ts). False when a refusing counter has no shard with
 * room, or something unsharded refused: then the refusal stands. Costs two round trips (this
 * read and the retried transaction), and only near a limit.
 */
const reshard = async (ctx: SendContext, result: TransactionResult): Promise<boolean> => {
  const { deps, policy, now, plan } = ctx;
  const tenantId = ctx.req.tenant.tenantId;
  const failed = result.failures();
  if (failed.some((n) => !isSharded(n) && n !== 'challenge')) return false;
  const tenantFull = failed.includes('tenantDay');
  const regions = plan.breakers.flatMap((b, i) =>
    failed.includes(`breaker:${i}`) || failed.includes(`breakerPrevious:${i}`)
      ? [{ base: b.pk, i, messages: b.messages }]
      : [],
  );
  // A counter of one shard has nowhere else to go.
  if (tenantFull && tenantDayShards(policy) === 1) return false;
  if (regions.length > 0 && breakerShards(policy) === 1) return false;
  if (!tenantFull && regions.length === 0) return false;
  const breakerShardKeys = (base: string) =>
    Array.from({ length: breakerShards(policy) }, (_, s) => breakerKeys(base, s, now));
  const items = await readAll(deps.ddb, deps.tableName, [
    ...(tenantFull ? tenantDayKeys(tenantId, policy, now) : []),
    ...regions.flatMap((r) => breakerShardKeys(r.base).flatMap((k) => [k.current, k.previous])),
  ]);
  const at = (k: { pk: string; sk: string }) => items.get(`${k.pk}|${k.sk}`);
  if (tenantFull) {
    const shard = pickWithRoom(
      tenantDayShards(policy),
      (s) =>
        Number(at(tenantDayKey(tenantId, s, now))?.sends ?? 0) + plan.messages <= tenantDayShare(policy, s),
    );
    if (shard === undefined) return false;
    ctx.shards.tenantDay = shard;
  }
  for (const r of regions) {
    const keys = breakerShardKeys(r.base);
    const shard = pickWithRoom(keys.length, (s) => {
      const k = keys[s];
      return (
        k !== undefined &&
        breakerClosed(at(k.current), policy, s, r.messages) &&
        breakerClosed(at(k.previous), policy, s)
      );
    });
    if (shard === undefined) return false;
    ctx.shards.breakers[r.i] = shard;
  }
  return true;
};

/**
 * Runs the charges of a send with its challenge write, re-picking refusing shards
 * (`reshard`) up to `MAX_RESHARDS` times. `challenge` is built per try: it records the breaker
 * shards charged.
 */
const chargeAndWrite = async (
  ctx: SendContext,
  challenge: () => TransactWriteItem,
): Promise<TransactionResult> => {
  for (let tries = 0; ; tries++) {
    const result = await charges(ctx, new Transaction())
      .add('challenge', challenge())
      .add('guard', ctx.guard.check)
      .run(ctx.deps.ddb);
    ctx.guard.settle(result);
    if (result.ok || tries >= MAX_RESHARDS || !(await reshard(ctx, result))) return result;
  }
};

/** The refusal of a cancelled send whose charges failed, or undefined when only the challenge did. */
const chargeRefusal = (ctx: SendContext, result: TransactionResult) => {
  const { policy, now } = ctx;
  const failed = result.failures();
  const dayFailure = failed.find((n) => n.startsWith('recipientDay:'));
  if (dayFailure) {
    const old = result.old(dayFailure);
    const failures = Number(old?.failures ?? 0);
    const anonFailures = Number(old?.anonFailures ?? 0);
    const locked =
      failures >= policy.maxDailyFailuresPerDestination ||
      (ctx.trust === 'anonymous' && anonFailures >= policy.anonymous.maxDailyFailures);
    return locked
      ? new DestinationLockedError('Too many failed verifications for this recipient today')
      : new RateLimitedError('destination-daily', secondsToNextUtcDay(now));
  }
  if (failed.some((n) => n.startsWith('recipientWindow:'))) {
    return new RateLimitedError('recipient-window', policy.recipientWindowSeconds);
  }
  if (failed.includes('tenantDay')) return new RateLimitedError('tenant-daily', secondsToNextUtcDay(now));
  if (failed.some((n) => n.startsWith('prefix:'))) {
    return refusedForPumping(ctx, new RateLimitedError('prefix-velocity', secondsToHour(now, 1)));
  }
  if (failed.some((n) => n.startsWith('breaker:'))) {
    return refusedForPumping(ctx, new RateLimitedError('conversion-breaker', secondsToHour(now, 2)));
  }
  if (failed.some((n) => n.startsWith('breakerPrevious:'))) {
    return refusedForPumping(ctx, new RateLimitedError('conversion-breaker', secondsToHour(now, 1)));
  }
  return undefined;
};

/** The refusal of a send that a whole limit gave back (whole-limits.ts). */
const wholeLimitError = (ctx: SendContext, refusal: WholeRefusal) => {
  if (refusal === 'tenant-daily') return new RateLimitedError('tenant-daily', secondsToNextUtcDay(ctx.now));
  const hours = refusal === 'breaker-current' ? 2 : 1;
  return refusedForPumping(ctx, new RateLimitedError('conversion-breaker', secondsToHour(ctx.now, hours)));
};

/** Logs a pumping refusal for the operator (which defence, which caller) and returns it. */
const refusedForPumping = (ctx: SendContext, error: RateLimitedError) => {
  ctx.deps.logger.warn('sms pumping defence refused a send', {
    tenant: ctx.req.tenant.tenantId,
    purpose: ctx.req.purpose,
    subject: maskDestination(ctx.req.subject),
    reason: error.reason,
    caller: ctx.trust,
  });
  return error;
};

/**
 * Issues a code: a new one, or the live one again (same code, same attempt count) when the
 * subject already has one for this purpose. A fresh code costs one TransactWriteItems (charges +
 * challenge); a resend costs two (the refused fresh write, then the resend write). Every message
 * is charged to its recipient before anything is sent; a refusal anywhere charges nothing.
 *
 * Cut off by a fault (the store, or the handler's early timeout), a generate errs on the side of
 * "charged, code live, maybe not delivered", never "live code without its charge": the code and
 * its charges are one transaction, so either both exist or neither does. Cut off before that
 * transaction commits, nothing is left. Cut off after it (its response lost, or the deadline
 * firing during delivery or before the rollback of an all-failed delivery), the charge and the
 * live code stay and the client got a 503; its retry re-sends that same code once the resend gap
 * has passed (test/security/faults.test.ts, "keeps one code when every response … is lost"). The
 * charge is the safe side: it can only make the limits stricter, never let an extra message out.
 */
export const issue = async (deps: EngineDeps, req: IssueRequest): Promise<Issued> => {
  // Stryker disable next-line BooleanLiteral: equivalent; every error thrown before `test` is set (no channel, the app hash, issueModeOf's) is an InvalidInputError of a field other than `phone`, which refusalEvents does not tell, so the flag is never read before it is set.
  let test = false;
  const guard = new GuardWatch(req.guard);
  try {
    if (req.deliveries.length === 0) throw new InvalidInputError('channel', 'No channel to send to');
    // A dialect passes the caller's app hash through; it becomes a line of the SMS, so anything but
    // 11 base64 characters (a newline, a second origin-bound line) is refused before any write.
    if (req.appHash !== undefined && !APP_HASH.test(req.appHash))
      throw new InvalidInputError(
        'template',
        'The app hash must be 11 characters of base64 (A-Z a-z 0-9 + /)',
      );
    const mode = issueModeOf(req);
    test = mode.test;
    return mode.test ? await issueTestCode(deps, req, mode.code, guard) : await issueCode(deps, req, guard);
  } catch (error) {
    // A dialect's guard ranks first; its refusal is the dialect's, not the engine's, and is not told.
    const ranked = await guard.rank(error);
    if (ranked !== error) throw ranked;
    // The one place a refused generate is seen whole, whichever rule refused it.
    await emit(deps, refusalEvents(deps, req, error, test));
    throw error;
  }
};

/**
 * A fresh challenge for `code`, sent to `recipients` (partition keys): the one item shape of an
 * ordinary and a test code.
 */
const freshChallenge = (
  req: IssueRequest,
  pepper: Buffer,
  key: { pk: string; sk: string },
  code: string,
  recipients: Set<string>,
  now: number,
): ChallengeItem => {
  const { ttlSeconds } = req.tenant.policy;
  const id = randomId();
  return {
    ...key,
    id,
    codeHash: codeHash(pepper, key, code),
    sealed: sealCode(pepper, sealAad(key, id), code),
    expiresAt: now + ttlSeconds * 1000,
    attempts: 0,
    sendCount: 1,
    lastSentAt: now,
    createdAt: now,
    binding: req.binding ?? {},
    ...(req.note !== undefined && { note: sealCode(pepper, noteAad(key, id), req.note) }),
    channels: req.deliveries.map((d) => d.channel),
    recipients,
    // TTL deletes late (up to 48 h in AWS); reads check expiresAt themselves.
    ttl: Math.ceil((now + ttlSeconds * 1000) / 1000) + 60,
  };
};

/**
 * Issues a test destination's fixed code (README "Test destinations"): one conditional PutItem
 * and nothing else. No number policy (nothing is sent, and test numbers such as +1 500 555 0006
 * are types no channel may reach), no send limit, no pumping counter, no provider call; a
 * generate while the code is live answers as a resend and writes nothing, so a load test's
 * parallel generates never trip a limit. What stays: the code is single use, and its guesses are
 * reserved and charged to its recipients' daily failure budget at verify like any other code's,
 * so whoever knows the test number but not the code gets no more guesses than elsewhere.
 */
const issueTestCode = async (
  deps: EngineDeps,
  req: IssueRequest,
  code: string,
  guard: GuardWatch,
): Promise<Issued> => {
  const { tenant } = req;
  if (req.code !== undefined && normalizeCode(req.code) !== code)
    throw new InvalidInputError('code', 'A test destination takes its fixed code only');
  const pepper = await deps.pepper();
  const now = deps.now();
  const key = challengeKey(pepper, tenant.tenantId, req.purpose, req.subject);
  const recipients = new Set(req.deliveries.map((d) => recipientPk(pepper, tenant.tenantId, d.to)));
  const item: ChallengeItem = { ...freshChallenge(req, pepper, key, code, recipients, now), test: true };
  const fresh = await putTestCode(deps, item, now, guard);
  if (fresh.ok) return finishTest(deps, req, item, false);
  const old = fresh.old;
  if (!old) throw new Error('Test issue refused without the live item');
  // A code that went to a real address is live for this subject (its contact, or the list, just
  // changed): it is not taken over, and no fixed code replaces it before it ends.
  if (!old.test)
    throw new InvalidInputError('channel', 'A code sent to another destination is live for this subject');
  if (old.attempts >= tenant.policy.maxAttemptsPerCode)
    throw new TooManyAttemptsError('The code is locked until it expires');
  // The tenant changed the fixed code while this one was live: answering "sent" would promise a
  // code that does not verify.
  if (!safeEqual(old.codeHash, codeHash(pepper, key, code)))
    throw new InvalidInputError('code', 'The live test code predates a change of the fixed code');
  return finishTest(deps, req, old, true);
};

/**
 * A test code's put: one conditional PutItem, or with a dialect's guard a transaction of the two
 * (a test number on capillary-auth still needs a live session).
 */
const putTestCode = async (
  deps: EngineDeps,
  item: ChallengeItem,
  now: number,
  guard: GuardWatch,
): Promise<Reservation> => {
  if (!guard.check) return putFreshAlone(deps.ddb, deps.tableName, item, now);
  const result = await new Transaction()
    .add('challenge', putFresh(deps.tableName, item, now))
    .add('guard', guard.check)
    .run(deps.ddb);
  guard.settle(result);
  return result.ok ? { ok: true, item } : { ok: false, old: result.old<ChallengeItem>('challenge') };
};

/** The answer to a send, from the challenge as sent. */
const issuedOf = (item: ChallengeItem, resent: boolean, results: DeliveryResult[]): Issued => ({
  challengeId: item.id,
  expiresAt: item.expiresAt,
  resent,
  sendCount: item.sendCount,
  binding: item.binding,
  results,
});

/** Answers a test code as sent, without sending: every channel "delivered", nothing left the service. */
const finishTest = async (
  deps: EngineDeps,
  req: IssueRequest,
  item: ChallengeItem,
  resent: boolean,
): Promise<Issued> => {
  const results = req.deliveries.map((d): DeliveryResult => ({ channel: d.channel, to: d.to, ok: true }));
  deps.logger.info('otp issued', {
    tenant: req.tenant.tenantId,
    purpose: req.purpose,
    subject: maskDestination(req.subject),
    challengeId: item.id,
    caller: req.caller ?? 'authenticated',
    resent,
    sendCount: item.sendCount,
    test: true,
    delivered: 0,
  });
  await emit(deps, sendEvents(deps, req, item, results, resent));
  return issuedOf(item, resent, results);
};

/**
 * The context of one send, after the number policy (a refused number writes nothing) and the
 * recipient window's size (a request bigger than the window can never fit) have passed.
 */
const sendContext = (
  deps: EngineDeps,
  req: IssueRequest,
  pepper: Buffer,
  key: { pk: string; sk: string },
  guard = new GuardWatch(req.guard),
): SendContext => {
  const { policy } = req.tenant;
  const trust = req.caller ?? 'authenticated';
  const plan = planSends(pepper, req.tenant, req.deliveries, trust);
  // An anonymous caller meets both windows, whichever is smaller (a share set above the window
  // must not lift it).
  const windowSize =
    trust === 'anonymous'
      ? Math.min(policy.anonymous.maxMessagesPerWindow, policy.maxMessagesPerRecipientWindow)
      : policy.maxMessagesPerRecipientWindow;
  if (plan.recipients.some((r) => r.messages > windowSize)) {
    throw new RateLimitedError('recipient-window', policy.recipientWindowSeconds);
  }
  const shards = {
    tenantDay: randomShard(tenantDayShards(policy)),
    breakers: plan.breakers.map(() => randomShard(breakerShards(policy))),
  };
  const now = deps.now();
  // Read beside the first transaction (no round trip of its own), once per process and period.
  const irregular = auditCounters(
    deps.ddb,
    deps.tableName,
    countersOf(req.tenant.tenantId, policy, plan, now),
    now,
  );
  // Awaited only by a send that commits; a refused one leaves it (and any store fault it meets).
  irregular.catch(() => undefined);
  return { deps, req, policy, trust, pepper, now, key, plan, shards, irregular, guard };
};

const issueCode = async (deps: EngineDeps, req: IssueRequest, guard: GuardWatch): Promise<Issued> => {
  const { policy } = req.tenant;
  const pepper = await deps.pepper();
  const key = challengeKey(pepper, req.tenant.tenantId, req.purpose, req.subject);
  const ctx = sendContext(deps, req, pepper, key, guard);
  const { plan, now } = ctx;

  const code = req.code ?? generateCode(policy.codeLength, policy.codeAlphabet);
  const fresh0 = freshChallenge(req, pepper, key, code, new Set(plan.recipients.map((r) => r.pk)), now);
  const { id } = fresh0;
  // A workflow runs only where something can wait for its steps (deps.scheduler).
  const fallback = deps.scheduler ? fallbackPlan(req) : undefined;
  const base: ChallengeItem = fallback
    ? { ...fresh0, fallback: sealPlan(pepper, key, id, fallback), fallbackStep: 0 }
    : fresh0;
  // A verify credits the breaker shards that counted this code's messages, and only those.
  const withBreakers = (): ChallengeItem => {
    const breakers = chargedBreakers(ctx);
    return breakers.length > 0 ? { ...base, breakers: new Set(breakers) } : base;
  };

  const fresh = await chargeAndWrite(ctx, () => putFresh(deps.tableName, withBreakers(), now));
  if (fresh.ok) {
    const issued = await finish(ctx, { code, item: withBreakers(), resent: false });
    // Only a fresh code starts a workflow: a resend of the live code leaves its workflow running.
    if (fallback && deps.scheduler) {
      const job = { tenantId: req.tenant.tenantId, ...key, id, step: 1 };
      await scheduleStep({ ...deps, scheduler: deps.scheduler }, job, base, fallback);
    }
    return issued;
  }
  const refusal = chargeRefusal(ctx, fresh);
  if (refusal) throw refusal;
  const old = fresh.old<ChallengeItem>('challenge');
  if (!old) throw new Error('Issue transaction cancelled without a reason');
  return resend(ctx, old);
};

/** Sends the live code again, within its send count and resend gap; keeps its attempts. */
const resend = async (ctx: SendContext, old: ChallengeItem): Promise<Issued> => {
  const { deps, policy, now, plan } = ctx;
  // A test destination's fixed code is never sent anywhere else (its subject's contact, or the
  // test list, changed while it was live): the subject waits until it ends, or cancels it.
  if (old.test)
    throw new InvalidInputError(
      'channel',
      'A test code is live for this subject; it is never sent elsewhere',
    );
  if (old.attempts >= policy.maxAttemptsPerCode)
    throw new TooManyAttemptsError('The code is locked until it expires');
  // A resend sends the live code: a client-chosen code that differs would be a second live code.
  if (ctx.req.code !== undefined && !safeEqual(codeHash(ctx.pepper, ctx.key, ctx.req.code), old.codeHash))
    throw new InvalidInputError('code', 'The custom code differs from the live code');
  if (old.sendCount >= policy.maxSendsPerCode) {
    throw new RateLimitedError('sends-per-code', Math.ceil((old.expiresAt - now) / 1000));
  }
  const gapEdge = now - policy.resendGapSeconds * 1000;
  if (old.lastSentAt > gapEdge) {
    throw new RateLimitedError('resend-gap', Math.ceil((old.lastSentAt - gapEdge) / 1000));
  }
  const addedNow = () => ({ recipients: plan.recipients.map((r) => r.pk), breakers: chargedBreakers(ctx) });
  // A verify writes one item per recipient and one breaker credit per region of the code, and a
  // transaction holds at most 100: a resend that would take the code past that is refused like
  // a spent code. Regions, not shards: which shard of a region a charge lands on (re-picked when
  // one refuses) changes nothing the verify writes.
  const recipients = new Set([...(old.recipients ?? []), ...addedNow().recipients]);
  const regions = new Set([...(old.breakers ?? []), ...addedNow().breakers].map(baseOf));
  if (recipients.size + regions.size > MAX_CODE_FANOUT) {
    throw new RateLimitedError('sends-per-code', Math.ceil((old.expiresAt - now) / 1000));
  }
  const result = await chargeAndWrite(ctx, () =>
    markResent(
      deps.tableName,
      old,
      addedNow(),
      { maxSends: policy.maxSendsPerCode, gapEdge, maxAttempts: policy.maxAttemptsPerCode },
      now,
    ),
  );
  const added = addedNow();
  if (!result.ok) {
    const refusal = chargeRefusal(ctx, result);
    if (refusal) throw refusal;
    // Another request resent (or verified) this code between our two writes.
    throw new RateLimitedError('resend-gap', policy.resendGapSeconds);
  }
  const code = openCode(ctx.pepper, sealAad(ctx.key, old.id), old.sealed);
  return finish(ctx, {
    code,
    item: { ...old, sendCount: old.sendCount + 1, lastSentAt: now },
    resent: true,
    // Only what this resend added comes off again if it delivers nothing.
    added: {
      recipients: added.recipients.filter((r) => !old.recipients?.has(r)),
      breakers: added.breakers.filter((b) => !old.breakers?.has(b)),
    },
  });
};

/** Delivers, and rolls the charge back when no channel delivered (nothing charged unsent). */
const finish = async (
  ctx: SendContext,
  sent: { code: string; item: ChallengeItem; resent: boolean; added?: Added; step?: number },
): Promise<Issued> => {
  const { deps, req } = ctx;
  const { item, resent } = sent;
  // Where the shards' shares cannot hold a limit (a limit changed this period, the deploy day of
  // sharding), the committed charge is judged by the whole sum, and given back if it passes.
  const whole = await wholeRefusal(deps.ddb, deps.tableName, await ctx.irregular);
  if (whole) {
    await rollback(ctx, item, resent, sent.added);
    throw wholeLimitError(ctx, whole);
  }
  const results = await deliverAll(deps, req, sent.code, { pk: item.pk, sk: item.sk, id: item.id });
  const delivered = results.filter((r) => r.ok).length;
  deps.logger.info('otp issued', {
    tenant: req.tenant.tenantId,
    purpose: req.purpose,
    subject: maskDestination(req.subject),
    challengeId: item.id,
    caller: ctx.trust,
    resent,
    sendCount: item.sendCount,
    ...(sent.step !== undefined && { fallbackStep: sent.step }),
    delivered,
    failed: results.length - delivered,
  });
  await emit(deps, sendEvents(deps, req, item, results, resent, sent.step));
  if (delivered === 0) {
    await rollback(ctx, item, resent, sent.added);
    throw new DeliveryFailedError('No channel could deliver the code');
  }
  return issuedOf(item, resent, results);
};

/** Undoes a charge whose every delivery failed: every counter given back, the send undone. */
const rollback = async (
  ctx: SendContext,
  item: ChallengeItem,
  resent: boolean,
  added?: Added,
): Promise<void> => {
  const { deps, policy, trust, now, plan, shards } = ctx;
  const tx = new Transaction().add(
    'tenantDay',
    tenantDay(deps.tableName, ctx.req.tenant.tenantId, shards.tenantDay, -plan.messages, policy, now),
  );
  plan.recipients.forEach((r, i) => {
    tx.add(`recipientDay:${i}`, refundRecipientDay(deps.tableName, r.pk, r.messages, trust, now));
    tx.add(`recipientWindow:${i}`, refundRecipientWindow(deps.tableName, r.pk, r.messages, policy, trust));
  });
  plan.prefixes.forEach((p, i) => {
    tx.add(`prefix:${i}`, prefixHour(deps.tableName, p.pk, -p.messages, policy, now));
  });
  plan.breakers.forEach((b, i) => {
    tx.add(
      `breaker:${i}`,
      breakerHour(deps.tableName, b.pk, shards.breakers[i] ?? 0, -b.messages, policy, now),
    );
  });
  const result = await tx.add('challenge', undoSend(deps.tableName, item, resent, added)).run(deps.ddb);
  if (!result.ok)
    deps.logger.warn('rollback of an undelivered code found the challenge changed', { challengeId: item.id });
};

/** How a fallback step's send ended: sent (or tried), or not claimed (`old`: the item as it was). */
export type StepSend =
  /** `refused`: a whole limit gave the claimed send back (`finish`); the step stays spent. */
  | { claimed: true; delivered: boolean; refused?: RateLimitedError }
  | { claimed: false; old: ChallengeItem | undefined };

/**
 * Sends fallback step `step` of the live code `old` to `req.deliveries` (one channel): charged
 * and limited like any send (number policy, recipient window and day, tenant day, prefix,
 * breaker, sends per code), in one transaction with the step's claim on the challenge. A
 * refusal is thrown like a generate's (the caller skips the step); a claim that fails (the code
 * verified, cancelled, expired, locked or replaced, or this step already done) charges nothing.
 * A step whose every channel fails is rolled back like a resend and not tried again.
 */
export const sendStep = async (
  deps: EngineDeps,
  req: IssueRequest,
  old: ChallengeItem,
  step: number,
): Promise<StepSend> => {
  const { policy } = req.tenant;
  const pepper = await deps.pepper();
  const key = { pk: old.pk, sk: old.sk };
  const ctx = sendContext(deps, req, pepper, key);
  const { now } = ctx;
  if (old.sendCount >= policy.maxSendsPerCode) {
    throw new RateLimitedError('sends-per-code', Math.ceil((old.expiresAt - now) / 1000));
  }
  const addedNow = () => ({
    recipients: ctx.plan.recipients.map((r) => r.pk),
    breakers: chargedBreakers(ctx),
  });
  const fanout = new Set([...(old.recipients ?? []), ...addedNow().recipients]).size;
  if (fanout + new Set([...(old.breakers ?? []), ...addedNow().breakers]).size > MAX_CODE_FANOUT) {
    throw new RateLimitedError('sends-per-code', Math.ceil((old.expiresAt - now) / 1000));
  }
  const limits = { maxSends: policy.maxSendsPerCode, maxAttempts: policy.maxAttemptsPerCode };
  const result = await chargeAndWrite(ctx, () =>
    claimStep(deps.tableName, old, step, addedNow(), limits, now),
  );
  if (!result.ok) {
    // The challenge's own condition first: a code that is gone stops the workflow whatever else refused.
    if (result.failures().includes('challenge')) return { claimed: false, old: result.old('challenge') };
    const refusal = chargeRefusal(ctx, result);
    if (refusal) throw refusal;
    throw new Error('Fallback step transaction cancelled without a reason');
  }
  const added = addedNow();
  const code = openCode(pepper, sealAad(key, old.id), old.sealed);
  try {
    await finish(ctx, {
      code,
      item: { ...old, sendCount: old.sendCount + 1, lastSentAt: now, fallbackStep: step },
      resent: true,
      added: {
        recipients: added.recipients.filter((r) => !old.recipients?.has(r)),
        breakers: added.breakers.filter((b) => !old.breakers?.has(b)),
      },
      step,
    });
    return { claimed: true, delivered: true };
  } catch (error) {
    if (error instanceof DeliveryFailedError) return { claimed: true, delivered: false };
    // Given back by a whole limit after the claim (review L4): skipped like a step refused at
    // its charge, not the end of the workflow.
    if (error instanceof RateLimitedError) return { claimed: true, delivered: false, refused: error };
    throw error;
  }
};
