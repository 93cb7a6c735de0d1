import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { type Answer, caller, DRIVERS, type FlowState } from '../../bench/dialects';
import { PROJECT_ROOT } from '../../lib/constructs/dialect-function';
import { loadDialects } from '../../local/dialects';
import { phoneParses } from '../../shared/phone';
import type { DialectId } from '../../shared/routes';
import { appHarness } from '../support/app-harness';
import { lastCode, wrongCodeFor } from '../support/harness';

/**
 * Issue 10 point 4: a phone number is parsed once per request, where it enters (the dialect), and
 * carried as a `Phone` value from there: the engine, the number policy, the pumping counters and
 * the channels read its fields and never call libphonenumber again. Counted through every
 * dialect's own Lambda handler against DynamoDB Local (shared/phone.ts counts each call of
 * libphonenumber's parser). A number that grows fails; so does one that shrinks, so this table
 * stays what the code does.
 */
const PARSES: Record<DialectId, Record<string, number>> = {
  'capillary-v2': { generate: 1, resend: 1, verifyWrong: 1, verifyRight: 1 },
  loginradius: { generate: 1, resend: 1, verifyWrong: 1, verifyRight: 1 },
  'app-otp': { generate: 1, resend: 1, verifyWrong: 1, verifyRight: 1 },
  // A SummitAI validate names its code by TransactionID: no number in it to parse.
  summitai: { generate: 1, resend: 1, verifyWrong: 0, verifyRight: 0 },
  'capillary-auth': { generate: 1, resend: 1, verifyWrong: 1, verifyRight: 1 },
  'twilio-verify': { generate: 1, resend: 1, verifyWrong: 1, verifyRight: 1 },
};

describe('phone parses per request', () => {
  it.each(Object.keys(PARSES) as DialectId[])(
    '%s parses the number once per generate, resend and verify',
    async (dialect) => {
      const driver = DRIVERS[dialect](8_000_000);
      const h = await appHarness({ tenant: driver.tenantPatch });
      await driver.seed(h.deps, h.tenant.tenantId);
      const handler = (await loadDialects(h.deps)).handlers[dialect];
      if (!handler) throw new Error(`no handler for ${dialect}`);
      const call = caller(handler);
      const measured: Record<string, number> = {};
      const step = async (name: string, work: () => Promise<Answer>, ok = true) => {
        const before = phoneParses();
        const answer = await work();
        measured[name] = phoneParses() - before;
        expect({ name, ok: driver.ok(answer) }).toEqual({ name, ok });
        return answer;
      };

      // Warm the container (tenant, credentials, contact caches) on another user first.
      const warm: FlowState = (await driver.prepare?.(call, 1)) ?? {};
      expect(driver.ok(await call(driver.generate(1, warm)))).toBe(true);

      const state: FlowState = (await driver.prepare?.(call, 2)) ?? {};
      const generated = await step('generate', () => call(driver.generate(2, state)));
      const code = lastCode(h.sent, driver.destination(2));
      h.clock.advance(31_000);
      await step('resend', () => call(driver.generate(2, state)));
      await step('verifyWrong', () => call(driver.verify(2, state, generated, wrongCodeFor(code))), false);
      await step('verifyRight', () => call(driver.verify(2, state, generated, code)));
      expect(measured).toEqual(PARSES[dialect]);
    },
    120_000,
  );

  it('has one caller of the parser, so the count above is every parse', () => {
    const sources = ['shared', 'functions'].flatMap((dir) =>
      readdirSync(path.join(PROJECT_ROOT, dir), { recursive: true, encoding: 'utf8' })
        .filter((f) => f.endsWith('.ts'))
        .map((f) => path.join(dir, f)),
    );
    const callers = sources.filter((f) =>
      /\bparsePhoneNumber(FromString|WithError)?\b|\bparseNumber\b/.test(
        readFileSync(path.join(PROJECT_ROOT, f), 'utf8'),
      ),
    );
    expect(callers).toEqual([path.join('shared', 'phone.ts')]);
  });
});
