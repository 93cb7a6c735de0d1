import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { TWILIO_DEMO } from '../../local/demo/twilio-verify';
import { MAX_BODY_BYTES } from '../../shared/http/dialect-handler';
import type { LambdaHandler } from '../../shared/http/types';
import { DIALECTS, type DialectId, type RouteDef } from '../../shared/routes';
import {
  ALL_ROUTES,
  authParts,
  concretePath,
  diffTables,
  ERROR_SHAPES,
  isCountedAttempt,
  isEmptyDiff,
  isWrongCodeAnswer,
  type LiveIds,
  liveAuthEngineIds,
  type RawRequest,
  rawEvent,
  runRaw,
  SECURITY_HEADERS,
  type SecurityHarness,
  securityHarness,
  seedBodiesFor,
  signedSeed,
  snapshotTable,
  successSchema,
  type TableSnapshot,
} from '../support/security';

/**
 * Property-based fuzzing of every route of the route table, in-process through each dialect's
 * Lambda handler against DynamoDB Local. Every answer must be a 2xx or 4xx (no 5xx: the senders
 * work and the store is up), carry the security headers, be JSON in the dialect's error shape
 * (or its success shape), and a refused request must leave the table as it was.
 *
 * SECURITY_FUZZ_RUNS sets the runs per dialect and family (default 200), shared among the
 * dialect's routes; FAST_CHECK_SEED replays a failure.
 */
const PER_DIALECT = Number(process.env.SECURITY_FUZZ_RUNS ?? 200);
const SEED = process.env.FAST_CHECK_SEED ? Number(process.env.FAST_CHECK_SEED) : undefined;

/** fast-check parameters for one route: its dialect's runs split among the dialect's routes. */
const paramsFor = (route: RouteDef, cap = Number.POSITIVE_INFINITY) => ({
  numRuns: Math.min(
    cap,
    Math.ceil(PER_DIALECT / ALL_ROUTES.filter((r) => r.dialect === route.dialect).length),
  ),
  ...(SEED !== undefined ? { seed: SEED } : {}),
  endOnFailure: true,
});

/** Runs of the unknown-route property per dialect. */
const UNKNOWN_ROUTE_RUNS = 50;

let h: SecurityHarness;
let ids: LiveIds;
let table: TableSnapshot;
const counts = { total: 0, byStatus: {} as Record<number, number>, byDialect: {} as Record<string, number> };

beforeAll(async () => {
  h = await securityHarness();
  ids = await liveAuthEngineIds(h);
  table = await snapshotTable(h.deps);
}, 60_000);

afterAll(() => {
  // The figures for the report: how many requests the properties sent, and what they got.
  console.log(
    `security fuzz: ${counts.total} requests over ${ALL_ROUTES.length} routes (${PER_DIALECT} runs per dialect and family); ` +
      `by dialect ${JSON.stringify(counts.byDialect)}; by status ${JSON.stringify(counts.byStatus)}`,
  );
  h.ddb.destroy();
});

const WRITE_COMMANDS = [
  'PutItemCommand',
  'UpdateItemCommand',
  'DeleteItemCommand',
  'TransactWriteItemsCommand',
  'BatchWriteItemCommand',
];
/** Write requests this test's DynamoDB client has sent so far (conditional failures included). */
const writeRequests = () => WRITE_COMMANDS.reduce((n, c) => n + (h.requests.counts[c] ?? 0), 0);

type StatusExpectation = number | ((status: number) => boolean);

/** Marks the field a mutation removes (instead of setting it to a value). */
const DELETE = Symbol('delete');
type Path = Array<string | number>;

const clip = (s: string, n = 300) => (s.length > n ? `${s.slice(0, n)}…(${s.length} chars)` : s);

/**
 * Sends one request and checks every promise: no throw, 2xx/4xx only, security headers, JSON in
 * the dialect's shape, and no table change after a refusal (except one counted wrong attempt,
 * and the replay record of a payload hash that verified). Throws a readable error otherwise.
 */
