import { STATUS_CODES } from 'node:http';
import type { ZodType } from 'zod';
import * as z from 'zod';
import { OPERATION_SCHEMAS } from './dialects/schemas';
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
  components: { schemas: Record<string, JsonSchema> };
}

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
    ...json
  } = z.toJSONSchema(schema, {
    target: 'draft-2020-12',
    io: 'input',
    // Transforms and custom checks have no JSON Schema; document them as "anything" rather than fail.
    unrepresentable: 'any',
  }) as JsonSchema & { $defs?: Record<string, JsonSchema> };
  if (!$defs) return json;
  // Ids a dialect gave with .meta({ id }) stay readable; zod's generated names get a unique prefix.
  const rename = (key: string) => (key.startsWith('__') ? `${name}${key}` : key);
  for (const [key, def] of Object.entries($defs)) {
    components[rename(key)] = rewriteRefs(def, rename) as JsonSchema;
  }
  return rewriteRefs(json, rename) as JsonSchema;
};

/** Parameters of one location (query or header) from an object schema's properties. */
const objectParameters = (
  schema: ZodType | undefined,
  location: 'query' | 'header',
  name: string,
  components: Record<string, JsonSchema>,
): JsonSchema[] => {
  if (!schema) return [];
  const json = toJsonSchema(schema, name, components);
  const properties = (json.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((json.required ?? []) as string[]);
  return Object.entries(properties).map(([key, property]) => {
    const { description, ...rest } = property;
    return {
      name: key,
      in: location,
      required: required.has(key),
      ...(typeof description === 'string' ? { description } : {}),
      schema: rest,
    };
  });
};

/** `{param}` segments of an API Gateway path template. */
const pathParameterNames = (path: string): string[] =>
  [...path.matchAll(/\{([^}/]+)\}/g)].map((m) => m[1]).filter((p): p is string => p !== undefined);

const jsonContent = (schema: JsonSchema | undefined) => ({
  'application/json': { schema: schema ?? {} },
});

const operationFor = (route: RouteDef, components: Record<string, JsonSchema>): JsonSchema => {
  const schemas = OPERATION_SCHEMAS[route.operationId] ?? {};
  const id = route.operationId;
  const parameters = [
    ...pathParameterNames(route.path).map((name) => ({
      name,
      in: 'path',
      required: true,
      schema: { type: 'string' },
    })),
    ...objectParameters(schemas.query, 'query', `${id}Query`, components),
    ...objectParameters(schemas.headers, 'header', `${id}Headers`, components),
  ];
  const error = schemas.error ? toJsonSchema(schemas.error, `${id}Error`, components) : undefined;
  const responses: Record<string, unknown> = {
    [String(schemas.successStatus ?? 200)]: {
      description: 'Success',
      content: jsonContent(schemas.response && toJsonSchema(schemas.response, `${id}Response`, components)),
    },
  };
  for (const status of schemas.errorStatuses ?? []) {
    responses[String(status)] = { description: STATUS_CODES[status] ?? 'Error', content: jsonContent(error) };
  }
  return {
    operationId: id,
    summary: route.summary,
    tags: [DIALECTS[route.dialect].title],
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(schemas.body
      ? {
          requestBody: {
            required: true,
            content: jsonContent(toJsonSchema(schemas.body, `${id}Body`, components)),
          },
        }
      : {}),
    responses,
  };
};

/**
 * The OpenAPI 3.1 document of the API, generated from the route table and the zod schemas each
 * dialect registered in OPERATION_SCHEMAS. Import the dialect modules (or their schemas modules)
 * before calling: an operation whose schemas are not registered is listed without bodies.
 */
export const buildOpenApi = (options: OpenApiOptions = {}): OpenApiDocument => {
  const included = new Set<DialectId>(options.dialects ?? (Object.keys(DIALECTS) as DialectId[]));
  const components: Record<string, JsonSchema> = {};
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
    components: { schemas: components },
  };
};
