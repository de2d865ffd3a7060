import createClient from 'openapi-fetch';
import { afterAll, beforeAll, describe, expect, expectTypeOf, inject, it } from 'vitest';
import type { ErrorCode } from '../../src/errors.ts';
import type { components, paths } from '../support/generated/relay-api.ts';
import { type RunningRelay, startRelay, uniqueQueues, waitFor } from '../support/relay-harness.ts';
import { deleteQueues, type ScriptedWorker, startScriptedWorker } from '../support/scripted-worker.ts';

/**
 * A client typed from /openapi.json (openapi-typescript + openapi-fetch) against the real relay
 * and broker, with scripted workers: what the document promises is what a generated client gets.
 */
describe('a client generated from /openapi.json', () => {
  const url = inject('amqpUrl');
  const queues = uniqueQueues('openapi-client');
  let relay: RunningRelay;
  let workers: ScriptedWorker[] = [];
  let client: ReturnType<typeof createClient<paths>>;

  beforeAll(async () => {
    relay = await startRelay({ amqpUrl: url, env: queues });
    workers = await Promise.all([
      startScriptedWorker(url, queues.RABBITMQ_CRAWLING_REQUEST_QUEUE!, ({ body }) =>
        body?.url === 'https://example.com/silent' ? { kind: 'silent' } : { kind: 'reply', body: { crawled: body.url, title: 'Pancakes' } },
      ),
      startScriptedWorker(url, queues.AI_QUEUE_NAME!, ({ body }) => ({ kind: 'reply', body: { ingredients: String(body.recipe_text).split(', ') } })),
    ]);
    client = createClient<paths>({ baseUrl: relay.baseUrl });
  });

  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    await relay?.stop();
    await deleteQueues(url, [...Object.values(queues), relay.config.queues.reply]);
  });

  it('analyses a recipe', async () => {
    const { data, error, response } = await client.POST('/api/ai/recipe', { body: { recipe_text: 'flour, eggs, milk' } });
    expect(response.status).toBe(200);
    expect(error).toBeUndefined();
    expect(data).toEqual({ ingredients: ['flour', 'eggs', 'milk'] });
    expect(response.headers.get('x-correlation-id')).toMatch(/\./);
  });

  it('crawls a page', async () => {
    const { data, response } = await client.POST('/api/crawl', { body: { url: 'https://example.com/pancakes', depth: 1 } });
    expect(response.status).toBe(200);
    expect(data).toEqual({ crawled: 'https://example.com/pancakes', title: 'Pancakes' });
  });

  it('accepts an asynchronous crawl and reads its outcome by id', async () => {
    const accepted = await client.POST('/api/crawl', { body: { url: 'https://example.com/later' }, params: { header: { Prefer: 'respond-async' } } });
    expect(accepted.response.status).toBe(202);
    // openapi-fetch gives one type for all 2xx bodies, and a crawl's 200 body (the worker's reply) is
    // any JSON: the client names the 202 body by the document's schema.
    const body = accepted.data as components['schemas']['Accepted'];
    const { correlationId } = body;
    expect(body).toEqual({ correlationId, status: 'accepted' });
    expect(accepted.response.headers.get('location')).toBe(`/api/requests/${encodeURIComponent(correlationId)}`);

    let outcome: Awaited<ReturnType<typeof readOutcome>> | undefined;
    const readOutcome = () => client.GET('/api/requests/{correlationId}', { params: { path: { correlationId } } });
    await waitFor(
      async () => {
        outcome = await readOutcome();
        return outcome.data?.status !== 'pending';
      },
      5_000,
      'the async crawl to finish',
    );
    expect(outcome!.response.status).toBe(200);
    expect(outcome!.data).toEqual({ status: 'done', result: { crawled: 'https://example.com/later', title: 'Pancakes' } });
  });

  it('sends a fire-and-forget ping', async () => {
    const { data, response } = await client.POST('/api/crawl/ping', { body: { source: 'typed-client' } });
    expect(response.status).toBe(202);
    expect(data?.status).toBe('accepted');
  });

  it('gets an error typed by the document', async () => {
    const { data, error, response } = await client.POST('/api/ai/recipe', { body: { recipe_text: '   ' } });
    expect(response.status).toBe(400);
    expect(data).toBeUndefined();
    expectTypeOf(error!.error.code).toEqualTypeOf<ErrorCode>();
    expect(error).toEqual({ error: { code: 'INVALID_REQUEST', message: 'recipe_text: must be a non-empty string', correlationId: response.headers.get('x-correlation-id') } });
  });

  it('passes X-Timeout-Ms as a typed header, and gets the 504 the document lists', async () => {
    const { error, response } = await client.POST('/api/crawl', { body: { url: 'https://example.com/silent' }, params: { header: { 'X-Timeout-Ms': 300 } } });
    expect(response.status).toBe(504);
    expect(error?.error.code).toBe('TIMEOUT');
  });

  it('does not compile a call the document does not allow, which the relay refuses too', async () => {
    // @ts-expect-error recipe_text is required
    const missingField = await client.POST('/api/ai/recipe', { body: {} });
    expect(missingField.response.status).toBe(400);
    expect(missingField.error?.error.code).toBe('INVALID_REQUEST');

    // @ts-expect-error no such route
    const unknownRoute = await client.POST('/api/ai/recipes', { body: { recipe_text: 'flour' } });
    expect(unknownRoute.response.status).toBe(404);
  });
});
