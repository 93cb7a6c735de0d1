import type { Receipt, ReceiptDeps } from '../engine/receipts';
import { findWhatsAppMessage } from '../store/whatsapp-messages';
import type { WhatsAppStatus } from './parse';

/**
 * WhatsApp statuses → receipts: each status's code is found by its message id (one GetItem per
 * id it may be filed under); a message we did not remember (receipts off, another sender on the
 * WABA, the item expired) maps to nothing.
 */
export const whatsAppReceipts = async (deps: ReceiptDeps, statuses: WhatsAppStatus[]): Promise<Receipt[]> => {
  const receipts: Receipt[] = [];
  for (const status of statuses) {
    for (const messageId of status.messageIds) {
      const message = await findWhatsAppMessage(deps.ddb, deps.tableName, messageId);
      if (!message) continue;
      receipts.push({
        ref: message.ref,
        channel: 'WHATSAPP',
        outcome: status.outcome,
        provider: 'social-messaging',
        providerStatus: status.providerStatus,
        at: status.at,
        destination: '',
        masked: { recipient: message.recipient, country: message.country },
      });
      break;
    }
  }
  return receipts;
};
