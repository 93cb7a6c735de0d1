import * as z from 'zod';

/**
 * Fixed values of the local runtime. They are LOCAL-ONLY: they are in the source tree, so anything
 * protected by them is public. In AWS the pepper, signing key and sealing key come from Secrets Manager
 * (shared/app-deps.ts) and none of these constants is read.
 */
export const LOCAL_CONSTANTS = {
  /** The one table, created in DynamoDB Local at start. */
  tableName: 'otp-local',
  /** HMAC pepper for code hashes and destination keys (local only). */
  pepper: 'local-only-pepper-never-use-in-aws-0123456789',
  /** Key that signs access tokens (Capillary auth engine), local only. */
  signingKey: 'local-only-token-signing-key-never-use-in-aws-0123456789',
  /** Key that seals tenant secrets in the table (shared/tenant-secrets.ts), local only. */
  tenantSealingKey: 'local-only-tenant-sealing-key-never-use-in-aws-0123456789',
  /** Sender address of e-mails; the SES emulator accepts any syntactically valid address. */
  sesFrom: 'no-reply@example.com',
} as const;

/**
 * Ports and bind address of `npm start`, from the environment, validated once. Each port must be
 * free; the start script names the variable to change when one is taken.
 */
const localEnvSchema = z.object({
  /** The API, the outbox and the inbox page. */
  PORT: z.coerce.number().int().min(1).max(65_535).default(3000),
  /** Loopback by default: the outbox shows every code sent, so it must not face a network. */
  HOST: z.string().min(1).default('127.0.0.1'),
  /** DynamoDB Local (Java). */
  DYNAMODB_PORT: z.coerce.number().int().min(1).max(65_535).default(8000),
  /** The SES emulator (aws-ses-v2-local). */
  SES_PORT: z.coerce.number().int().min(1).max(65_535).default(8005),
});

export type LocalEnv = z.infer<typeof localEnvSchema>;

/** Parses the local runtime's environment; throws an error naming every bad variable. */
export const parseLocalEnv = (env: Record<string, string | undefined>): LocalEnv => {
  const result = localEnvSchema.safeParse(env);
  if (!result.success) {
    const detail = result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`Invalid local configuration: ${detail}`);
  }
  return result.data;
};
