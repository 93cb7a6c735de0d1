import { DynamoDBClient, GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from '@jest/globals';
import { mockClient } from 'aws-sdk-client-mock';
import { ServiceUnavailableError } from '../../shared/errors';
import { markExpiryObserved, readChallenge, recordDeliveryStatus } from '../../shared/store/challenge-status';

/** The status store at the client seam: a fault is never taken for "already recorded"; reads are consistent. */
describe('store › challenge status', () => {
  const ref = { pk: 'T#a#D#x', sk: 'CH#login', id: 'c-1' };

  it('lets a store fault through instead of answering that nothing was recorded', async () => {
    const ddb = new DynamoDBClient({ region: 'us-east-1' });
    mockClient(ddb)
      .on(UpdateItemCommand)
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    await expect(markExpiryObserved(ddb, 't', ref, 1)).rejects.toBeInstanceOf(ServiceUnavailableError);
    await expect(
      recordDeliveryStatus(ddb, 't', ref, 'SMS', {
        status: 'delivered',
        providerStatus: 'D',
        provider: 'p',
        at: 1,
      }),
    ).rejects.toBeInstanceOf(ServiceUnavailableError);
  });

  it('reads a challenge with a consistent read (a status right after a write is exact)', async () => {
    const ddb = new DynamoDBClient({ region: 'us-east-1' });
    const mock = mockClient(ddb);
    mock.on(GetItemCommand).resolves({});
    await expect(readChallenge(ddb, 't', ref)).resolves.toBeUndefined();
    expect(mock.commandCalls(GetItemCommand)[0]?.args[0].input).toMatchObject({ ConsistentRead: true });
  });
});
