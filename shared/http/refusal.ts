import type { HttpResponse } from './types';

/**
 * The one way a handler refuses a request: a thrown error that carries the answer in the
 * dialect's own shape (status, vendor body, headers) and a short reason code for the logs.
 * Thrown, never returned, so the plumbing treats every refusal alike: the error mapper answers
 * with it, `classify` knows it (no "unhandled error" line), and idempotency never stores it as an
 * answer to replay.
 */
export class Refusal extends Error {
  constructor(
    readonly response: HttpResponse,
    /** A stable code for logs and metrics (`unknown-brand`, `invalid-channel`, …). */
    readonly reason: string,
  ) {
    super(`Refused: ${reason}`);
    this.name = 'Refusal';
  }
}

/** Throws a refusal; `refuse(v2Error(…), 'whatsapp-template-missing')`. */
export const refuse = (response: HttpResponse, reason: string): never => {
  throw new Refusal(response, reason);
};