const check = async (
  route: RouteDef,
  req: RawRequest,
  expected?: StatusExpectation,
  /** A stand-in handler, for the tests of this oracle itself (not counted). */
  handler?: LambdaHandler,
): Promise<void> => {
  if (!handler) {
    counts.total++;
    counts.byDialect[route.dialect] = (counts.byDialect[route.dialect] ?? 0) + 1;
  }
  const where = `${req.method} ${clip(req.path, 80)} body=${clip(String(req.body))} headers=${clip(JSON.stringify(req.headers ?? {}))} query=${clip(JSON.stringify(req.query ?? {}))}`;
  const writesBefore = writeRequests();
  const { result, thrown } = await runRaw(handler ?? h.handlers[route.dialect], rawEvent(req));
  if (!result) throw new Error(`handler threw ${String(thrown)} for ${where}`);
  const status = result.statusCode;
  if (!handler) counts.byStatus[status] = (counts.byStatus[status] ?? 0) + 1;
  const fail = (what: string) => new Error(`${what}: ${status} ${clip(result.body, 500)} for ${where}`);
  if (!((status >= 200 && status < 300) || (status >= 400 && status < 500))) throw fail('not a 2xx or 4xx');
  if (typeof expected === 'number' ? status !== expected : expected && !expected(status)) {
    throw fail('unexpected status');
  }
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) {
    if (result.headers?.[name] !== value) throw fail(`header ${name} missing`);
  }
  let body: unknown;
  try {
    body = JSON.parse(result.body);
  } catch {
    throw fail('body is not JSON');
  }
  // The table changes only through a write request of this client: with none sent, skip the scan.
  const after = writeRequests() === writesBefore ? table : await snapshotTable(h.deps);
  if (status >= 400) {
    if (!ERROR_SHAPES[route.dialect].safeParse(body).success) throw fail('not the dialect error shape');
    const diff = diffTables(table, after);
    const allowed =
      isEmptyDiff(diff) ||
      (isWrongCodeAnswer(route.dialect, status, body) && isCountedAttempt(diff)) ||
      // A payload hash that verified is recorded before the rest of the request is checked, so
      // the same signed body cannot be replayed even when its first use was refused later on.
      (diff.changed.length === 0 &&
        diff.removed.length === 0 &&
        diff.added.every((i) => String(i.pk).startsWith('HASH#')));
    if (!allowed) throw fail(`a refused request wrote ${clip(JSON.stringify(diff), 800)}`);
  } else {
    const schema = successSchema(route.operationId);
    if (schema && !schema.safeParse(body).success) throw fail('not the operation success shape');
  }
  table = after;
};

let idempotencyKeys = 0;

/**
 * The request every case starts from: the route, the dialect's valid credentials, a JSON body.
 * Every generate carries a fresh `Idempotency-Key`, so the oracle's "a refusal writes nothing"
 * also proves that no refusal is ever stored as an answer to replay.
 */
const baseRequest = (route: RouteDef, body: unknown): RawRequest => {
  const auth = authParts(route.dialect, h.clock.now());
  return {
    method: route.method,
    path: concretePath(route),
    body: body === undefined ? null : JSON.stringify(body),
    headers: {
      'content-type': 'application/json',
      ...auth.headers,
      ...(route.sends && { 'idempotency-key': `fuzz-${++idempotencyKeys}` }),
    },
    query: auth.query ?? null,
  };
};

/** Every path into a value (objects and arrays included), root excluded. */
const pathsOf = (value: unknown, prefix: Path = []): Path[] => {
  if (value === null || typeof value !== 'object') return [];
  const entries = Array.isArray(value) ? value.map((v, i) => [i, v] as const) : Object.entries(value);
  return entries.flatMap(([k, v]) => [[...prefix, k], ...pathsOf(v, [...prefix, k])]);
};

/** Paths whose value is a string. */
const stringPathsOf = (value: unknown): Path[] =>
  pathsOf(value).filter((p) => typeof getPath(value, p) === 'string');

const getPath = (value: unknown, path: Path): unknown =>
  path.reduce<unknown>((v, k) => (v as Record<string | number, unknown> | undefined)?.[k], value);

/** A copy of `value` with the value at `path` replaced (or removed with DELETE). */
const setPath = (value: unknown, path: Path, next: unknown): unknown => {
  const copy = structuredClone(value);
  const parent = getPath(copy, path.slice(0, -1)) as Record<string | number, unknown>;
  const key = path.at(-1) as string | number;
  if (next === DELETE) {
    if (Array.isArray(parent)) parent.splice(Number(key), 1);
    else delete parent[key];
  } else parent[key] = next;
  return copy;
};

