import type { ReceiptRef } from './types';

/**
 * A message's receipt reference as provider tags (SES message tags, SMS-Voice v2 `Context`), and
 * back. SES tag values allow only letters, digits, `_` and `-`, so the key parts travel base64url;
 * none of them holds a destination in clear (keys carry HMACs) or the code.
 */
export const RECEIPT_TAGS = { pk: 'otp_pk', sk: 'otp_sk', id: 'otp_id' } as const;

const encode = (value: string) => Buffer.from(value, 'utf8').toString('base64url');
const decode = (value: string) => Buffer.from(value, 'base64url').toString('utf8');

export const receiptTags = (ref: ReceiptRef): Record<string, string> => ({
  [RECEIPT_TAGS.pk]: encode(ref.pk),
  [RECEIPT_TAGS.sk]: encode(ref.sk),
  [RECEIPT_TAGS.id]: ref.id,
});

/** The reference in a receipt's tags, or undefined when the message was not one of ours. */
export const refFromTags = (tag: (name: string) => string | undefined): ReceiptRef | undefined => {
  const pk = tag(RECEIPT_TAGS.pk);
  const sk = tag(RECEIPT_TAGS.sk);
  const id = tag(RECEIPT_TAGS.id);
  if (!pk || !sk || !id) return undefined;
  const ref = { pk: decode(pk), sk: decode(sk), id };
  // Only challenge keys: a forged tag cannot point the receipt at another kind of item.
  return ref.pk.startsWith('T#') && ref.sk.startsWith('CH#') ? ref : undefined;
};
