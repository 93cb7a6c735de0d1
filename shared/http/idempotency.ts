import type { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { createError } from '@middy/util';
import { openCode, sealCode, sha256 } from '../crypto';
import { ServiceUnavailableError } from '../errors';
import { storeFault } from '../store/dynamo';
import { Refusal } from './refusal';
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
    // Runs on a replay only: the stored answer is marked so the caller can say so.
    responseHook: (stored) => ({ ...(stored as unknown as Stored), replayed: true }) as never,
  });
  const run = makeIdempotent(
    async (fingerprint: Fingerprint, request: RouteRequest, handle: RouteHandler): Promise<Stored> => {
      const response = await handle(request);
      // Only a success is an answer worth replaying. A refusal is thrown (shared/http/refusal.ts);
      // a non-2xx that a handler returned anyway is thrown too, so Powertools deletes the record
      // and the retry runs anew.
      if (response.status < 200 || response.status >= 300)
        throw new Refusal(response, `status-${response.status}`);
      // Sealed: an answer can carry a binding secret (app-otp's authCode), and the record lives 24 h.
      return { sealed: sealCode(await request.deps.pepper(), aadOf(fingerprint), JSON.stringify(response)) };
    },
    { persistenceStore, config, dataIndexArgument: 0, keyPrefix: 'IDEMPOTENCY' },
  );
  return { config, run };
};

type Fingerprint = ReturnType<typeof requestFingerprint>;

/** What an idempotency record keeps of an answer: the answer sealed, never in clear. */
type Stored = { sealed: string; replayed?: boolean };

/** The associated data of a sealed answer: it opens only for the request it answered. */
const aadOf = (f: Fingerprint): string =>
  ['IDEMPOTENCY', f.key, f.method, f.path, f.credentials, f.body].join('|');

/**
 * Every header that carries a credential, in any dialect. A replay is answered without running
 * the handler, so without its authentication: a credential left out of this list would let a
 * caller who knows only the rest of the request (a LoginRadius apiKey, the body, the
 * Idempotency-Key) read the first answer without the secret.
 */
const CREDENTIAL_HEADERS = [
  'authorization',
  'user-jwt-token',
  'x-loginradius-apikey',
  'x-loginradius-apisecret',
  'x-request-expires',
  'digest',
] as const;

/** What makes two requests "the same": the key, the route, every credential and the body. */
const requestFingerprint = (request: RouteRequest, key: string) => ({
  key,
  method: request.event.httpMethod,
  path: request.event.path,
  // Hashes only: the fingerprint is hashed again by Powertools, and never stored in clear.
  credentials: sha256(
    [...CREDENTIAL_HEADERS.map((name) => request.headers[name]), JSON.stringify(request.query)].join(
      '\u0000',
    ),
  ),
  body: sha256(JSON.stringify(request.body ?? null)),
});

/**
 * Wraps a generate handler so that a request carrying an `Idempotency-Key` header, retried
 * byte-for-byte with the same credentials, gets the first answer again without a second send
 * (Powertools idempotency). Only a successful answer is remembered, sealed under the pepper: a
 * refusal or a failure is not, so its retry runs anew.
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
    const fingerprint = requestFingerprint(request, key);
    try {
      const stored = await run(fingerprint, request, handle);
      const response = JSON.parse(
        openCode(await request.deps.pepper(), aadOf(fingerprint), stored.sealed),
      ) as HttpResponse;
      return stored.replayed
        ? { ...response, headers: { ...response.headers, 'idempotency-replayed': 'true' } }
        : response;
    } catch (error) {
      const name = error instanceof Error ? error.name : '';
      if (name === 'IdempotencyAlreadyInProgressError') {
        throw createError(409, 'A request with this Idempotency-Key is still in progress');
      }
      if (name === 'IdempotencyPersistenceLayerError') {
        const fault = storeFault((error as { cause?: unknown }).cause) ?? 'store-timeout';
        throw new ServiceUnavailableError('Idempotency store unavailable', { cause: error, fault });
      }
      throw error;
    }
  };
};
