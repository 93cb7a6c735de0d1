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
  /** DynamoDB requests per measured flow (generate + verify), by command. */
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
  // Innermost, around the HTTP exchange only (after serialisation and signing, before the
  // response is parsed): the time at least one request waits on DynamoDB Local. A request's own
  // time minus that wait is the handler's work, the SDK's marshalling included.
  let inFlight = 0;
  let waitStart = 0;
  let waited = 0;
  let counting = false;
  const real = new Map<string, number>();
  ddb.middlewareStack.add(
    (next, context) => async (args) => {
      if (counting) {
        const name = (context.commandName ?? '').replace(/Command$/, '');
        real.set(name, (real.get(name) ?? 0) + 1);
      }
      if (inFlight++ === 0) waitStart = performance.now();
      try {
        return await next(args);
      } finally {
        if (--inFlight === 0) waited += performance.now() - waitStart;
      }
    },
    { step: 'deserialize', priority: 'low', name: 'benchStoreWait' },
  );
  const session = new Session();
  try {
    const d = await setUpDialect(id, {
      ddb,
      tableName,
      base: options.base,
      flows: options.warmup + options.iterations,
    });
    /** The handler's time on one request, less the time it waited on the store. */
    const own = async (work: () => Promise<Answer>) => {
      waited = 0;
      const start = performance.now();
      const answer = await work();
      return { answer, ms: performance.now() - start - waited };
    };
    const flow = async (i: number, samples?: { generate: number[]; verify: number[] }) => {
      const state: FlowState = d.driver.prepare ? await d.driver.prepare(d.call, i) : {};
      const generated = await own(() => d.call(d.driver.generate(i, state)));
      if (!d.driver.ok(generated.answer)) throw new Error(`generate answered ${generated.answer.status}`);
      samples?.generate.push(generated.ms);
      const code = d.codes.get(d.driver.destination(i)) ?? '';
      const verified = await own(() => d.call(d.driver.verify(i, state, generated.answer, code)));
      if (!d.driver.ok(verified.answer)) throw new Error(`verify answered ${verified.answer.status}`);
      samples?.verify.push(verified.ms);
    };
    // Warm-up: JIT, tenant and credential caches, as in a warm container.
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
