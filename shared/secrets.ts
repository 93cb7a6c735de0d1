import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import { ServiceUnavailableError } from './errors';

/** Seconds a secret stays cached in a warm container; rotation takes effect within this. */
const SECRET_MAX_AGE_SECONDS = 300;

/**
 * A secret as bytes: the local value when configured, else the Secrets Manager secret, fetched
 * once per container and cached (Powertools Parameters).
 */
export const secretValue =
  (local: string | undefined, arn: string | undefined, what: string) => async (): Promise<Buffer> => {
    if (local) return Buffer.from(local);
    if (!arn) throw new Error(`No ${what} configured`);
    let value: unknown;
    try {
      value = await getSecret(arn, { maxAge: SECRET_MAX_AGE_SECONDS });
    } catch (error) {
      // Secrets Manager throttled, unreachable or failing (a cold container during an outage):
      // the dialect's 503 with Retry-After, as for the store, not a masked 500. Nothing is cached,
      // so the next request asks again and recovers as soon as Secrets Manager answers.
      throw new ServiceUnavailableError(`The ${what} secret is unavailable`, {
        cause: error,
        fault: 'secrets-unavailable',
      });
    }
    if (typeof value !== 'string' || value.length < 16)
      throw new Error(`The ${what} secret is empty or too short`);
    return Buffer.from(value);
  };
