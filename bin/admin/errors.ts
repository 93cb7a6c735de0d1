/**
 * The admin CLI's errors as an operator reads them: a list of field paths for a bad tenant
 * file, the endpoint for an unreachable table, one line for the rest; never a stack or zod JSON.
 */
import * as z from 'zod';
import { BrandTakenError } from '../../shared/store/capillary-auth-sessions';
import { TenantSecretError } from '../../shared/tenant-secrets';
import { AdminError } from './operations';

/** A wrong or missing argument: printed with the command's usage, exit 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Where the CLI sends its requests, for messages that must name it. */
export interface Target {
  tableName: string;
  /** DYNAMODB_ENDPOINT, or undefined for AWS. */
  endpoint?: string;
  region?: string;
}

/** `  policy.codeLength: Too big: expected number to be <=10`, one line per issue. */
export const zodIssues = (error: z.ZodError): string =>
  error.issues
    .map((i) => `  ${i.path.map(String).join('.') || '(the whole record)'}: ${i.message}`)
    .join('\n');

/** Node's network error codes: the request never reached DynamoDB. */
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

const where = (t: Target) =>
  t.endpoint ? `DynamoDB at ${t.endpoint}` : `DynamoDB in ${t.region ?? 'the default AWS region'}`;

/** One readable message for anything a command throws. */
export const describeError = (error: unknown, target: Target | undefined): string => {
  if (error instanceof z.ZodError) return `the record is not a valid tenant:\n${zodIssues(error)}`;
  if (error instanceof AdminError || error instanceof UsageError || error instanceof BrandTakenError)
    return error.message;
  if (error instanceof TenantSecretError)
    return `${error.message}. Is SEALING_KEY_SECRET_ARN (or TENANT_SEALING_KEY) the key of this table?`;
  const e = error as {
    name?: string;
    code?: string;
    message?: string;
    $metadata?: { httpStatusCode?: number };
  };
  if (target) {
    if (e.name === 'ResourceNotFoundException')
      return `table ${target.tableName} not found in ${where(target)} (TABLE_NAME is the stack output TableName; otp-local for npm start)`;
    if (e.name === 'CredentialsProviderError')
      return `no AWS credentials for ${where(target)}: set AWS_PROFILE, or DYNAMODB_ENDPOINT for DynamoDB Local`;
    const code = e.code ?? (e as { cause?: { code?: string } }).cause?.code;
    if ((code && UNREACHABLE.has(code)) || e.name === 'TimeoutError')
      return `cannot reach ${where(target)} (${code ?? e.name}): is it running, and is DYNAMODB_ENDPOINT right?`;
  }
  return e.message ?? String(error);
};
