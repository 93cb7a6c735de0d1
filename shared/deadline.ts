import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * The request's deadline (wall-clock ms), carried through its async calls. middy's early timeout
 * answers 503 but cannot stop the handler it abandons (Promise.race), which would otherwise run
 * on: consume a code after its verify was answered 503, or send a code behind a 503. Every store
 * call (`guard`) and every send checks the deadline first, so abandoned work stops at its next
 * step; a call already in flight still completes.
 */
const current = new AsyncLocalStorage<{ deadline: number }>();

/** Runs `work` with a deadline every store call and send inside it checks. */
export const withDeadline = <T>(deadline: number, work: () => Promise<T>): Promise<T> =>
  current.run({ deadline }, work);

/** True once the running request's deadline has passed (false outside a request). */
export const pastDeadline = (): boolean => {
  const store = current.getStore();
  return store !== undefined && Date.now() >= store.deadline;
};
