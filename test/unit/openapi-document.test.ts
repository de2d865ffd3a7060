import { Validator } from '@seriousme/openapi-schema-validator';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import type { RelayPort } from '../../src/actors/relay.ts';
import { ERROR_STATUS, type ErrorCode } from '../../src/errors.ts';
import { ResultStore } from '../../src/http/async-results.ts';
import { openApiDocument } from '../../src/http/openapi.ts';
import { apiRouter } from '../../src/http/routes/api.ts';
import { opsRouter } from '../../src/http/routes/ops.ts';
import { crawlBody, imageBody, pingBody, recipeBody } from '../../src/requests/body-schemas.ts';
import { KIND_NAMES, REQUEST_KINDS } from '../../src/requests/kinds.ts';
import { RelayMetrics } from '../../src/metrics.ts';

type Json = Record<string, any>;
const doc: Json = openApiDocument();
const METHODS = ['get', 'post'];

/** Follows a local `$ref` (keeping the fields written beside it, as OpenAPI 3.1 does for `description`). */
function deref(node: Json): Json {
  if (typeof node.$ref !== 'string') return node;
  const { $ref, ...beside } = node;
  const target = $ref
    .slice(2)
    .split('/')
    .reduce<Json | undefined>((at, key) => at?.[key], doc);
  if (!target) throw new Error(`unresolved ${$ref}`);
  return { ...deref(target), ...beside };
}

/** A schema with every local `$ref` inside it replaced by its target. */
function inline(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(inline);
  if (typeof node !== 'object' || node === null) return node;
  const resolved = deref(node);
  return Object.fromEntries(Object.entries(resolved).map(([key, value]) => [key, inline(value)]));
}

const operations = (): Array<{ path: string; method: string; op: Json }> =>
  Object.entries(doc.paths as Json).flatMap(([path, item]) =>
    Object.entries(item as Json)
      .filter(([method]) => METHODS.includes(method))
      .map(([method, op]) => ({ path, method, op: op as Json })),
  );

/** Every media type in the document that has examples, with where it is. */
function mediaWithExamples(): Array<{ where: string; schema: unknown; examples: Record<string, { value: unknown }> }> {
  const found: Array<{ where: string; schema: unknown; examples: Record<string, { value: unknown }> }> = [];
  const collect = (where: string, holder: Json | undefined) => {
    for (const [type, media] of Object.entries((holder?.content ?? {}) as Json)) {
      if (media.examples) found.push({ where: `${where} ${type}`, schema: inline(media.schema), examples: media.examples });
    }
  };
  for (const { path, method, op } of operations()) {
    collect(`${method} ${path} request`, op.requestBody);
    for (const [status, response] of Object.entries(op.responses as Json)) collect(`${method} ${path} ${status}`, deref(response));
  }
  return found;
}

/** Every (METHOD path) the Koa routers serve, with :param written as {param}; HEAD comes with GET. */
function registeredRoutes(): string[] {
  const relay = {} as RelayPort;
  const routers = [
    apiRouter({ relay, results: new ResultStore(1_000), maxBodyBytes: 1_024, isDraining: () => false }),
    opsRouter({ relay, metrics: new RelayMetrics({ collectDefault: false }), live: undefined }),
  ];
  return routers
    .flatMap((router) => router.stack)
    .flatMap((layer) => layer.methods.filter((m) => m !== 'HEAD').map((m) => `${m} ${String(layer.path).replace(/:(\w+)/g, '{$1}')}`))
    .sort();
}

