import {
  type AttributeValue,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { ChallengeItem } from './challenges';
import { and, or, SAME_CODE } from './conditions';
import { guard } from './dynamo';

/**
 * What a verification's status needs beyond the code itself: when an expiry was first observed
 * (so `otp.expired` is told once) and the last delivery receipt per channel. Both live on the
 * challenge item, so the status is one GetItem and TTL removes it with the code.
 */

/** The last receipt of one channel of a code, as the receipt function recorded it. */
export interface DeliveryStatus {
  status: 'delivered' | 'failed';
  /** The provider's own word: `DELIVERY`, `Bounce:Permanent`, `TEXT_DELIVERED`, … */
  providerStatus: string;
  provider: string;
  /** Epoch milliseconds of the provider's event. */
  at: number;
}

/** The attribute holding one channel's last receipt (`deliverySMS`, `deliveryEMAIL`, …). */
export const deliveryAttribute = (channel: string): string => `delivery${channel}`;

type ChallengeRef = { pk: string; sk: string; id: string };

const conditionally = async (run: () => Promise<unknown>): Promise<boolean> => {
  try {
    await guard(run);
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
};

/**
 * Marks the code `old` as seen expired; true only for the first caller. The condition closes the
 * race of parallel verifies of one dead code: exactly one of them sets `expiryObservedAt`.
 */
export const markExpiryObserved = (
  ddb: DynamoDBClient,
  tableName: string,
  old: ChallengeRef,
  now: number,
): Promise<boolean> =>
  conditionally(() =>
    ddb.send(
      new UpdateItemCommand({
        TableName: tableName,
        Key: marshall({ pk: old.pk, sk: old.sk }),
        UpdateExpression: 'SET expiryObservedAt = :now',
        ConditionExpression: and(SAME_CODE, 'attribute_not_exists(expiryObservedAt)'),
        ExpressionAttributeValues: marshall({ ':now': now, ':id': old.id }),
      }),
    ),
  );

/**
 * Records a provider's receipt on the code it was for. Receipts arrive late and out of order: an
 * older receipt never overwrites a newer one (`#d.#at <= :at`), and a receipt for a replaced code
 * (`id` differs) or a deleted one changes nothing. Returns false when nothing was recorded.
 */
export const recordDeliveryStatus = (
  ddb: DynamoDBClient,
  tableName: string,
  ref: ChallengeRef,
  channel: string,
  status: DeliveryStatus,
): Promise<boolean> =>
  conditionally(() =>
    ddb.send(
      new UpdateItemCommand({
        TableName: tableName,
        Key: marshall({ pk: ref.pk, sk: ref.sk }),
        UpdateExpression: 'SET #d = :status',
        ConditionExpression: and(SAME_CODE, or('attribute_not_exists(#d)', '#d.#at <= :at')),
        ExpressionAttributeNames: { '#d': deliveryAttribute(channel), '#at': 'at' },
        ExpressionAttributeValues: marshall({ ':status': status, ':at': status.at, ':id': ref.id }),
      }),
    ),
  );

/** A challenge with its status attributes, as `verification show` reads it. */
export type ChallengeWithStatus = ChallengeItem & {
  expiryObservedAt?: number;
} & Partial<Record<`delivery${string}`, DeliveryStatus>>;

/** Reads one challenge item (strongly consistent: the status right after a write is exact). */
export const readChallenge = async (
  ddb: DynamoDBClient,
  tableName: string,
  key: { pk: string; sk: string },
): Promise<ChallengeWithStatus | undefined> => {
  const out = await guard(() =>
    ddb.send(
      new GetItemCommand({
        TableName: tableName,
        Key: marshall({ pk: key.pk, sk: key.sk }),
        ConsistentRead: true,
      }),
    ),
  );
  return out.Item
    ? (unmarshall(out.Item as Record<string, AttributeValue>) as ChallengeWithStatus)
    : undefined;
};
