import type * as z from 'zod';
import { fitsCodePolicy } from './crypto';
import { normalizeEmail, parseE164 } from './phone';
import { type AutofillOptions, withAutofill } from './sms-autofill';
import { smsSegments } from './sms-segments';
import {
  assertEmailTemplate,
  assertTemplate,
  BUILT_IN_LOCALES,
  type LocalizedTemplates,
  render,
} from './templates';
import { type Tenant, tenantSchema } from './tenants';

/** Does the tenant's policy let SMS reach India (`IN`, or every region)? */
const allowsIndia = (tenant: Tenant): boolean =>
  tenant.policy.allowedRegions.some((r) => r === 'IN' || r === '*');

/** Every SMS text a tenant's recipients may get, with where it comes from. */
const smsTexts = (tenant: Tenant): Array<{ path: Array<string | number>; label: string; text: string }> => [
  ...Object.entries(BUILT_IN_LOCALES).map(([locale, t]) => ({
    path: ['smsAutofill'],
    label: `the built-in ${locale} SMS`,
    text: t.sms,
  })),
  ...Object.entries(tenant.templates).flatMap(([key, t]) => [
    ...(t.sms ? [{ path: ['templates', key, 'sms'], label: `templates.${key}.sms`, text: t.sms }] : []),
    ...Object.entries(t.locales ?? {}).flatMap(([locale, l]) =>
      l.sms
        ? [
            {
              path: ['templates', key, 'locales', locale, 'sms'],
              label: `templates.${key}.locales.${locale}.sms`,
              text: l.sms,
            },
          ]
        : [],
    ),
  ]),
];

/**
 * What the autofill lines do to an SMS text: its segments without them and with them, for the
 * longest code the tenant issues (every code has the tenant's length; digits and letters are all
 * GSM-7, so the worst case is any code of that length).
 */
export const autofillCost = (text: string, codeLength: number, autofill: AutofillOptions) => {
  const code = '9'.repeat(codeLength);
  const plain = render(text, code);
  return { plain: smsSegments(plain), withAutofill: smsSegments(withAutofill(plain, code, autofill)) };
};

/** Reports a template check as an issue at `path` instead of a throw. */
const checkTemplate = (ctx: z.RefinementCtx, path: Array<string | number>, check: () => void) => {
  try {
    check();
  } catch (error) {
    ctx.addIssue({ code: 'custom', path, message: (error as Error).message });
  }
};

/**
 * The form a test destination is matched in (shared/engine/test-destinations.ts): E.164 for a
 * phone, `normalizeEmail`'s form for an e-mail; undefined when it is neither.
 */
const canonicalDestination = (to: string): string | undefined =>
  to.trim().startsWith('+') ? parseE164(to.trim())?.e164 : normalizeEmail(to);

/**
 * Test destinations must be written exactly as requests are matched, so what the operator reads
 * in the record is what matches (no second spelling of a number to surprise anyone), each at most
 * once, with a code the tenant could have sent: its length and alphabet, so every dialect's code
 * format takes it (app-otp takes digits only, the numeric dialects pad to the length).
 */
/** Shortest code a tenant with test destinations may have (its fixed codes are guessed across days). */
export const MIN_TEST_CODE_LENGTH = 6;

const checkTestDestinations = (tenant: Tenant, ctx: z.RefinementCtx) => {
  const seen = new Set<string>();
  const { codeLength, codeAlphabet } = tenant.policy;
  // A fixed code has no lifetime guess budget: each listed destination's daily failure budget
  // (20, anonymous 10) starts again every day, so 100 destinations sharing a 4-digit code would
  // fall in about 2.5 days of guessing; at 6 digits it is decades (SECURITY.md T1).
  if (tenant.testDestinations.length > 0 && codeLength < MIN_TEST_CODE_LENGTH) {
    ctx.addIssue({
      code: 'custom',
      path: ['policy', 'codeLength'],
      message: `test destinations need codes of at least ${MIN_TEST_CODE_LENGTH} characters: a fixed code is guessed across days`,
    });
  }
  tenant.testDestinations.forEach(({ to, code }, i) => {
    const canonical = canonicalDestination(to);
    if (canonical === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['testDestinations', i, 'to'],
        message: 'not a valid E.164 phone number (+15005550006) or e-mail address',
      });
    } else if (canonical !== to) {
      ctx.addIssue({
        code: 'custom',
        path: ['testDestinations', i, 'to'],
        message: `write it as ${canonical}, the form requests are matched in`,
      });
    } else if (seen.has(canonical)) {
      ctx.addIssue({ code: 'custom', path: ['testDestinations', i, 'to'], message: 'listed twice' });
    }
    if (canonical !== undefined) seen.add(canonical);
    if (!fitsCodePolicy(code, codeLength, codeAlphabet)) {
      ctx.addIssue({
        code: 'custom',
        path: ['testDestinations', i, 'code'],
        message:
          codeAlphabet === 'numeric'
            ? `${codeLength} digits (policy.codeLength), like every code of this tenant`
            : `${codeLength} characters of 23456789ABCDEFGHJKMNPQRSTUVWXYZ (policy.codeLength, policy.codeAlphabet)`,
      });
    }
  });
};

