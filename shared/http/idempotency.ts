import type { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { createError } from '@middy/util';
import { sha256 } from '../crypto';
import { ServiceUnavailableError } from '../errors';
import type { HttpResponse, RouteHandler, RouteRequest } from './types';

/** How long a generate's first answer is replayed for a retried request with the same key. */
const REPLAY_SECONDS = 24 * 3600;

/**
 * Builds the Powertools pieces on first use: only requests that carry the header pay for
 * loading the idempotency package (cold start matters on every other request).
 */
const load = async (ddb: DynamoDBClient, tableName: string) => {
  // One after the other: the two entry points share modules, and Jest's ESM loader fails on
  // parallel dynamic imports of a shared graph ("request … is not in cache").
  const { IdempotencyConfig, makeIdempotent } = await import('@aws-lambda-powertools/idempotency');
  const { DynamoDBPersistenceLayer } = await import('@aws-lambda-powertools/idempotency/dynamodb');
  /**
   * Powertools' DynamoDB layer, keyed for this project's one table: each record is its own
   * partition (`pk` = `IDEMPOTENCY#<sha256>`, `sk` = `IDEMPOTENCY`) instead of Powertools' single
   * static partition, and it expires through the table's TTL attribute.
   */
  class TablePersistenceLayer extends DynamoDBPersistenceLayer {
    protected override getKey(idempotencyKey: string): Record<string, AttributeValue> {
      return marshall({ pk: idempotencyKey, sk: 'IDEMPOTENCY' });
    }
  }
  const persistenceStore = new TablePersistenceLayer({
    tableName,
    awsSdkV3Client: ddb,
    keyAttr: 'pk',
    sortKeyAttr: 'sk',
    expiryAttr: 'ttl',
  });
  const config = new IdempotencyConfig({
    expiresAfterSeconds: REPLAY_SECONDS,
    hashFunction: 'sha256',
    responseHook: (response) => {
      const replay = response as unknown as HttpResponse;
      return { ...replay, headers: { ...replay.headers, 'idempotency-replayed': 'true' } } as never;
    },
  });
  const run = makeIdempotent(
    async (_fingerprint: Fingerprint, request: RouteRequest, handle: RouteHandler) => handle(request),
    { persistenceStore, config, dataIndexArgument: 0, keyPrefix: 'IDEMPOTENCY' },
  );
  return { config, run };
};

type Fingerprint = ReturnType<typeof requestFingerprint>;

/** What makes two requests "the same": the key, the route, every credential and the body. */
const requestFingerprint = (request: RouteRequest, key: string) => ({
  key,
  method: request.event.httpMethod,
  path: request.event.path,
  // Hashes only: the fingerprint is hashed again by Powertools, and never stored in clear.
  credentials: sha256(
    [request.headers.authorization, request.headers['user-jwt-token'], JSON.stringify(request.query)].join(
      '\u0000',
    ),
  ),
  body: sha256(JSON.stringify(request.body ?? null)),
});

/**
 * Wraps a generate handler so that a request carrying an `Idempotency-Key` header, retried
 * byte-for-byte with the same credentials, gets the first answer again without a second send
 * (Powertools idempotency). A failed first attempt is not remembered, so its retry runs anew.
 * Without the header the handler runs as it is, at no extra cost.
 */
export const idempotent = (handle: RouteHandler, ddb: DynamoDBClient, tableName: string): RouteHandler => {
  let loaded: ReturnType<typeof load> | undefined;
  return async (request) => {
    const key = request.headers['idempotency-key'];
    if (key === undefined) return handle(request);
    if (!/^[\x21-\x7e]{1,255}$/.test(key))
      throw createError(400, 'Idempotency-Key must be 1-255 printable characters');
    loaded ??= load(ddb, tableName);
    const { config, run } = await loaded;
    config.registerLambdaContext(request.context);
    try {
      return await run(requestFingerprint(request, key), request, handle);
    } catch (error) {
      const name = error instanceof Error ? error.name : '';
      if (name === 'IdempotencyAlreadyInProgressError') {
        throw createError(409, 'A request with this Idempotency-Key is still in progress');
      }
      if (name === 'IdempotencyPersistenceLayerError') {
        throw new ServiceUnavailableError('Idempotency store unavailable', { cause: error });
      }
      throw error;
    }
  };
};