/** The seed bodies of a route, plus (capillary-auth) the same bodies for the signing brand. */
const seedsOf = (route: RouteDef): Array<Record<string, unknown>> => {
  const seeds = seedBodiesFor(route, ids);
  return route.dialect === 'capillary-auth'
    ? [...seeds, ...seeds.map((s) => signedSeed(s, h.clock.now()))]
    : seeds;
};

/** A seed body and one path in it. */
const seedAndPath = (route: RouteDef, paths: (seed: unknown) => Path[] = pathsOf) =>
  fc.constantFrom(...seedsOf(route)).chain((seed) => {
    const all = paths(seed);
    const path: fc.Arbitrary<Path> = all.length > 0 ? fc.constantFrom(...all) : fc.constant([]);
    return fc.record({ seed: fc.constant(seed), path });
  });

/** Values of every JSON type (and absence), with the edge cases schemas most often miss. */
const wrongValue = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constant(DELETE),
  fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 4 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
  fc.constantFrom(0, -1, 1e308, -0, 2 ** 53 + 2, 1.5, '', ' ', '0', 'null', 'true', '[]', '{}', '__proto__'),
);

/** Characters that break naive string handling. */
const ODD = [
  '\ud800', // lone high surrogate
  '\udfff', // lone low surrogate
  '\u202e', // right-to-left override
  '\u200f', // right-to-left mark
  '\u200b', // zero-width space
  '\u200d', // zero-width joiner
  '\ufeff', // byte order mark
  '\u0000', // NUL
  '\u0301', // combining accent
  '👩‍👩‍👧‍👦',
  '🔥',
  'Ω',
  'ǅ',
  'İ', // upper case whose lower case is longer
  '%00',
  '\\',
  '"',
  '\n',
  '\r\n',
  '\t',
];
const oddString = fc
  .array(fc.oneof(fc.constantFrom(...ODD), fc.string({ unit: 'binary', maxLength: 6 })), {
    minLength: 1,
    maxLength: 12,
  })
  .map((parts) => parts.join(''));

