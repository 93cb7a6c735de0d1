import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CHANNEL_TYPES } from '../channels/types';
import {
  type ChallengeWithStatus,
  type DeliveryStatus,
  deliveryAttribute,
  readChallenge,
} from '../store/challenge-status';
import { challengeKey } from '../store/keys';
import type { Tenant } from '../tenants';

/** A verification's state, as Twilio's lifecycle names it (DESIGN §8 "Status"). */
export type VerificationState = 'pending' | 'approved' | 'expired' | 'max_attempts_reached';

/** What `verification show` (and a dialect's fetch endpoint) tells about one code. */
export interface VerificationStatus {
  verificationId: string;
  status: VerificationState;
  attempts: number;
  attemptsLeft: number;
  sendCount: number;
  createdAt: string;
  expiresAt: string;
  approvedAt?: string;
  /** A test destination's code (README "Test destinations"): its channels were never sent to. */
  test?: true;
  /** Per channel the code went to: `sent` until a provider's receipt says more. */
  channels: Record<
    string,
    { status: 'sent' | DeliveryStatus['status']; providerStatus?: string; at?: string }
  >;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** The state of a challenge item at `now` (expiry is checked here; TTL deletes late). */
export const statusOf = (item: ChallengeWithStatus, maxAttempts: number, now: number): VerificationStatus => {
  const status: VerificationState =
    item.consumedAt !== undefined
      ? 'approved'
      : item.expiresAt <= now
        ? 'expired'
        : item.attempts >= maxAttempts
          ? 'max_attempts_reached'
          : 'pending';
  const channels: VerificationStatus['channels'] = {};
  for (const channel of item.channels) {
    const receipt = item[deliveryAttribute(channel) as `delivery${string}`];
    channels[channel] = receipt
      ? { status: receipt.status, providerStatus: receipt.providerStatus, at: iso(receipt.at) }
      : { status: 'sent' };
  }
  // A receipt for a channel the item does not list (an older send) still shows.
  for (const channel of CHANNEL_TYPES) {
    const receipt = item[deliveryAttribute(channel) as `delivery${string}`];
    if (receipt && !channels[channel])
      channels[channel] = {
        status: receipt.status,
        providerStatus: receipt.providerStatus,
        at: iso(receipt.at),
      };
  }
  return {
    verificationId: item.id,
    status,
    attempts: item.attempts,
    attemptsLeft: Math.max(0, maxAttempts - item.attempts),
    sendCount: item.sendCount,
    createdAt: iso(item.createdAt),
    expiresAt: iso(item.expiresAt),
    ...(item.consumedAt !== undefined ? { approvedAt: iso(item.consumedAt) } : {}),
    ...(item.test ? { test: true as const } : {}),
    channels,
  };
};

/**
 * The status of the code of (tenant, purpose, subject), or undefined when there is none (never
 * issued, or deleted by TTL after expiry). One strongly consistent GetItem.
 */
export const verificationStatus = async (
  deps: { ddb: DynamoDBClient; tableName: string; pepper: () => Promise<Buffer>; now: () => number },
  tenant: Tenant,
  purpose: string,
  subject: string,
): Promise<VerificationStatus | undefined> => {
  const key = challengeKey(await deps.pepper(), tenant.tenantId, purpose, subject);
  const item = await readChallenge(deps.ddb, deps.tableName, key);
  return item && statusOf(item, tenant.policy.maxAttemptsPerCode, deps.now());
};
