import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mockClient } from 'aws-sdk-client-mock';
import { createHandler } from '../../functions/capillary-v2';
import { ServiceUnavailableError } from '../../shared/errors';
import { secretValue } from '../../shared/secrets';
import { STORE_RETRY_AFTER_S } from '../../shared/timeouts';
import { apiEvent, appHarness, invoke } from '../support/app-harness';

/**
 * A cold container that starts while Secrets Manager is throttled or unreachable (issue 15): the
 * pepper cannot be read, so the request answers the dialect's 503 with Retry-After, never the
 * masked 500, and the next request after Secrets Manager answers again works (nothing is cached).
 * Secrets Manager is faulted at the client seam (aws-sdk-client-mock on the client Powertools builds).
 */
const ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:otp-pepper-AbCdEf';
const sm = mockClient(SecretsManagerClient);

describe('Secrets Manager faults', () => {
  beforeEach(() => {
    sm.reset();
    process.env.AWS_REGION = 'us-east-1';
  });
  afterEach(() => {
    sm.reset();
  });

  it.each([
    ['throttled', Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' })],
    ['unreachable', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })],
  ])(
    'a %s Secrets Manager is a ServiceUnavailableError (secrets-unavailable), never cached',
    async (_, fault) => {
      sm.on(GetSecretValueCommand).rejects(fault);
      // A fresh ARN per case: Powertools caches a fetched value per name (a failure is not cached).
      const arn = `${ARN}-${_}`;
      const pepper = secretValue(undefined, arn, 'pepper');
      const error = await pepper().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ServiceUnavailableError);
      expect(error).toMatchObject({ fault: 'secrets-unavailable' });
      // The next call asks again and recovers at once.
      sm.on(GetSecretValueCommand).resolves({ SecretString: 'p'.repeat(48) });
      await expect(pepper()).resolves.toEqual(Buffer.from('p'.repeat(48)));
      expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(2);
    },
  );

  it('answers a generate in the dialect shape with 503 and Retry-After, and sends nothing', async () => {
    sm.on(GetSecretValueCommand).rejects(
      Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }),
    );
    const t = await appHarness();
    const handler = createHandler({ ...t.deps, pepper: secretValue(undefined, `${ARN}-handler`, 'pepper') });
    const answer = await invoke(
      handler,
      apiEvent('POST', '/v2/otp/generate', {
        body: {
          entityType: 'MOBILE',
          entityValue: '919812345670',
          action: 'REGISTRATION',
          channels: [{ type: 'SMS', value: '919812345670' }],
        },
        headers: { authorization: t.basic },
      }),
    );
    expect(answer.status).toBe(503);
    expect(answer.headers?.['Retry-After'] ?? answer.headers?.['retry-after']).toBe(
      String(STORE_RETRY_AFTER_S),
    );
    expect(answer.body).toHaveProperty('errors');
    expect(t.sent).toEqual([]);
  });
});
