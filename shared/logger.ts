import { Logger } from '@aws-lambda-powertools/logger';

/**
 * Structured JSON logs (Powertools). Callers pass destinations through `maskDestination` and
 * never pass a code: the engine's log lines name the challenge id, never its secret.
 */
export const logger = new Logger({ serviceName: 'otp-service' });
