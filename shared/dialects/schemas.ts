import type { ZodType } from 'zod';

/**
 * A dialect marks an enum it matches case-insensitively with `.meta({ [CASE_INSENSITIVE]: true })`
 * (seed 004 sends `email` and `whatsapp` where its tables say EMAIL, WHATSAPP): the OpenAPI document lists
 * the lower-case spellings too, so the seeds' own examples validate.
 */
export const CASE_INSENSITIVE = 'x-case-insensitive';

/** The documented shapes of one operation, for the OpenAPI document. */
export interface OperationSchemas {
  /** JSON (or form) request body. */
  body?: ZodType;
  /** Query string parameters (object schema). */
  query?: ZodType;
  /** Request headers the operation reads (object schema, lower-case names). */
  headers?: ZodType;
  /** Success response body. */
  response?: ZodType;
  /** Status of a success (default 200; Twilio's creates answer 201). */
  successStatus?: number;
  /** Error response body (the dialect's error shape). */
  error?: ZodType;
  /** Statuses the error shape is returned with. */
  errorStatuses?: number[];
  /** Statuses answered with a `Retry-After` header (default: 503, which every dialect sends it with). */
  retryAfterStatuses?: number[];
  /** Path parameters (object schema), e.g. an enum of the values a segment takes. */
  path?: ZodType;
  /** Media types the body is accepted in (default JSON only); LoginRadius also takes a form. */
  bodyMediaTypes?: readonly BodyMediaType[];
  /**
   * Who may call: alternatives, each naming schemes of SECURITY_SCHEMES that must all be present
   * (OpenAPI security requirements). `[]` documents an anonymous operation.
   */
  security: SecurityRequirement[];
  /** Named request examples (the seeds' bodies) and a success response example. */
  examples?: { request?: Record<string, { summary: string; value: unknown }>; response?: unknown };
}

/** An OpenAPI security requirement: scheme names, each with its (empty) scope list. */
export type SecurityRequirement = Record<string, string[]>;

export type BodyMediaType = 'application/json' | 'application/x-www-form-urlencoded';

/** An OpenAPI 3.1 security scheme object. */
export type SecurityScheme =
  | { type: 'http'; scheme: 'basic' | 'bearer'; bearerFormat?: string; description: string }
  | { type: 'apiKey'; in: 'header' | 'query'; name: string; description: string };

/** Security schemes by name; each dialect registers the ones its operations name. */
export const SECURITY_SCHEMES: Record<string, SecurityScheme> = {};

/** Builders of each dialect's operation schemas, not yet run. */
const pending: Array<() => Record<string, OperationSchemas>> = [];
const built: Record<string, OperationSchemas> = {};

/**
 * Schemas of every operation by operationId (see shared/routes.ts), for the OpenAPI generator and
 * the tests. Built on first call: a Lambda never calls it, so the documentation-only schemas
 * (responses, error shapes, vendor-cased bodies) cost its cold start nothing. Building a zod
 * schema is the largest part of importing the code (docs/PERFORMANCE.md, "Cold start").
 */
export const operationSchemas = (): Readonly<Record<string, OperationSchemas>> => {
  for (const build of pending.splice(0)) Object.assign(built, build());
  return built;
};

/**
 * Registers a dialect's part of the OpenAPI document as one block: a function that builds its
 * operations' schemas (run by `operationSchemas()`, never at module load) and the security schemes
 * they name.
 */
export const registerSchemas = (
  build: () => Record<string, OperationSchemas>,
  securitySchemes: Record<string, SecurityScheme> = {},
): void => {
  pending.push(build);
  Object.assign(SECURITY_SCHEMES, securitySchemes);
};
