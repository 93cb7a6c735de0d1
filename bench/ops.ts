import type { DialectId } from '../shared/routes';
import type { ItemRead, ItemWrite } from './request-log';

/** One measured operation: requests, sequential round trips, and the units of every item. */
export interface OpCount {
  requests: Record<string, number>;
  roundTrips: number;
  writeUnits: number;
  readUnits: number;
  /** Every item written or checked, with its key pattern (tenant, HMACs, days, hours and shard numbers named). */
  writes: ItemWrite[];
  reads: ItemRead[];
}

/** The operations counted for each dialect. */
export const OPS = [
  'coldGenerate',
  'coldVerify',
  'newUserGenerate',
  'newUserVerify',
  'freshGenerate',
  'resendWithinExpiry',
  'wrongCode',
  'verifySuccess',
] as const;
export type OpName = (typeof OPS)[number];

/** What each counted operation is. */
export const OP_TITLES: Record<OpName, string> = {
  coldGenerate: 'generate in a new container (every cache cold), new user',
  coldVerify: 'right code of that flow, same container',
  newUserGenerate:
    'generate in a warm container for a user it has never seen (contact cache cold, app-otp new user)',
  newUserVerify: 'right code of that flow (first verification of the number)',
  freshGenerate: 'generate for a returning user, caches warm',
  resendWithinExpiry: 'resend 31 s later, within expiry',
  wrongCode: 'a wrong code',
  verifySuccess: 'the right code (returning user)',
};

export interface RequestCountResult {
  dialect: DialectId;
  ops: Record<OpName, OpCount>;
  /**
   * Items both of two fresh generates to different numbers of one tenant write (key patterns):
   * under concurrency, every generate of the tenant contends for them.
   */
  sharedItems: string[];
}
