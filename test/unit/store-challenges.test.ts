import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { describe, expect, it } from '@jest/globals';
import { mockClient } from 'aws-sdk-client-mock';
import { ServiceUnavailableError } from '../../shared/errors';
import { type ChallengeItem, putFreshAlone, refundAttempt, skipStep } from '../../shared/store/challenges';

/**
 * The challenge store's answers to what DynamoDB Local cannot be made to do on demand (a throttled
 * or failing write, an item with unset optional fields), at the client seam. The engine's tests
 * run every condition against DynamoDB Local.
 */

const ITEM = {
  pk: 'T#acme#S#x',
  sk: 'CH#login',
  id: 'c-1',
  codeHash: 'h',
  attempts: 0,
  sendCount: 1,
  expiresAt: 2_000,
  lastSentAt: 1_000,
  // An optional field left unset, as the engine builds items: it must not reach DynamoDB.
  binding: undefined,
} as unknown as ChallengeItem;

const client = () => {
  const ddb = new DynamoDBClient({ region: 'us-east-1' });
  return { ddb, mock: mockClient(ddb) };
};

const conditionFailed = (item?: Record<string, unknown>) =>
  new ConditionalCheckFailedException({
    message: 'The conditional request failed',
    $metadata: {},
    ...(item && { Item: marshall(item) }),
  });

const throttled = () => Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });

describe('store › putFreshAlone', () => {
  it('puts the item without its unset fields, and answers ok', async () => {
    const { ddb, mock } = client();
    mock.on(PutItemCommand).resolves({});
    await expect(putFreshAlone(ddb, 't', ITEM, 1_500)).resolves.toEqual({ ok: true, item: ITEM });
    const put = mock.commandCalls(PutItemCommand)[0]?.args[0].input;
    expect(put?.Item && unmarshall(put.Item)).not.toHaveProperty('binding');
  });

  it('answers a refusal with the live item it was refused on, or none', async () => {
    const { ddb, mock } = client();
    mock
      .on(PutItemCommand)
      .rejectsOnce(conditionFailed({ pk: 'p', id: 'live' }))
      .rejectsOnce(conditionFailed());
    await expect(putFreshAlone(ddb, 't', ITEM, 1_500)).resolves.toEqual({
      ok: false,
      old: { pk: 'p', id: 'live' },
    });
    await expect(putFreshAlone(ddb, 't', ITEM, 1_500)).resolves.toEqual({ ok: false, old: undefined });
  });

  it('lets a store fault through as a 503 and a bug as it is, never as a refusal', async () => {
    const { ddb, mock } = client();
    const bug = new TypeError('bad item');
    mock.on(PutItemCommand).rejectsOnce(throttled()).rejectsOnce(bug);
    await expect(putFreshAlone(ddb, 't', ITEM, 1_500)).rejects.toBeInstanceOf(ServiceUnavailableError);
    await expect(putFreshAlone(ddb, 't', ITEM, 1_500)).rejects.toBe(bug);
  });
});

describe('store › refundAttempt', () => {
  it('gives nothing back to a replaced or unused code, silently', async () => {
    const { ddb, mock } = client();
    mock.on(UpdateItemCommand).rejects(conditionFailed());
    await expect(refundAttempt(ddb, 't', ITEM)).resolves.toBeUndefined();
    expect(mock.commandCalls(UpdateItemCommand)).toHaveLength(1);
  });

  it('lets a store fault through as a 503 and a bug as it is', async () => {
    const { ddb, mock } = client();
    const bug = new TypeError('bad key');
    mock.on(UpdateItemCommand).rejectsOnce(throttled()).rejectsOnce(bug);
    await expect(refundAttempt(ddb, 't', ITEM)).rejects.toBeInstanceOf(ServiceUnavailableError);
    await expect(refundAttempt(ddb, 't', ITEM)).rejects.toBe(bug);
  });
});

describe('store › skipStep', () => {
  it('answers true once the step is marked, false when the code or the step moved on, and lets faults through', async () => {
    const { ddb, mock } = client();
    const bug = new TypeError('bad key');
    mock
      .on(UpdateItemCommand)
      .resolvesOnce({})
      .rejectsOnce(conditionFailed())
      .rejectsOnce(throttled())
      .rejectsOnce(bug);
    const skip = () => skipStep(ddb, 't', ITEM, 2, { maxAttempts: 5 }, 1_500);
    await expect(skip()).resolves.toBe(true);
    await expect(skip()).resolves.toBe(false);
    await expect(skip()).rejects.toBeInstanceOf(ServiceUnavailableError);
    await expect(skip()).rejects.toBe(bug);
  });
});