/** Nested arrays or objects `depth` levels deep (as text: JSON.stringify would overflow). */
const deepText = (depth: number, kind: 'array' | 'object' | 'mixed'): string => {
  if (kind === 'array') return `${'['.repeat(depth)}${']'.repeat(depth)}`;
  if (kind === 'object') return `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
  return `${'[{"a":'.repeat(depth / 2)}1${'}]'.repeat(depth / 2)}`;
};

/** A JSON body whose value at `path` is raw JSON text (so it can be deeper than stringify allows). */
const withRawJson = (seed: unknown, path: Path, raw: string): string => {
  const marker = '__RAW_JSON_MARKER__';
  return JSON.stringify(setPath(seed, path, marker)).replace(`"${marker}"`, raw);
};

const CONTENT_TYPES = [
  undefined,
  'text/plain',
  'text/plain; charset=utf-8',
  'multipart/form-data; boundary=----x',
  'application/x-www-form-urlencoded',
  'application/json; charset=utf-16',
  'application/xml',
  'application/json, text/plain',
  '',
  'application/vnd.api+json',
];

/** Real JWT-shaped garbage: three base64url parts, `alg: none`, or a Bearer prefix. */
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
const tokenGarbage = fc.oneof(
  fc.string({ maxLength: 60 }),
  fc.string({ unit: 'binary', maxLength: 60 }),
  fc
    .tuple(fc.jsonValue({ maxDepth: 2 }), fc.jsonValue({ maxDepth: 2 }), fc.string({ maxLength: 20 }))
    .map(([a, b, c]) => `${b64(a)}.${b64(b)}.${c}`),
  fc.constant(
    `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: 'demo-user-1', iss: 'https://idp.demo.local', aud: 'demo-app', exp: 4102444800 })}.`,
  ),
  fc.string({ maxLength: 40 }).map((s) => `Bearer ${s}`),
  fc.integer({ min: 8000, max: 20_000 }).map((n) => 'e'.repeat(n)),
);

/** Credential variations of a dialect, each expected to be refused with this status. */
const credentialCases = (route: RouteDef): fc.Arbitrary<{ req: RawRequest; status: number }> => {
  const seeds = seedsOf(route);
  const seed = seeds[0] as Record<string, unknown>;
  const base = baseRequest(route, seed);
  switch (route.dialect) {
    case 'loginradius': {
      const value = fc.oneof(
        fc.string({ maxLength: 30 }),
        oddString,
        fc.constant(''),
        fc.constant('x'.repeat(300)),
      );
      return fc
        .record({
          apikey: fc.option(value, { nil: undefined }),
          apisecret: fc.option(value, { nil: undefined }),
          upper: fc.boolean(),
        })
        .map(({ apikey, apisecret, upper }) => {
          const query: Record<string, string> = {};
          if (apikey !== undefined) query[upper ? 'APIKEY' : 'apikey'] = apikey;
          if (apisecret !== undefined) query[upper ? 'ApiSecret' : 'apisecret'] = apisecret;
          return { req: { ...base, query }, status: 401 };
        });
    }
    case 'app-otp':
      return fc
        .record({
          token: fc.option(tokenGarbage, { nil: undefined }),
          name: fc.constantFrom('user-jwt-token', 'User-JWT-Token'),
        })
        .map(({ token, name }) => ({
          req: {
            ...base,
            headers: {
              'content-type': 'application/json',
              ...(token !== undefined ? { [name]: token } : {}),
            },
          },
          status: 401,
        }));
    case 'capillary-v2':
    case 'twilio-verify':
      return fc
        .oneof(
          tokenGarbage,
          fc
            .tuple(fc.string({ maxLength: 20 }), fc.string({ maxLength: 40 }))
            .map(([id, secret]) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`),
          fc
            .string({ maxLength: 40 })
            .map(
              (s) =>
                `Basic ${Buffer.from(`${route.dialect === 'twilio-verify' ? TWILIO_DEMO.accountSid : 'demo-client'}:${s}`).toString('base64')}`,
            ),
          tokenGarbage.map((t) => `Bearer ${t}`),
        )
        .map((authorization) => ({
          req: { ...base, headers: { 'content-type': 'application/json', authorization } },
          status: 401,
        }));
    case 'capillary-auth':
      // The brand names the tenant: an unknown one is 1519 "Invalid details passed" (400).
      return fc
        .oneof(fc.string({ minLength: 1, maxLength: 64 }), oddString)
        .filter(
          (brand) =>
            !['STANDARDAPP', 'SIGNEDAPP'].includes(brand.trim().toUpperCase()) && brand.trim() !== '',
        )
        .map((brand) => ({ req: baseRequest(route, { ...seed, brand }), status: 400 }));
    case 'summitai': {
      const proxy = (seed.objCommonParameters as { _ProxyDetails: Record<string, unknown> })._ProxyDetails;
      return (
        fc
          .record({
            field: fc.constantFrom('Password', 'UserName', 'APIKey', 'OrgID'),
            value: fc.oneof(fc.string({ maxLength: 30 }), oddString, fc.nat().map(String)),
          })
          // The schema trims every credential field but Password, so " 1" is OrgID 1 again and
          // "google@sum.com " the same user: those are the right credentials, not garbage.
          .filter(({ field, value }) =>
            field === 'Password'
              ? value !== proxy[field]
              : value.trim() !== String(proxy[field] ?? '').trim(),
          )
          .map(({ field, value }) => {
            // An APIKey switches the auth type: with an unknown key it is refused like a bad password.
            const p = { ...proxy, [field]: value, ...(field === 'APIKey' ? { AuthType: 'APIKey' } : {}) };
            const body = setPath(seed, ['objCommonParameters', '_ProxyDetails'], p);
            // OrgID must be digits: anything else is a schema refusal (400), not a credential one.
            const status = field === 'OrgID' && !/^\d{1,15}$/.test(value.trim()) ? 400 : 401;
            return { req: baseRequest(route, body), status };
          })
      );
    }
  }
};

const is4xx = (s: number) => s >= 400 && s < 500;

/**
 * What a broken body gets: 400, except on a GET (Twilio's fetches), whose body is never read: any
 * answer but a 5xx, in the dialect's shape (`check` holds those).
 */
const bodyRefusal = (route: RouteDef): StatusExpectation | undefined =>
  route.method === 'GET' ? undefined : 400;

