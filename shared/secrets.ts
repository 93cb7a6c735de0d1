import { getSecret } from '@aws-lambda-powertools/parameters/secrets';

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
    const value = await getSecret(arn, { maxAge: SECRET_MAX_AGE_SECONDS });
    if (typeof value !== 'string' || value.length < 16)
      throw new Error(`The ${what} secret is empty or too short`);
    return Buffer.from(value);
  };
