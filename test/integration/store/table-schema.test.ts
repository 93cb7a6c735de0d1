import { randomUUID } from 'node:crypto';
import { DescribeTableCommand, DescribeTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from '@jest/globals';
import { ensureTable } from '../../../shared/store/table-schema';
import { localDynamo } from '../../support/harness';

/** The table `npm start` and the tests create (the CDK stack declares the same shape). */
describe('store › ensureTable', () => {
  it('creates pk/sk string keys and TTL on ttl, and leaves an existing table as it is', async () => {
    const ddb = localDynamo();
    const name = `schema-${randomUUID()}`;
    await ensureTable(ddb, name);
    // A second call (another process started first) is a no-op, not an error.
    await expect(ensureTable(ddb, name)).resolves.toBeUndefined();
    const { Table } = await ddb.send(new DescribeTableCommand({ TableName: name }));
    expect(Table?.KeySchema).toEqual([
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ]);
    expect(Table?.AttributeDefinitions).toEqual(
      expect.arrayContaining([
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ]),
    );
    const ttl = await ddb.send(new DescribeTimeToLiveCommand({ TableName: name }));
    expect(ttl.TimeToLiveDescription).toMatchObject({ AttributeName: 'ttl', TimeToLiveStatus: 'ENABLED' });
  });

  it('lets any other failure through', async () => {
    await expect(ensureTable(localDynamo(), 'bad name with spaces')).rejects.toThrow();
  });
});
