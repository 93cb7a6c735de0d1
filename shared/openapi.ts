import { STATUS_CODES } from 'node:http';
import type { ZodType } from 'zod';
import * as z from 'zod';
import {
  CASE_INSENSITIVE,
  type OperationSchemas,
  operationSchemas,
  SECURITY_SCHEMES,
  type SecurityScheme,
} from './dialects/schemas';
import { DIALECTS, type DialectId, ROUTES, type RouteDef } from './routes';

type JsonSchema = Record<string, unknown>;

export interface OpenApiOptions {
  /** Dialects to document (default: all); the local server passes the ones it serves. */
  dialects?: readonly DialectId[];
  /** Base URL for `servers`, e.g. `http://127.0.0.1:3000` or the API Gateway stage URL. */
  serverUrl?: string;
  /** Document version (`info.version`). */
  version?: string;
}

export interface OpenApiDocument {
  openapi: '3.1.0';
  info: { title: string; version: string; description: string };
  jsonSchemaDialect: string;
  servers?: Array<{ url: string }>;
  tags: Array<{ name: string; description: string }>;
  paths: Record<string, Record<string, unknown>>;
  components: { schemas: Record<string, JsonSchema>; securitySchemes: Record<string, SecurityScheme> };
}

/** The security scheme names the operations of `paths` require. */
const usedSchemes = (paths: OpenApiDocument['paths']): Set<string> =>
  new Set(
    Object.values(paths).flatMap((item) =>
      Object.values(item).flatMap((op) =>
        ((op as { security?: Array<Record<string, string[]>> }).security ?? []).flatMap((r) =>
          Object.keys(r),
        ),
      ),
    ),
  );

const DEF_REF = '#/$defs/';
const COMPONENT_REF = '#/components/schemas/';

/** Rewrites `#/$defs/x` references (valid inside a standalone schema) to the document's components. */
const rewriteRefs = (value: unknown, rename: (key: string) => string): unknown => {
  if (Array.isArray(value)) return value.map((v) => rewriteRefs(v, rename));
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) =>
      k === '$ref' && typeof v === 'string' && v.startsWith(DEF_REF)
        ? [k, `${COMPONENT_REF}${rename(v.slice(DEF_REF.length))}`]
        : [k, rewriteRefs(v, rename)],
    ),
  );
};

/** Enums marked CASE_INSENSITIVE list their lower-case spellings too (see CASE_INSENSITIVE). */
const withLowerCaseEnums = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(withLowerCaseEnums);
  if (value === null || typeof value !== 'object') return value;
  const node = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withLowerCaseEnums(v)]));
  if (node[CASE_INSENSITIVE] === true && Array.isArray(node.enum)) {
    const values = node.enum as unknown[];
    node.enum = [
      ...new Set([...values, ...values.map((v) => (typeof v === 'string' ? v.toLowerCase() : v))]),
    ];
  }
  return node;
};

/**
 * One zod schema as a JSON Schema 2020-12 object (the dialect of OpenAPI 3.1), describing what a
 * client sends (`io: 'input'`: before defaults and transforms). Shared or recursive parts that zod
 * emits as `$defs` move to `components.schemas`, because `#/$defs/…` would resolve against the
 * document root once the schema is embedded.
 */
const toJsonSchema = (schema: ZodType, name: string, components: Record<string, JsonSchema>): JsonSchema => {
  const {
    $schema: _dialect,
    $defs,
    ...raw
  } = z.toJSONSchema(schema, {
    target: 'draft-2020-12',
    io: 'input',
    // Transforms and custom checks have no JSON Schema; document them as "anything" rather than fail.
    unrepresentable: 'any',
  }) as JsonSchema & { $defs?: Record<string, JsonSchema> };
  const json = withLowerCaseEnums(raw) as JsonSchema;
  if (!$defs) return json;
  // Ids a dialect gave with .meta({ id }) stay readable; zod's generated names get a unique prefix.
  const rename = (key: string) => (key.startsWith('__') ? `${name}${key}` : key);
  for (const [key, def] of Object.entries($defs)) {
    components[rename(key)] = rewriteRefs(withLowerCaseEnums(def), rename) as JsonSchema;
  }
  return rewriteRefs(json, rename) as JsonSchema;
};

/** `capillaryV2Generate` → `CapillaryV2Generate`, `capillary-auth` → `CapillaryAuth`. */
const pascal = (name: string): string =>
  name.replace(/(^|[-_])([a-z0-9])/g, (_, _sep: string, c: string) => c.toUpperCase());

/**
 * The document's named schemas. Every body, response and error shape goes to
 * `components.schemas` under a name and is referenced, so a generated client gets real types;
 * one zod object used by several operations (a dialect's error shape) is one component.
 */
class Components {
  readonly schemas: Record<string, JsonSchema> = {};
  private readonly names = new Map<ZodType, string>();

  ref(schema: ZodType, name: string): JsonSchema {
    let known = this.names.get(schema);
    if (!known) {
      known = name;
      this.names.set(schema, known);
      this.schemas[known] = toJsonSchema(schema, known, this.schemas);
    }
    return { $ref: `${COMPONENT_REF}${known}` };
  }
}

