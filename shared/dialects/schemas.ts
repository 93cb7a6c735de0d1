import type { ZodType } from 'zod';

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
}

/**
 * Schemas of every operation by operationId (see shared/routes.ts). Each dialect registers its
 * own in its schemas module; the OpenAPI generator reads this map.
 */
export const OPERATION_SCHEMAS: Record<string, OperationSchemas> = {};

/** Registers a dialect's operation schemas (called at module load of each dialect's schemas). */
export const registerSchemas = (schemas: Record<string, OperationSchemas>): void => {
  Object.assign(OPERATION_SCHEMAS, schemas);
};
