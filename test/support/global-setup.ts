import { freePort, startDynamoLocal } from '../../local/dynamo-local';

/**
 * Starts one DynamoDB Local for the whole run; each test file creates its own table in it.
 * The endpoint reaches the workers through the environment.
 */
export default async function globalSetup(): Promise<void> {
  const dynamo = await startDynamoLocal(await freePort(), { detached: false });
  process.env.DYNAMODB_ENDPOINT = dynamo.endpoint;
  (globalThis as { __dynamoLocal__?: typeof dynamo }).__dynamoLocal__ = dynamo;
}
