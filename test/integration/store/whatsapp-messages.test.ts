import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { describe, expect, it } from '@jest/globals';
import { findWhatsAppMessage, rememberWhatsAppMessage } from '../../../shared/store/whatsapp-messages';
import { freshTable, localDynamo, readItem } from '../../support/harness';

/** The WhatsApp message-id → code lookup (shared/store/whatsapp-messages.ts) against DynamoDB Local. */
describe('store › WhatsApp messages', () => {
  const ref = { pk: 'T#acme#D#abc', sk: 'CH#login', id: 'c-1' };

  it('remembers a message for a day (no unknown country stored) and finds it by its id', async () => {
    const ddb = localDynamo();
    const tableName = await freshTable(ddb);
    const now = Date.parse('2026-12-05T12:00:00.900Z');
    await rememberWhatsAppMessage(
      ddb,
      tableName,
      'wamid.1',
      { ref, recipient: '+91*******670', country: undefined },
      now,
    );
    const stored = await readItem(ddb, tableName, { pk: 'WAMSG#wamid.1', sk: 'WAMSG' });
    expect(stored?.ttl).toBe(Date.parse('2026-12-06T12:00:00Z') / 1000);
    expect(stored).not.toHaveProperty('country');
    await expect(findWhatsAppMessage(ddb, tableName, 'wamid.1')).resolves.toMatchObject({
      ref,
      recipient: '+91*******670',
    });
    await expect(findWhatsAppMessage(ddb, tableName, 'wamid.unknown')).resolves.toBeUndefined();
  });

  it("finds nothing for an item whose reference is not a challenge's (only challenges take receipts)", async () => {
    const ddb = localDynamo();
    const tableName = await freshTable(ddb);
    const put = (id: string, r: unknown) =>
      ddb.send(
        new PutItemCommand({
          TableName: tableName,
          Item: marshall(
            { pk: `WAMSG#${id}`, sk: 'WAMSG', ref: r, recipient: 'x' },
            { removeUndefinedValues: true },
          ),
        }),
      );
    await put('no-ref', undefined);
    await put('tenant-item', { pk: 'T#acme', sk: 'TENANT', id: 'x' });
    await put('not-tenant', { pk: 'CRED#x', sk: 'CH#login', id: 'x' });
    await put('no-sk', { pk: 'T#acme#D#abc', id: 'x' });
    await put('no-pk', { sk: 'CH#login', id: 'x' });
    for (const id of ['no-ref', 'tenant-item', 'not-tenant', 'no-sk', 'no-pk']) {
      await expect(findWhatsAppMessage(ddb, tableName, id)).resolves.toBeUndefined();
    }
  });
});
