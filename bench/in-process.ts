import { Session } from 'node:inspector';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { PROJECT_ROOT } from '../lib/constructs/dialect-function';
import type { DialectId } from '../shared/routes';
import type { Answer, FlowState } from './dialects';
import { localTable, setUpDialect } from './latency';
import { ownerOf } from './metafile';
import { type Summary, summarize } from './stats';

/**
 * The in-process part of a request: the dialect's handler with a DynamoDB client that answers
 * every request at once with an empty success (after a real warm-up fills the caches), so the
 * time left is parsing, validation, auth, hashing, marshalling, middy and logging. A CPU profile
 * of the same loop says which packages and folders that time is spent in.
 */
export interface InProcessResult {
  dialect: DialectId;
  generate: Summary;
  verify: Summary;
  /** Share of sampled CPU time by package or project folder (self time), largest first. */
  profile: Array<{ owner: string; share: number }>;
  /**
   * Requests per measured flow that still went to DynamoDB Local: those whose answer the handler
   * reads (a read, or a write that returns the item, such as verify's attempt reservation), by command.
   */
  realPerFlow: Record<string, number>;
}

interface ProfileNode {
  id: number;
  callFrame: { url: string; functionName: string };
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
}

const post = <T>(session: Session, method: string): Promise<T> =>
  new Promise((resolve, reject) => {
    session.post(method, (error, result) => (error ? reject(error) : resolve(result as T)));
  });

/** Where a profiled function lives: its package or project folder; V8's own entries by name. */
const ownerOfFrame = (frame: ProfileNode['callFrame']): string => {
  // No URL: V8's own entries ("(garbage collector)", "(program)") or built-ins such as JSON.parse.
  if (!frame.url) return frame.functionName.startsWith('(') ? frame.functionName : '(V8 built-ins)';
  if (frame.url.startsWith('node:')) return 'node: built-ins';
  const file = frame.url.startsWith('file:') ? fileURLToPath(frame.url) : frame.url;
  const relative = file.startsWith(PROJECT_ROOT) ? file.slice(PROJECT_ROOT.length + 1) : file;
  return ownerOf(relative);
};

/** The benchmark's own code (building events, reading answers), left out of the shares. */
const DRIVER = new Set(['bench', 'test/support']);

/** Self-time shares by owner, without idle time (waiting is not work) and without the driver. */
const shares = (profile: Profile): Array<{ owner: string; share: number }> => {
  const ownerById = new Map(profile.nodes.map((n) => [n.id, ownerOfFrame(n.callFrame)]));
  const counts = new Map<string, number>();
  for (const id of profile.samples) {
    const owner = ownerById.get(id) ?? '(unknown)';
    if (owner === '(idle)' || DRIVER.has(owner)) continue;
    counts.set(owner, (counts.get(owner) ?? 0) + 1);
  }
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  return [...counts.entries()]
    .map(([owner, n]) => ({ owner, share: total > 0 ? n / total : 0 }))
    .sort((a, b) => b.share - a.share);
};

export const measureInProcess = async (
  endpoint: string,
  id: DialectId,
  options: { warmup: number; iterations: number; base: number },
): Promise<InProcessResult> => {
  const { ddb, tableName } = await localTable(endpoint);
  let instant = false;
  let counting = false;
  const real = new Map<string, number>();
  // Initialize step: before serialisation, signing and the HTTP request, so none of those is timed.
  // A request whose answer the handler reads (a read, or a write returning the item) still goes to
  // the store: an empty answer would fail the request rather than time it.
  ddb.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as { ReturnValues?: string };
      const name = (context.commandName ?? '').replace(/Command$/, '');
      const needsAnswer =
        /^(Get|BatchGet|TransactGet|Query|Scan)/.test(name) ||
        (input.ReturnValues !== undefined && input.ReturnValues !== 'NONE');
      if (!instant || needsAnswer) {
        if (counting) real.set(name, (real.get(name) ?? 0) + 1);
        return next(args);
      }
      return { output: { $metadata: {} }, response: {} } as unknown as Awaited<ReturnType<typeof next>>;
    },
    { step: 'initialize', name: 'benchInstantStore' },
  );
  const session = new Session();
  try {
    const d = await setUpDialect(id, { ddb, tableName, base: options.base });
    const flow = async (i: number, samples?: { generate: number[]; verify: number[] }) => {
      const state: FlowState = d.driver.prepare ? await d.driver.prepare(d.call, i) : {};
      const genEvent = d.driver.generate(i, state);
      let start = performance.now();
      const generated: Answer = await d.call(genEvent);
      samples?.generate.push(performance.now() - start);
      if (!d.driver.ok(generated))
        throw new Error(
          `generate answered ${generated.status} with an instant store (a dialect that reads its own items back, like a session, needs the real store)`,
        );
      const code = d.codes.get(d.driver.destination(i)) ?? '';
      const verifyEvent = d.driver.verify(i, state, generated, code);
      start = performance.now();
      const verified = await d.call(verifyEvent);
      samples?.verify.push(performance.now() - start);
      if (!d.driver.ok(verified)) throw new Error(`verify answered ${verified.status} with an instant store`);
    };
    // Real round trips first: tenant, credential and contact caches filled as in a warm container.
    for (let i = 0; i < options.warmup; i++) await flow(i);
    instant = true;
    for (let i = 0; i < options.warmup; i++) await flow(i);
    const samples = { generate: [] as number[], verify: [] as number[] };
    session.connect();
    await post(session, 'Profiler.enable');
    await post(session, 'Profiler.start');
    counting = true;
    for (let i = 0; i < options.iterations; i++) await flow(options.warmup + i, samples);
    counting = false;
    const { profile } = await post<{ profile: Profile }>(session, 'Profiler.stop');
    return {
      dialect: id,
      generate: summarize(samples.generate),
      verify: summarize(samples.verify),
      profile: shares(profile),
      realPerFlow: Object.fromEntries([...real.entries()].map(([k, n]) => [k, n / options.iterations])),
    };
  } finally {
    session.disconnect();
    ddb.destroy();
  }
};