describe('security', () => {
  describe('fuzz oracle', () => {
    // The properties below are only as good as `check`: each of these stand-ins breaks one promise.
    const route = ALL_ROUTES.find((r) => r.operationId === 'capillaryV2Validate') as RouteDef;
    const answer =
      (status: number, body: unknown, before?: () => Promise<void>): LambdaHandler =>
      async () => {
        await before?.();
        return { statusCode: status, headers: { ...SECURITY_HEADERS }, body: JSON.stringify(body) };
      };
    const refusal = { errors: [{ code: 605, message: 'Invalid OTP' }], warnings: [] };
    const req = () => baseRequest(route, {});

    it('accepts a refusal in the dialect shape that writes nothing', async () => {
      await expect(check(route, req(), 400, answer(400, refusal))).resolves.toBeUndefined();
    });

    it('catches a refusal that writes an item', async () => {
      const write = answer(400, refusal, async () => {
        await h.ddb.send(
          new PutItemCommand({
            TableName: h.tableName,
            Item: marshall({ pk: 'T#demo#D#x', sk: 'CH#oracle' }),
          }),
        );
      });
      await expect(check(route, req(), 400, write)).rejects.toThrow('a refused request wrote');
      table = await snapshotTable(h.deps);
    });

    it('catches a 5xx, an answer outside the dialect shape, a missing header and a throw', async () => {
      await expect(check(route, req(), undefined, answer(500, refusal))).rejects.toThrow('not a 2xx or 4xx');
      await expect(check(route, req(), undefined, answer(400, { ...refusal, input: 'x' }))).rejects.toThrow(
        'not the dialect error shape',
      );
      const bare: LambdaHandler = async () => ({
        statusCode: 400,
        headers: {},
        body: JSON.stringify(refusal),
      });
      await expect(check(route, req(), undefined, bare)).rejects.toThrow('header content-type missing');
      const throwing: LambdaHandler = async () => {
        throw new Error('boom');
      };
      await expect(check(route, req(), undefined, throwing)).rejects.toThrow('handler threw');
    });
  });

  describe.each(ALL_ROUTES.map((r) => [`${r.method} ${r.path}`, r] as const))('fuzz %s', (_, route) => {
    it('answers random JSON values (and any JS value) in the dialect shape, never 5xx', async () => {
      await fc.assert(
        fc.asyncProperty(fc.oneof(fc.jsonValue(), fc.anything()), async (value) => {
          await check(route, baseRequest(route, value));
        }),
        paramsFor(route),
      );
    });

    it('answers a seed body with one field of a wrong type (or missing) with a 2xx or 4xx', async () => {
      await fc.assert(
        fc.asyncProperty(seedAndPath(route), wrongValue, async ({ seed, path }, value) => {
          await check(route, baseRequest(route, path.length > 0 ? setPath(seed, path, value) : value));
        }),
        paramsFor(route),
      );
    });

    it('returns 413 for a body over 64 KB and a 2xx or 4xx for huge fields under it', async () => {
      const size = fc.oneof(fc.integer({ min: 60_000, max: 70_000 }), fc.integer({ min: 1, max: 200_000 }));
      await fc.assert(
        fc.asyncProperty(
          seedAndPath(route),
          size,
          fc.constantFrom('x', '€', '🔥', '9'),
          async (sp, n, ch) => {
            const big = ch.repeat(Math.ceil(n / ch.length));
            const body = JSON.stringify(sp.path.length > 0 ? setPath(sp.seed, sp.path, big) : big);
            const over = Buffer.byteLength(body) > MAX_BODY_BYTES;
            await check(route, { ...baseRequest(route, undefined), body }, over ? 413 : (s) => s !== 413);
          },
        ),
        paramsFor(route),
      );
    });

    it('returns 400 for nesting 1,000 to 30,000 levels deep (the limit is 32)', async () => {
      await fc.assert(
        fc.asyncProperty(
          seedAndPath(route),
          fc.integer({ min: 1000, max: 30_000 }),
          fc.constantFrom('array', 'object', 'mixed') as fc.Arbitrary<'array' | 'object' | 'mixed'>,
          fc.boolean(),
          async (sp, depth, kind, atRoot) => {
            // Objects cost 6 bytes a level: keep them under the body limit so the parser sees them.
            const levels = kind === 'array' ? depth : Math.min(depth, 10_000);
            const raw = deepText(levels, kind);
            const body = atRoot || sp.path.length === 0 ? raw : withRawJson(sp.seed, sp.path, raw);
            await check(route, { ...baseRequest(route, undefined), body }, bodyRefusal(route));
          },
        ),
        paramsFor(route),
      );
    });

    it('answers odd unicode (lone surrogates, RTL, zero-width, emoji, NUL) in values and keys', async () => {
      await fc.assert(
        fc.asyncProperty(
          seedAndPath(route, stringPathsOf),
          oddString,
          fc.constantFrom('replace', 'append', 'key', 'raw'),
          async (sp, odd, how) => {
            const current = String(getPath(sp.seed, sp.path) ?? '');
            let body: string;
            if (how === 'key') body = JSON.stringify({ ...sp.seed, [odd]: odd });
            else {
              const value = how === 'append' ? `${current}${odd}` : odd;
              body = JSON.stringify(sp.path.length > 0 ? setPath(sp.seed, sp.path, value) : value);
              // JSON.stringify escapes lone surrogates; `raw` puts them in the text unescaped.
              if (how === 'raw') body = body.replace(/\\ud[89a-f][0-9a-f]{2}/g, (e) => JSON.parse(`"${e}"`));
            }
            await check(route, { ...baseRequest(route, undefined), body });
          },
        ),
        paramsFor(route),
      );
    });

    it('answers any content type, form and base64 encodings with a 2xx or 4xx', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...seedsOf(route)),
          fc.constantFrom(...CONTENT_TYPES),
          fc.constantFrom('json', 'form', 'multipart', 'base64', 'base64-garbage'),
          async (seed, contentType, encoding) => {
            const req = baseRequest(route, seed);
            const headers: Record<string, string> = { ...req.headers };
            delete headers['content-type'];
            if (contentType !== undefined) headers['content-type'] = contentType;
            let body = req.body ?? '';
            let isBase64Encoded = false;
            if (encoding === 'form') {
              body = new URLSearchParams(
                Object.entries(seed).map(([k, v]): [string, string] => [
                  k,
                  typeof v === 'string' ? v : JSON.stringify(v),
                ]),
              ).toString();
            } else if (encoding === 'multipart') {
              body = `------x\r\nContent-Disposition: form-data; name="body"\r\n\r\n${body}\r\n------x--\r\n`;
            } else if (encoding === 'base64') {
              body = Buffer.from(body).toString('base64');
              isBase64Encoded = true;
            } else if (encoding === 'base64-garbage') {
              body = Buffer.from(body).toString('base64').replace(/[A-M]/g, '!');
              isBase64Encoded = true;
            }
            await check(route, { ...req, headers, body, isBase64Encoded });
          },
        ),
        paramsFor(route),
      );
    });

    it('returns 400 for malformed JSON (every truncation of a valid body, and broken syntax)', async () => {
      const seeds = seedsOf(route).map((s) => JSON.stringify(s));
      const broken = fc.oneof(
        fc
          .constantFrom(...seeds)
          .chain((text) => fc.integer({ min: 1, max: text.length - 1 }).map((n) => text.slice(0, n))),
        fc.constantFrom(...seeds).map((t) => `${t.slice(0, -1)},}`),
        fc.constantFrom(...seeds).map((t) => t.replaceAll('"', "'")),
        fc.constantFrom(...seeds).map((t) => `${t}${t}`),
        fc.constantFrom(
          '{',
          '[',
          '{"a":NaN}',
          '{"a":undefined}',
          '{a:1}',
          "{'a':1}",
          '\u0000',
          '\ufeff{}',
          'nul',
        ),
      );
      await fc.assert(
        fc.asyncProperty(broken, async (body) => {
          await check(route, { ...baseRequest(route, undefined), body }, bodyRefusal(route));
        }),
        paramsFor(route),
      );
    });

    it('returns 400 for an empty or null body', async () => {
      const empty = fc.constantFrom(null, '', ' ', '\n', 'null', '{}', '[]', '""', '0', 'true');
      await fc.assert(
        fc.asyncProperty(empty, async (body) => {
          await check(route, { ...baseRequest(route, undefined), body }, bodyRefusal(route));
        }),
        paramsFor(route, 10),
      );
    });

    it('refuses garbage credentials (query, headers, body) in the dialect shape without writing', async () => {
      await fc.assert(
        fc.asyncProperty(
          credentialCases(route),
          fc.dictionary(
            fc.string({ minLength: 1, maxLength: 10 }).map((k) => `x-fuzz-${k}`),
            fc.string({ maxLength: 20 }),
            { maxKeys: 3 },
          ),
          async ({ req, status }, extra) => {
            await check(route, { ...req, headers: { ...extra, ...req.headers } }, status);
          },
        ),
        paramsFor(route),
      );
    });
  });

  describe('findings', () => {
    const post = async (path: string, body: string, dialect: DialectId = 'capillary-auth') => {
      const { result } = await runRaw(
        h.handlers[dialect],
        rawEvent({ ...baseRequest({ dialect, path } as RouteDef, undefined), method: 'POST', body }),
      );
      return { status: result?.statusCode, body: JSON.parse(result?.body ?? 'null') as unknown };
    };
    const seedOf = (operationId: string) =>
      seedBodiesFor(ALL_ROUTES.find((r) => r.operationId === operationId) as RouteDef, ids)[0] ?? {};
    const signedWithDeepField = (levels: number) => {
      const seed = signedSeed(seedOf('capillaryAuthMobileTokenGenerate'), h.clock.now());
      return withRawJson(seed, ['deviceId'], deepText(levels, 'array'));
    };

    it('returns 400, not 500, for a deeply nested body to the payload-signing brand', async () => {
      // Found by the deep-nesting property: the payload-hash check stringified the body before the
      // schema saw it, and 10,000 levels of `[` overflowed the stack (an internal error, 500).
      expect(await post('/auth/v1/token/generate', signedWithDeepField(10_000))).toEqual({
        status: 400,
        body: { status: { success: false, code: 1519, message: 'Request body nested too deeply' } },
      });
    });

    it('parses a body nested 32 levels deep and refuses 33', async () => {
      // The seed body is level 1, so a field nested 31 levels makes 32.
      // 32 levels reach the hash check, which refuses the changed body (5004).
      expect((await post('/auth/v1/token/generate', signedWithDeepField(31))).body).toEqual({
        status: { success: false, code: 5004, message: 'Response tampered' },
      });
      const at33 = await post('/auth/v1/token/generate', signedWithDeepField(32));
      expect(JSON.stringify(at33.body)).toContain('nested too deeply');
    });

    it('does not count brackets inside strings (escaped quotes included) as nesting', async () => {
      const body = JSON.stringify({
        ...seedOf('capillaryV2Generate'),
        entityValue: '919812340001',
        template: `Code \\" ${'[{'.repeat(100)} {{ validation_code }}`,
        channels: [{ type: 'SMS', value: '919812340001' }],
      });
      expect(await post('/v2/otp/generate', body, 'capillary-v2')).toMatchObject({ status: 200 });
      table = await snapshotTable(h.deps);
    });
  });

  describe.each(Object.keys(DIALECTS) as DialectId[])('fuzz unknown routes of %s', (dialect) => {
    it('answers an unknown path or method with a 4xx in the dialect shape', async () => {
      const route = ALL_ROUTES.find((r) => r.dialect === dialect) as RouteDef;
      const path = fc.oneof(
        // API Gateway's `path` always starts with a slash (an empty one is not an event it sends).
        fc.webPath().map((p) => (p.startsWith('/') ? p : `/${p}`)),
        fc.constantFrom(
          `${route.path.replace('{smsotptype}', 'forgotpassword')}/extra`,
          '/',
          '//',
          '/..%2f..%2fetc%2fpasswd',
          '/identity/v2/manage/account/smsotp//verify',
        ),
      );
      await fc.assert(
        fc.asyncProperty(
          path,
          fc.constantFrom('GET', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD', 'POST', 'PUT'),
          async (p, method) => {
            const known = ALL_ROUTES.find(
              (r) =>
                r.dialect === dialect &&
                r.method === method &&
                new RegExp(`^${r.path.replace(/\{[^/]+\}/g, '[^/]+')}/?$`).test(p),
            );
            await check(
              known ?? ({ ...route, method } as RouteDef),
              { ...baseRequest(route, {}), method, path: p },
              known ? undefined : is4xx,
            );
          },
        ),
        { ...paramsFor(route), numRuns: UNKNOWN_ROUTE_RUNS },
      );
    });
  });

  it('ran the planned number of cases', () => {
    // Per route: 8 families at the route's share of runs and the empty-body family (at most 10);
    // then every dialect's unknown routes.
    const planned = ALL_ROUTES.reduce(
      (n, r) => n + 8 * paramsFor(r).numRuns + paramsFor(r, 10).numRuns,
      Object.keys(DIALECTS).length * UNKNOWN_ROUTE_RUNS,
    );
    expect(counts.total).toBe(planned);
  });
});