/**
 * A fallback workflow that could never run as written is refused: steps out of order, a step due
 * after the code has expired, more steps than the code may be sent (`maxSendsPerCode` counts the
 * request's own send too), or a voice step without the voice channel configured.
 */
const checkFallback = (tenant: Tenant, ctx: z.RefinementCtx) => {
  const { policy } = tenant;
  for (const [purpose, { steps }] of Object.entries(tenant.fallback)) {
    const path = ['fallback', purpose, 'steps'];
    const issue = (message: string, at: Array<string | number> = []) =>
      ctx.addIssue({ code: 'custom', path: [...path, ...at], message });
    if (steps.length >= policy.maxSendsPerCode)
      issue(
        `${steps.length} steps and the first send exceed policy.maxSendsPerCode (${policy.maxSendsPerCode})`,
      );
    steps.forEach((step, i) => {
      const previous = steps[i - 1];
      if (previous && step.afterSeconds <= previous.afterSeconds)
        issue('afterSeconds must grow from step to step (each counts from the first send)', [
          i,
          'afterSeconds',
        ]);
      if (step.afterSeconds >= policy.ttlSeconds)
        issue(`due after the code expires (policy.ttlSeconds ${policy.ttlSeconds})`, [i, 'afterSeconds']);
      if (step.channel === 'VOICE' && !tenant.channels.voice)
        issue('a VOICE step needs channels.voice', [i, 'channel']);
    });
  }
};

/**
 * A tenant as it may be written (admin CLI `tenant put`, the local demo). Stricter than
 * `tenantSchema`, which also reads stored records and must keep reading one saved before a rule
 * existed (refusing it there would take the tenant down); `tenant put` of that record then says
 * what to fix. On top of the record's shape it refuses:
 * - a template key without exactly one code placeholder (seed 004), in any locale;
 * - a tenant that allows `IN` without DLT ids: Indian carriers drop SMS whose sender entity and
 *   text template are not registered with TRAI's DLT platform, so every send would be charged
 *   and lost;
 * - an SMS text (built-in or the tenant's, any locale) that is one segment on its own but two or
 *   more with the tenant's autofill lines: the lines would double what every SMS costs. A text
 *   already longer than a segment was a choice and stays allowed.
 * - a test destination not written as it is matched, listed twice, or whose code the tenant
 *   could not have sent (`checkTestDestinations`).
 */
export const tenantConfigSchema = tenantSchema.superRefine((tenant, ctx) => {
  checkTestDestinations(tenant, ctx);
  for (const [key, t] of Object.entries(tenant.templates)) {
    const parts: Array<[Array<string>, string, LocalizedTemplates]> = [
      [['templates', key], key, t],
      ...Object.entries(t.locales ?? {}).map(([locale, l]): [Array<string>, string, LocalizedTemplates] => [
        ['templates', key, 'locales', locale],
        `${key} ${locale}`,
        l,
      ]),
    ];
    for (const [path, what, texts] of parts) {
      const { sms, email } = texts;
      if (sms) checkTemplate(ctx, [...path, 'sms'], () => assertTemplate(sms, `${what} SMS`));
      // A part with neither body nor html is already refused by the record's shape.
      if (email && (email.body ?? email.html) !== undefined)
        checkTemplate(ctx, [...path, 'email'], () => assertEmailTemplate(email, `${what} e-mail`));
    }
  }
  if (allowsIndia(tenant) && !tenant.dlt) {
    ctx.addIssue({
      code: 'custom',
      path: ['dlt'],
      message:
        'A tenant that allows IN needs dlt.entityId and dlt.templateId (TRAI DLT registration): Indian carriers drop SMS without them. Register, or remove IN from policy.allowedRegions',
    });
  }
  checkFallback(tenant, ctx);
  const { smsAutofill } = tenant;
  if (!smsAutofill.domain && !smsAutofill.appHash) return;
  for (const { path, label, text } of smsTexts(tenant)) {
    const cost = autofillCost(text, tenant.policy.codeLength, smsAutofill);
    if (cost.plain.segments === 1 && cost.withAutofill.segments > 1) {
      ctx.addIssue({
        code: 'custom',
        path,
        message: `${label} is one ${cost.plain.encoding} segment, but ${cost.withAutofill.segments} with the autofill lines (smsAutofill): shorten the text or the domain`,
      });
    }
  }
});
