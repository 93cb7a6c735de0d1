import { DeleteTableCommand, DynamoDBClient, paginateListTables } from '@aws-sdk/client-dynamodb';
import { type DynamoLocal, LOCAL_AWS } from '../../local/dynamo-local';
import { testTablePrefix } from './table-prefix';

/**
 * Stops the DynamoDB Local the global setup started. One it was given (`JEST_DYNAMODB_ENDPOINT`,
 * shared by Stryker's runs) stays up; only when a Stryker worker ran this jest run are its own
 * tables dropped, so thousands of mutant runs do not pile tables up in one in-memory database.
 */
export default async function globalTeardown(): Promise<void> {
  await (globalThis as { __dynamoLocal__?: DynamoLocal }).__dynamoLocal__?.stop();
  const shared = process.env.JEST_DYNAMODB_ENDPOINT;
  if (!shared || process.env.STRYKER_MUTATOR_WORKER === undefined) return;
  const client = new DynamoDBClient({ ...LOCAL_AWS, endpoint: shared });
  const prefix = testTablePrefix();
  try {
    for await (const page of paginateListTables({ client }, {})) {
      for (const name of page.TableNames ?? []) {
        if (name.startsWith(prefix)) await client.send(new DeleteTableCommand({ TableName: name }));
      }
    }
  } finally {
    client.destroy();
  }
}
