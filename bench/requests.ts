import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LOCAL_AWS } from '../local/dynamo-local';
import type { DialectId } from '../shared/routes';
import { manualClock, wrongCodeFor } from '../test/support/harness';
import type { Answer, FlowState } from './dialects';
import { codeFor, expectOk, localTable, newContainer, setUpDialect } from './latency';
import { OPS, type OpCount, type OpName, type RequestCountResult } from './ops';
import { itemPattern, keyPattern, recordSteps, type StepRecord } from './request-log';

/** Flow indexes: warm-up flows, then users no container has seen (distinct SummitAI users too). */
const FLOW = { warm: 0, other: 5_000_001, cold: 2, newUser: 3 } as const;

/**
 * DynamoDB requests, round trips and request units per operation, counted by a middleware on the
 * client, for every dialect with its caches cold and warm:
 * - a new container (empty tenant directory, new handler) generates for a new user, then verifies;
 * - the warm container generates for another new user (SummitAI: a user not in its contact cache;
 *   app-otp: a number never verified), then verifies;
 * - the warm container's returning user (flow 0, verified once during warm-up): fresh generate,
 *   resend 31 s later, a wrong code, the right code.
 */
export const countDynamoRequests = async (
  endpoint: string,
  id: DialectId,
  base: number,
): Promise<RequestCountResult> => {
  const { ddb, tableName } = await localTable(endpoint);
  const sizer = new DynamoDBClient({ ...LOCAL_AWS, endpoint });
  try {
    const clock = manualClock();
    const d = await setUpDialect(id, { ddb, tableName, base, now: clock.now });
    const steps = recordSteps(ddb, sizer);
    const ops: Partial<Record<OpName, OpCount>> = {};
    const pattern = (key: string) => itemPattern(keyPattern(key, d.tenant.tenantId));
    const counted = async <T>(op: OpName | undefined, work: () => Promise<T>) => {
      const { value, record } = await steps.during(work);
      if (op) ops[op] = summarise(record, pattern);
      return { value, record };
    };
    const prepare = (call = d.call, i: number) =>
      d.driver.prepare ? d.driver.prepare(call, i) : Promise.resolve<FlowState>({});
    const generate = async (call: typeof d.call, i: number, state: FlowState, what: string) =>
      expectOk(d, what, await call(d.driver.generate(i, state)));
    const verify = async (call: typeof d.call, i: number, state: FlowState, generated: Answer) =>
      expectOk(d, 'verify', await call(d.driver.verify(i, state, generated, codeFor(d, i))));
    const flow = async (call: typeof d.call, i: number, names?: [OpName, OpName]) => {
      const state = await prepare(call, i);
      const generated = await counted(names?.[0], () => generate(call, i, state, 'generate'));
      await counted(names?.[1], () => verify(call, i, state, generated.value));
      return new Set(generated.record.writes.map((w) => w.key));
    };

    // A new container's first flow, for a user nobody has seen.
    await flow(await newContainer(d), FLOW.cold, ['coldGenerate', 'coldVerify']);
    clock.advance(1000);
    // Warm-up of the main container (caches filled, flow 0's number verified once); flow OTHER's
    // number has another prefix than flow 0's (and is another SummitAI user), so the items both
    // generates write are the tenant-wide ones.
    await flow(d.call, FLOW.warm);
    const otherKeys = await flow(d.call, FLOW.other);
    clock.advance(1000);
    // A user the warm container has never seen.
    await flow(d.call, FLOW.newUser, ['newUserGenerate', 'newUserVerify']);
    clock.advance(1000);

    // The returning user. The auth engine's session (token/generate) is its own operation.
    const state = await prepare(d.call, FLOW.warm);
    const fresh = await counted('freshGenerate', () => generate(d.call, FLOW.warm, state, 'generate'));
    const code = codeFor(d, FLOW.warm);
    clock.advance(31_000);
    await counted('resendWithinExpiry', () => generate(d.call, FLOW.warm, state, 'resend'));
    if (codeFor(d, FLOW.warm) !== code)
      throw new Error(`${id}: the resend within expiry sent a different code`);
    await counted('wrongCode', async () => {
      const answer = await d.call(d.driver.verify(FLOW.warm, state, fresh.value, wrongCodeFor(code)));
      if (d.driver.ok(answer)) throw new Error(`${id}: a wrong code was accepted`);
    });
    await counted('verifySuccess', () => verify(d.call, FLOW.warm, state, fresh.value));
    const missing = OPS.filter((op) => !ops[op]);
    if (missing.length > 0) throw new Error(`${id}: not counted: ${missing.join(', ')}`);
    return {
      dialect: id,
      ops: ops as Record<OpName, OpCount>,
      sharedItems: [...new Set(fresh.record.writes.map((w) => w.key))]
        .filter((k) => otherKeys.has(k))
        .map(pattern)
        .sort(),
    };
  } finally {
    ddb.destroy();
    sizer.destroy();
  }
};

const summarise = (record: StepRecord, pattern: (key: string) => string): OpCount => ({
  requests: record.requests,
  roundTrips: record.roundTrips,
  writeUnits: record.writes.reduce((n, w) => n + w.units, 0),
  readUnits: record.reads.reduce((n, r) => n + r.units, 0),
  writes: record.writes.map((w) => ({ ...w, key: pattern(w.key) })),
  reads: record.reads,
});
