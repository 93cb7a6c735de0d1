import { freePort, startDynamoLocal } from '../../local/dynamo-local';

/**
 * Starts one DynamoDB Local for the whole run; each test file creates its own table in it.
 * The endpoint reaches the workers through the environment.
 *
 * `JEST_DYNAMODB_ENDPOINT` names a DynamoDB Local started by someone else (`npm run mutate`
 * starts one for all of Stryker's jest runs, one per mutant): it is used as it is, and the
 * teardown leaves it running.
 */
export default async function globalSetup(): Promise<void> {
  const shared = process.env.JEST_DYNAMODB_ENDPOINT;
  if (shared) {
    process.env.DYNAMODB_ENDPOINT = shared;
    return;
  }
  const dynamo = await startDynamoLocal(await freePort(), { detached: false });
  process.env.DYNAMODB_ENDPOINT = dynamo.endpoint;
  (globalThis as { __dynamoLocal__?: typeof dynamo }).__dynamoLocal__ = dynamo;
}
