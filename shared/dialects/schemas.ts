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

/**
 * Schemas of every operation by operationId (see shared/routes.ts). Each dialect registers its
 * own in its schemas module; the OpenAPI generator reads this map.
 */
export const OPERATION_SCHEMAS: Record<string, OperationSchemas> = {};

/**
 * Registers a dialect's part of the OpenAPI document as one block: its operations' schemas and
 * the security schemes they name (called at module load of each dialect's schemas module).
 */
export const registerSchemas = (
  schemas: Record<string, OperationSchemas>,
  securitySchemes: Record<string, SecurityScheme> = {},
): void => {
  Object.assign(OPERATION_SCHEMAS, schemas);
  Object.assign(SECURITY_SCHEMES, securitySchemes);
};
