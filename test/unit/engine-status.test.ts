import { describe, expect, it } from '@jest/globals';
import { statusOf } from '../../shared/engine/status';
import type { ChallengeWithStatus } from '../../shared/store/challenge-status';

/**
 * `verification show`'s view of a challenge item (shared/engine/status.ts): the state ladder at
 * its edges, what the channels show with and without receipts, and the fields a view carries.
 */

const NOW = Date.parse('2026-12-05T12:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();

const item = (extra: Partial<ChallengeWithStatus> = {}): ChallengeWithStatus =>
  ({
    pk: 'p',
    sk: 's',
    id: 'c-1',
    codeHash: 'h',
    sealed: 'x',
    expiresAt: NOW + 1,
    attempts: 4,
    sendCount: 2,
    lastSentAt: NOW - 10_000,
    createdAt: NOW - 60_000,
    binding: {},
    channels: ['SMS', 'EMAIL'],
    recipients: new Set(['r']),
    ...extra,
  }) as ChallengeWithStatus;

describe('engine › verification status', () => {
  it('is pending one guess and one millisecond short of the limits, with what the view carries', () => {
    expect(statusOf(item(), 5, NOW)).toEqual({
      verificationId: 'c-1',
      status: 'pending',
      attempts: 4,
      attemptsLeft: 1,
      sendCount: 2,
      createdAt: iso(NOW - 60_000),
      expiresAt: iso(NOW + 1),
      channels: { SMS: { status: 'sent' }, EMAIL: { status: 'sent' } },
    });
  });

  it('is max_attempts_reached at the limit, expired at the expiry instant, approved once consumed', () => {
    expect(statusOf(item({ attempts: 5 }), 5, NOW)).toMatchObject({
      status: 'max_attempts_reached',
      attemptsLeft: 0,
    });
    expect(statusOf(item({ attempts: 7 }), 5, NOW).attemptsLeft).toBe(0);
    // Expiry ranks above a used-up code; a consumed code is approved whatever else holds.
    expect(statusOf(item({ expiresAt: NOW, attempts: 5 }), 5, NOW).status).toBe('expired');
    const approved = statusOf(item({ expiresAt: NOW - 1, attempts: 5, consumedAt: NOW - 5 }), 5, NOW);
    expect(approved).toMatchObject({ status: 'approved', approvedAt: iso(NOW - 5) });
    expect(statusOf(item(), 5, NOW)).not.toHaveProperty('approvedAt');
  });

  it("shows each channel's last receipt, a receipt of a channel the item no longer lists too, and a test code as one", () => {
    const view = statusOf(
      item({
        test: true,
        deliverySMS: { status: 'delivered', providerStatus: 'DELIVERED', provider: 'sns', at: NOW - 3_000 },
        deliveryVOICE: { status: 'failed', providerStatus: 'BUSY', provider: 'voice', at: NOW - 2_000 },
      }),
      5,
      NOW,
    );
    expect(view.channels).toEqual({
      SMS: { status: 'delivered', providerStatus: 'DELIVERED', at: iso(NOW - 3_000) },
      EMAIL: { status: 'sent' },
      VOICE: { status: 'failed', providerStatus: 'BUSY', at: iso(NOW - 2_000) },
    });
    expect(view.test).toBe(true);
    expect(statusOf(item(), 5, NOW)).not.toHaveProperty('test');
  });
});