describe('the OpenAPI document', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    const validator = new Validator();
    const result = await validator.validate(doc);
    expect(result).toEqual({ valid: true });
    expect(validator.version).toBe('3.1');
  });

  it('is refused by the validator when it is broken (so the check above can fail)', async () => {
    const broken = structuredClone(doc);
    delete broken.components.parameters.TimeoutMs.in;
    expect((await new Validator().validate(broken)).valid).toBe(false);
  });

  it('documents every route the routers serve, and no route they do not', () => {
    const registered = registeredRoutes();
    expect(registered.length).toBeGreaterThan(10);
    expect(operations().map(({ method, path }) => `${method.toUpperCase()} ${path}`).sort()).toEqual(registered);
  });

  it('names every operation with a stable camelCase operationId', () => {
    const ids = Object.fromEntries(operations().map(({ method, path, op }) => [`${method.toUpperCase()} ${path}`, op.operationId]));
    expect(ids).toEqual({
      'POST /api/crawl': 'crawl',
      'POST /api/crawl/ping': 'ping',
      'POST /api/ai/recipe': 'analyzeRecipe',
      'POST /api/ai/image': 'analyzeImage',
      'GET /api/requests/{correlationId}': 'getRequest',
      'GET /healthz': 'getHealth',
      'GET /readyz': 'getReadiness',
      'GET /metrics': 'getMetrics',
      'GET /debug/actors': 'getActors',
      'GET /debug/inspector': 'getInspectorPage',
      'GET /debug/inspector/events': 'getInspectorEvents',
      'GET /openapi.json': 'getOpenApiDocument',
    });
  });

  it('asks for the bearer token on every route but the public ones, and documents 401 exactly there', () => {
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.info.description).toMatch(/only when the relay is configured with API_TOKENS/);
    const publicRoutes = ['/healthz', '/readyz', '/openapi.json', '/debug/inspector'];
    for (const { path, method, op } of operations()) {
      const expected = publicRoutes.includes(path) ? undefined : [{ bearer: [] }];
      expect(op.security, `${method} ${path}`).toEqual(expected);
      expect('401' in op.responses, `${method} ${path} 401`).toBe(expected !== undefined);
    }
    expect(doc.security).toBeUndefined();
  });

  it('shares one error response per status of the error table, each naming all its codes with an example of each', () => {
    const statuses = [...new Set(Object.values(ERROR_STATUS))].map(String).sort();
    const shared = Object.values(doc.components.responses as Json);
    expect(shared.map((r) => Object.keys(r.content['application/json'].examples).map((code) => String(ERROR_STATUS[code as ErrorCode])))).toEqual(
      statuses.map((status) => Object.entries(ERROR_STATUS).filter(([, s]) => String(s) === status).map(() => status)),
    );
    for (const response of shared) {
      expect(response.content['application/json'].schema).toEqual({ $ref: '#/components/schemas/Error' });
      for (const code of Object.keys(response.content['application/json'].examples)) expect(response.description).toContain(code);
    }
    expect(doc.components.responses.ServiceUnavailable.headers).toHaveProperty('Retry-After');
    expect(doc.components.responses.Unauthorized.headers).toHaveProperty('WWW-Authenticate');
  });

  it('answers every error with a reference to the shared responses, never an inline copy', () => {
    for (const { path, method, op } of operations()) {
      for (const [status, response] of Object.entries(op.responses as Json)) {
        if (Number(status) < 400 || path === '/readyz') continue;
        expect(response.$ref, `${method} ${path} ${status}`).toMatch(/^#\/components\/responses\//);
      }
    }
    const errorSchema = JSON.stringify(doc.components.schemas.Error);
    expect(JSON.stringify(doc).split(errorSchema)).toHaveLength(2);
  });

  it('documents 500, 502 and 504 on the routes that wait for a worker, and not on the fire-and-forget ping', () => {
    const statuses = (path: string) => Object.keys(doc.paths[path].post.responses as Json).sort();
    for (const kind of KIND_NAMES.filter((k) => REQUEST_KINDS[k].answer !== 'accept')) {
      expect(statuses(REQUEST_KINDS[kind].route)).toEqual(expect.arrayContaining(['400', '401', '413', '415', '500', '502', '503', '504']));
    }
    expect(statuses('/api/crawl/ping')).toEqual(['202', '400', '401', '413', '415', '503']);
    expect(deref(doc.paths['/api/crawl/ping'].post.responses['503']).description).toMatch(/^SHUTTING_DOWN: .*OVERLOADED: /);
  });

  it('takes its request bodies from the schemas that validate requests', () => {
    const schemaOf = (path: string) => inline(doc.paths[path].post.requestBody.content['application/json'].schema);
    const generated = (schema: z.core.$ZodType) => {
      const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { target: 'draft-2020-12', unrepresentable: 'any', io: 'input' });
      return rest;
    };
    expect(schemaOf('/api/crawl')).toEqual(generated(crawlBody));
    expect(schemaOf('/api/crawl/ping')).toEqual(generated(pingBody));
    expect(schemaOf('/api/ai/recipe')).toEqual(generated(recipeBody));
    expect(schemaOf('/api/ai/image')).toEqual(generated(imageBody));
    expect(schemaOf('/api/ai/recipe')).toMatchObject({ required: ['recipe_text'] });
  });

  it('gives every response a description, and every JSON response a schema', () => {
    for (const { path, method, op } of operations()) {
      for (const [status, reference] of Object.entries(op.responses as Json)) {
        const response = deref(reference);
        expect(response, `${method} ${path} ${status}`).toHaveProperty('description');
        expect(response.headers, `${method} ${path} ${status}`).toHaveProperty('X-Correlation-Id');
        const json = response.content?.['application/json'];
        if (json) expect(json.schema, `${method} ${path} ${status}`).toBeTypeOf('object');
      }
    }
  });

  it('gives every request body and every main response an example', () => {
    const illustrated = new Set(mediaWithExamples().map(({ where }) => where));
    for (const { path, method, op } of operations()) {
      if (op.requestBody) expect(illustrated, `${method} ${path} request`).toContain(`${method} ${path} request application/json`);
      for (const [status, response] of Object.entries(op.responses as Json)) {
        if (deref(response).content?.['application/json'] && path !== '/openapi.json') expect(illustrated).toContain(`${method} ${path} ${status} application/json`);
      }
    }
  });

  it('has examples that validate against the schemas they illustrate', () => {
    const checked = mediaWithExamples().flatMap(({ where, schema, examples }) =>
      Object.entries(examples).map(([name, { value }]) => {
        const parsed = z.fromJSONSchema(schema as z.core.JSONSchema.JSONSchema).safeParse(value);
        expect(parsed.success, `${where} example ${name}: ${parsed.error?.message}`).toBe(true);
        return name;
      }),
    );
    expect(checked.length).toBeGreaterThan(30);
  });

  it('has request examples that the relay itself accepts', () => {
    for (const kind of KIND_NAMES) {
      const examples = doc.paths[REQUEST_KINDS[kind].route].post.requestBody.content['application/json'].examples as Json;
      for (const { value } of Object.values(examples)) expect(REQUEST_KINDS[kind].schema.safeParse(value).success, kind).toBe(true);
    }
  });

  it('would catch an example that does not match its schema', () => {
    const errorSchema = inline(doc.components.schemas.Error) as z.core.JSONSchema.JSONSchema;
    expect(z.fromJSONSchema(errorSchema).safeParse({ error: { code: 'NOT_A_CODE', message: 'x' } }).success).toBe(false);
    expect(z.fromJSONSchema(errorSchema).safeParse({ error: { code: 'TIMEOUT', message: 'x' } }).success).toBe(true);
  });
});
