import { type DynamoDBClient, GetItemCommand, type TransactWriteItem } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { guard } from './dynamo';
import { subjectPk } from './keys';

/** Where the record lives: the destination's partition, so it names neither phone nor user. */
export interface VerifiedPhoneRef {
  ddb: DynamoDBClient;
  tableName: string;
  pepper: Buffer;
  tenantId: string;
  /** The E.164 phone number (the engine's subject). */
  phone: string;
  /** A keyed hash of the user who verified it (never the raw user id). */
  userHash: string;
}

/** The record's key: the phone's subject partition, beside its challenges. */
const keyOf = (ref: VerifiedPhoneRef) => ({
  pk: subjectPk(ref.pepper, ref.tenantId, ref.phone),
  sk: `VERIFIED#${ref.userHash}`,
});

/**
 * True when this user has verified this phone at least once (seed 001's `isNewUser` is its
 * negation). One strongly consistent GetItem, so a register right after a verify sees it.
 */
export const hasVerifiedPhone = async (ref: VerifiedPhoneRef): Promise<boolean> => {
  const out = await guard(() =>
    ref.ddb.send(
      new GetItemCommand({
        TableName: ref.tableName,
        Key: marshall(keyOf(ref)),
        ConsistentRead: true,
        ProjectionExpression: 'pk',
      }),
    ),
  );
  return out.Item !== undefined;
};

/**
 * Records that this user verified this phone: an item of the verify's own transaction
 * (`VerifyRequest.onSuccess`), written exactly when the code is consumed and at no round trip of
 * its own. A put is idempotent (a later verify only moves `verifiedAt`); the record has no ttl:
 * "has verified once" does not expire.
 */
export const phoneVerified = (ref: VerifiedPhoneRef, now: number): TransactWriteItem => ({
  Put: { TableName: ref.tableName, Item: marshall({ ...keyOf(ref), verifiedAt: now }) },
});
