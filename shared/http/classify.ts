import { ZodError } from 'zod';
import { OtpError } from '../errors';
import { Refusal } from './refusal';
import type { HttpResponse } from './types';

/** The kinds of failure every dialect's error mapper distinguishes. */
export type Classified =
  | { kind: 'refusal'; response: HttpResponse; reason: string }
  | { kind: 'otp'; error: OtpError }
  | {
      kind: 'validation';
      message: string;
      paths: string[] /** Top-level field of the first issue, '' for the body. */;
      field: string;
    }
  | { kind: 'http'; status: number; message: string }
  | { kind: 'internal' };

/** An error raised by middy's parsers and router (`createError(status, message)`). */
const httpStatus = (error: unknown): number | undefined => {
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' && status >= 400 && status < 500 ? status : undefined;
};

/**
 * Sorts an error for a dialect's mapper. Malformed JSON (middy answers 415) becomes a 400: the
 * body, not its media type, is what was wrong.
 */
export const classify = (error: unknown): Classified => {
  if (error instanceof Refusal) return { kind: 'refusal', response: error.response, reason: error.reason };
  if (error instanceof OtpError) return { kind: 'otp', error };
  if (error instanceof ZodError) {
    const first = error.issues[0];
    const paths = error.issues.map((i) => i.path.join('.'));
    return {
      kind: 'validation',
      message: first ? `${first.path.join('.') || 'body'}: ${first.message}` : 'Invalid request',
      paths,
      field: String(first?.path[0] ?? ''),
    };
  }
  const status = httpStatus(error);
  if (status !== undefined) {
    const message = error instanceof Error ? error.message : 'Bad request';
    if (status === 415 && /malformed/i.test(message))
      return { kind: 'http', status: 400, message: 'Malformed request body' };
    return { kind: 'http', status, message };
  }
  return { kind: 'internal' };
};
