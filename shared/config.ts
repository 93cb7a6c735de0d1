import * as z from 'zod';

/**
 * The environment, read once at cold start and validated. Nothing else in the code base reads
 * `process.env`; a missing or malformed variable fails loudly with its name.
 */
const configSchema = z
  .object({
    /** The one DynamoDB table (pk, sk, ttl). */
    TABLE_NAME: z.string().min(1),
    /** Secrets Manager ARN of the HMAC pepper for code hashes and destination keys (AWS). */
    PEPPER_SECRET_ARN: z.string().min(1).optional(),
    /** The pepper itself (local runtime and tests only; never set this in AWS). */
    OTP_PEPPER: z.string().min(16).optional(),
    /**
     * Secrets Manager ARN of the key that signs access tokens. Only the Capillary auth engine's
     * function gets it (and may read the secret); the others start and answer without it.
     */
    SIGNING_KEY_SECRET_ARN: z.string().min(1).optional(),
    /** The signing key itself (local runtime and tests only). */
    TOKEN_SIGNING_KEY: z.string().min(32).optional(),
    /**
     * Secrets Manager ARN of the key that seals tenant secrets in the table (JWT HS256 secrets,
     * payload-signing secrets, provider tokens). Not the pepper: rotating one leaves the other.
     */
    SEALING_KEY_SECRET_ARN: z.string().min(1).optional(),
    /** The tenant sealing key itself (local runtime and tests only). */
    TENANT_SEALING_KEY: z.string().min(32).optional(),
    /** Endpoint overrides for local emulators (DynamoDB Local, aws-ses-v2-local). */
    DYNAMODB_ENDPOINT: z.url().optional(),
    SES_ENDPOINT: z.url().optional(),
    /** Default e-mail sender; a tenant may set its own. Must be a verified SES identity in AWS. */
    SES_FROM_ADDRESS: z.email().default('no-reply@example.com'),
    /** The EventBridge bus lifecycle events go to (name or ARN); unset: no events are published. */
    OTP_EVENT_BUS_NAME: z.string().min(1).optional(),
    /** SES configuration set whose event destination reports delivery receipts (the stack's). */
    SES_CONFIGURATION_SET: z.string().min(1).optional(),
    /** SMS-Voice v2 configuration set whose event destination reports voice receipts (the stack's). */
    SMS_VOICE_CONFIGURATION_SET: z.string().min(1).optional(),
    /** Set by the Lambda runtime; without it (npm start, tests, scripts) nothing is traced. */
    AWS_EXECUTION_ENV: z.string().min(1).optional(),
    /** Set by `sam local`, which has no X-Ray daemon: nothing is traced. */
    AWS_SAM_LOCAL: z.string().min(1).optional(),
    /** `false` turns X-Ray subsegments off (Powertools' own switch); they are on in Lambda otherwise. */
    POWERTOOLS_TRACE_ENABLED: z.enum(['true', 'false']).optional(),
    /**
     * Who sends SMS: `sns` (SNS Publish, the default) or `end-user-messaging` (SMS-Voice v2
     * SendTextMessage with SMS_VOICE_CONFIGURATION_SET, so texts get delivery receipts).
     */
    SMS_PROVIDER: z.enum(['sns', 'end-user-messaging']).default('sns'),
    /**
     * Fallback workflows (README "Fallback workflows"): the EventBridge Scheduler group steps are
     * scheduled in, the function they invoke and the role Scheduler assumes to invoke it. Without
     * all three a dialect function starts no workflow; the fallback function itself has no
     * FALLBACK_FUNCTION_ARN (it would name itself) and takes its ARN from its invocation.
     */
    FALLBACK_SCHEDULE_GROUP: z.string().min(1).optional(),
    FALLBACK_FUNCTION_ARN: z.string().min(1).optional(),
    FALLBACK_SCHEDULER_ROLE_ARN: z.string().min(1).optional(),
    /** Seconds a tenant record and its credentials are cached in a warm container. */
    TENANT_CACHE_SECONDS: z.coerce.number().int().min(0).max(3600).default(60),
  })
  .refine((c) => c.PEPPER_SECRET_ARN ?? c.OTP_PEPPER, {
    message: 'set PEPPER_SECRET_ARN (AWS) or OTP_PEPPER (local)',
    path: ['PEPPER_SECRET_ARN'],
  })
  .refine((c) => !c.FALLBACK_SCHEDULE_GROUP === !c.FALLBACK_SCHEDULER_ROLE_ARN, {
    message: 'set FALLBACK_SCHEDULE_GROUP and FALLBACK_SCHEDULER_ROLE_ARN together',
    path: ['FALLBACK_SCHEDULE_GROUP'],
  })
  // Every function reads tenants, and a tenant with secrets cannot be read without this key.
  .refine((c) => c.SEALING_KEY_SECRET_ARN ?? c.TENANT_SEALING_KEY, {
    message: 'set SEALING_KEY_SECRET_ARN (AWS) or TENANT_SEALING_KEY (local)',
    path: ['SEALING_KEY_SECRET_ARN'],
  });

export type Config = z.infer<typeof configSchema>;

/** Parses an environment; throws an error that names every bad variable. */
export const parseConfig = (env: Record<string, string | undefined>): Config => {
  const result = configSchema.safeParse(env);
  if (!result.success) {
    const detail = result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`Invalid configuration: ${detail}`);
  }
  return result.data;
};

/**
 * Whether this process records X-Ray subsegments: in Lambda (where active tracing gives each
 * invocation a segment), not under sam local, and not switched off.
 */
export const tracingOn = (
  c: Partial<Pick<Config, 'AWS_EXECUTION_ENV' | 'AWS_SAM_LOCAL' | 'POWERTOOLS_TRACE_ENABLED'>>,
): boolean =>
  c.AWS_EXECUTION_ENV !== undefined &&
  c.AWS_SAM_LOCAL === undefined &&
  c.POWERTOOLS_TRACE_ENABLED !== 'false';

let cached: Config | undefined;

/** The process's configuration, parsed on first use. */
export const config = (): Config => {
  cached ??= parseConfig(process.env);
  return cached;
};
