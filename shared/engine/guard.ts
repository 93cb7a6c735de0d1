import { OtpError } from '../errors';
import type { TransactionResult } from '../store/dynamo';
import type { Guard } from './types';

/**
 * A dialect's guard (`Guard`) through one engine call: whether a transaction holding its check
 * committed, and how a refusal ranks against it.
 */
export class GuardWatch {
  private committed = false;

  constructor(readonly guard: Guard | undefined) {}

  /** The check to add to a transaction of the call (none without a guard). */
  get check() {
    return this.guard?.check;
  }

  /** The guard's refusal when its check (item `name`) failed in `result`, else undefined. */
  refusal(result: TransactionResult, name = 'guard'): Error | undefined {
    if (this.guard && result.failed(name)) return this.guard.refusal(result.old(name));
    if (result.ok) this.committed = true;
    return undefined;
  }

  /** Throws the guard's refusal when its check failed in `result` (before any other refusal). */
  settle(result: TransactionResult): void {
    const refusal = this.refusal(result);
    if (refusal) throw refusal;
  }

  /**
   * What to throw for `error`: a refusal decided before any transaction holding the check
   * committed is ranked by the guard's own verdict (`recheck`) first; a store fault, a refusal
   * after the check held, or a recheck that itself fails (the refusal is answered as the engine
   * decided it, not turned into a 503 that a caller without the refusal would not get) stands.
   */
  async rank(error: unknown): Promise<unknown> {
    const { guard } = this;
    if (!guard?.recheck || this.committed) return error;
    if (!(error instanceof OtpError) || error.kind === 'service-unavailable') return error;
    try {
      return (await guard.recheck()) ?? error;
    } catch {
      return error;
    }
  }
}
