import type { DynamoLocal } from '../../local/dynamo-local';

export default async function globalTeardown(): Promise<void> {
  await (globalThis as { __dynamoLocal__?: DynamoLocal }).__dynamoLocal__?.stop();
}
