import {
  type AttributeValue,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { ReceiptRef } from '../channels/types';
import { guard } from './dynamo';

/**
 * WhatsApp receipts name a message by the id SendWhatsAppMessage returned, not by anything we
 * sent along (Social Messaging has no per-message context or tags), so a tenant that turns on
 * `channels.whatsapp.receipts` pays one extra PutItem per WhatsApp send: this item, from message
 * id to the code's receipt reference. It holds the recipient masked only, and expires after a day
 * (WhatsApp statuses arrive within minutes; Meta retries a failed webhook for up to a day).
 */
export const WHATSAPP_MESSAGE_PREFIX = 'WAMSG#';
const SK = 'WAMSG';
const LIFETIME_SECONDS = 24 * 3600;

export interface WhatsAppMessage {
  ref: ReceiptRef;
  /** The recipient as events show it (`+91*******219`), never in clear. */
  recipient: string;
  /** ISO region of the recipient's number, when known. */
  country?: string | undefined;
}

const key = (messageId: string) => ({ pk: `${WHATSAPP_MESSAGE_PREFIX}${messageId}`, sk: SK });

/** Remembers which code a sent WhatsApp message carried. */
export const rememberWhatsAppMessage = async (
  ddb: DynamoDBClient,
  tableName: string,
  messageId: string,
  message: WhatsAppMessage,
  now: number,
): Promise<void> => {
  await guard(() =>
    ddb.send(
      new PutItemCommand({
        TableName: tableName,
        Item: marshall(
          { ...key(messageId), ...message, ttl: Math.floor(now / 1000) + LIFETIME_SECONDS },
          { removeUndefinedValues: true },
        ),
      }),
    ),
  );
};

/** The code a WhatsApp message id belongs to, or undefined when it is not one we remembered. */
export const findWhatsAppMessage = async (
  ddb: DynamoDBClient,
  tableName: string,
  messageId: string,
): Promise<WhatsAppMessage | undefined> => {
  const out = await guard(() =>
    ddb.send(new GetItemCommand({ TableName: tableName, Key: marshall(key(messageId)) })),
  );
  if (!out.Item) return undefined;
  const item = unmarshall(out.Item as Record<string, AttributeValue>) as WhatsAppMessage;
  return item.ref?.pk?.startsWith('T#') && item.ref.sk?.startsWith('CH#') ? item : undefined;
};