/** Parameters of one location (path, query or header) from an object schema's properties. */
const objectParameters = (
  schema: ZodType | undefined,
  location: 'path' | 'query' | 'header',
  name: string,
  components: Components,
): JsonSchema[] => {
  if (!schema) return [];
  const json = toJsonSchema(schema, name, components.schemas);
  const properties = (json.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((json.required ?? []) as string[]);
  return Object.entries(properties).map(([key, property]) => {
    const { description, ...rest } = property;
    return {
      name: key,
      in: location,
      required: location === 'path' || required.has(key),
      ...(typeof description === 'string' ? { description } : {}),
      schema: rest,
    };
  });
};

/** `{param}` segments of an API Gateway path template. */
const pathParameterNames = (path: string): string[] =>
  [...path.matchAll(/\{([^}/]+)\}/g)].map((m) => m[1]).filter((p): p is string => p !== undefined);

/** A dialect's name in component names, where pascal() of its id would misspell it. */
const SPELLED: Partial<Record<DialectId, string>> = { loginradius: 'LoginRadius', summitai: 'SummitAi' };
const errorName = (dialect: DialectId): string => SPELLED[dialect] ?? pascal(dialect);

/** Generate endpoints take an idempotency key (shared/http/idempotency.ts). */
const IDEMPOTENCY_KEY = {
  name: 'Idempotency-Key',
  in: 'header',
  required: false,
  description:
    'A retry with the same key, route, credentials and body within 24 hours gets the first answer and sends nothing again',
  schema: { type: 'string', minLength: 1, maxLength: 255 },
};

const RETRY_AFTER = {
  'Retry-After': {
    description: 'Seconds to wait before trying again',
    schema: { type: 'integer', minimum: 1 },
  },
};

const operationFor = (route: RouteDef, components: Components): JsonSchema => {
  const id = route.operationId;
  const schemas: OperationSchemas = operationSchemas()[id] ?? { security: [] };
  const name = pascal(id);
  const documented = new Set(
    objectParameters(schemas.path, 'path', `${name}Path`, components).map((p) => p.name),
  );
  const parameters = [
    ...objectParameters(schemas.path, 'path', `${name}Path`, components),
    ...pathParameterNames(route.path)
      .filter((p) => !documented.has(p))
      .map((p) => ({ name: p, in: 'path', required: true, schema: { type: 'string' } })),
    ...objectParameters(schemas.query, 'query', `${name}Query`, components),
    ...objectParameters(schemas.headers, 'header', `${name}Headers`, components),
    ...(route.sends ? [IDEMPOTENCY_KEY] : []),
  ];
  const examples = schemas.examples;
  const media = (schema: JsonSchema, example?: unknown) => ({
    schema,
    ...(example === undefined ? {} : { example }),
  });
  const error = schemas.error && components.ref(schemas.error, `${errorName(route.dialect)}Error`);
  const retryAfter = new Set(schemas.retryAfterStatuses ?? [503]);
  const responses: Record<string, unknown> = {
    [String(schemas.successStatus ?? 200)]: {
      description: 'Success',
      content: {
        'application/json': media(
          schemas.response ? components.ref(schemas.response, `${name}Response`) : {},
          examples?.response,
        ),
      },
    },
  };
  for (const status of schemas.errorStatuses ?? []) {
    responses[String(status)] = {
      description: STATUS_CODES[status] ?? 'Error',
      ...(retryAfter.has(status) ? { headers: RETRY_AFTER } : {}),
      content: { 'application/json': media(error ?? {}) },
    };
  }
  const body = schemas.body && components.ref(schemas.body, `${name}Request`);
  return {
    operationId: id,
    summary: route.summary,
    tags: [DIALECTS[route.dialect].title],
    security: schemas.security,
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(body
      ? {
          requestBody: {
            required: true,
            content: Object.fromEntries(
              (schemas.bodyMediaTypes ?? ['application/json']).map((type) => [
                type,
                { schema: body, ...(examples?.request ? { examples: examples.request } : {}) },
              ]),
            ),
          },
        }
      : {}),
    responses,
  };
};

/**
 * The OpenAPI 3.1 document of the API, generated from the route table and the zod schemas each
 * dialect registered (`operationSchemas()`). Import the dialect modules (or their schemas modules)
 * before calling: an operation whose schemas are not registered is listed without bodies.
 */
export const buildOpenApi = (options: OpenApiOptions = {}): OpenApiDocument => {
  const included = new Set<DialectId>(options.dialects ?? (Object.keys(DIALECTS) as DialectId[]));
  const components = new Components();
  const paths: OpenApiDocument['paths'] = {};
  for (const route of ROUTES) {
    if (!included.has(route.dialect)) continue;
    paths[route.path] = {
      ...paths[route.path],
      [route.method.toLowerCase()]: operationFor(route, components),
    };
  }
  const tags = (Object.keys(DIALECTS) as DialectId[])
    .filter((d) => included.has(d))
    .map((d) => ({ name: DIALECTS[d].title, description: `The ${d} dialect` }));
  return {
    openapi: '3.1.0',
    info: {
      title: 'OTP service',
      version: options.version ?? '0.1.0',
      description:
        'One-time passwords over five vendor API dialects on one engine. Codes are never returned by any ' +
        'endpoint; they reach the user through the channels.',
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    ...(options.serverUrl ? { servers: [{ url: options.serverUrl }] } : {}),
    tags,
    paths,
    components: {
      schemas: components.schemas,
      // Only the schemes the document's operations name, in a stable order.
      securitySchemes: Object.fromEntries(
        Object.entries(SECURITY_SCHEMES).filter(([scheme]) => usedSchemes(paths).has(scheme)),
      ),
    },
  };
};
