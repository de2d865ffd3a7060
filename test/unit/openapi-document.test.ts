import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import type { RelayPort } from '../../src/actors/relay.ts';
import { ResultStore } from '../../src/http/async-results.ts';
import { openApiDocument } from '../../src/http/openapi.ts';
import { apiRouter } from '../../src/http/routes/api.ts';
import { opsRouter } from '../../src/http/routes/ops.ts';
import { crawlBody, imageBody, recipeBody } from '../../src/requests/body-schemas.ts';
import { RelayMetrics } from '../../src/metrics.ts';

type Operation = { requestBody?: { content: Record<string, { schema: Record<string, unknown> }> }; responses: Record<string, { content?: Record<string, { schema?: unknown }> }> };
const doc = openApiDocument() as { openapi: string; paths: Record<string, Record<string, Operation>> };

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

function documentedRoutes(): string[] {
  return Object.entries(doc.paths)
    .flatMap(([path, operations]) => Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`))
    .sort();
}

describe('the OpenAPI document', () => {
  it('is OpenAPI 3.1', () => {
    expect(doc.openapi).toBe('3.1.0');
  });

  it('documents every route the routers serve, and no route they do not', () => {
    const registered = registeredRoutes();
    expect(registered.length).toBeGreaterThan(10);
    expect(documentedRoutes()).toEqual(registered);
  });

  it('takes its request bodies from the schemas that validate requests', () => {
    const schemaOf = (path: string) => doc.paths[path]!.post!.requestBody!.content['application/json']!.schema;
    const generated = (schema: z.ZodType) => z.toJSONSchema(schema, { target: 'draft-2020-12', unrepresentable: 'any', io: 'input' });
    expect(schemaOf('/api/crawl')).toEqual(generated(crawlBody));
    expect(schemaOf('/api/ai/recipe')).toEqual(generated(recipeBody));
    expect(schemaOf('/api/ai/image')).toEqual(generated(imageBody));
    expect(schemaOf('/api/ai/recipe')).toMatchObject({ required: ['recipe_text'] });
  });

  it('gives every response a description, and every JSON response a schema', () => {
    for (const [path, operations] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        for (const [status, response] of Object.entries(operation.responses)) {
          expect(response, `${method} ${path} ${status}`).toHaveProperty('description');
          const json = response.content?.['application/json'];
          if (json) expect(json.schema, `${method} ${path} ${status}`).toBeTypeOf('object');
        }
      }
    }
  });
});
