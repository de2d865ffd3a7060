import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { getJson, publishConfirmed, rawRequest } from '../support/fake-relay.ts';
import { type RunningRelay, postJson, startRelay, uniqueQueues, waitFor } from '../support/relay-harness.ts';
import { deleteQueues, type Script, type ScriptedWorker, startScriptedWorker } from '../support/scripted-worker.ts';

const CRAWL_DEADLINE_MS = 1_500;
const RESULT_TTL_MS = 600;

/** The crawling worker's answer is named by the url's path, or the ping's `answer` field. */
function crawler({ body }: { body: any }): Script {
  if (body?.type === 'ping') return body.answer === 'none' ? { kind: 'silent' } : { kind: 'reply', body: { pong: body.answer ?? true } };
  const what = new URL(body.url).pathname.slice(1);
  if (what === 'hold') return { kind: 'silent' };
  if (what === 'fail') return { kind: 'error', message: 'site is down' };
  if (what === 'garbage') return { kind: 'raw', content: Buffer.from('not json') };
  return { kind: 'reply', body: { crawled: body.url, title: what } };
}

describe('asynchronous requests (Prefer: respond-async, ping)', () => {
  const url = inject('amqpUrl');
  const queues = uniqueQueues('async');
  let relay: RunningRelay;
  let worker: ScriptedWorker;

  const resultOf = (location: string) => getJson(relay.baseUrl, location);
  const settled = async (location: string) => {
    let result: any;
    await waitFor(async () => (result = await resultOf(location)).status !== 'pending', CRAWL_DEADLINE_MS + 2_000, `${location} to settle`);
    return result;
  };
  const acceptCrawl = async (page: string) => {
    const res = await postJson(relay.baseUrl, '/api/crawl', { url: `https://example.com/${page}` }, { prefer: 'respond-async' });
    expect(res.status).toBe(202);
    expect(res.json).toEqual({ correlationId: res.headers.get('x-correlation-id'), status: 'accepted' });
    expect(res.headers.get('location')).toBe(`/api/requests/${encodeURIComponent(res.json.correlationId)}`);
    return { correlationId: res.json.correlationId as string, location: res.headers.get('location')! };
  };

  beforeAll(async () => {
    relay = await startRelay({ amqpUrl: url, env: { ...queues, CRAWL_TIMEOUT_MS: String(CRAWL_DEADLINE_MS), RESULT_TTL_MS: String(RESULT_TTL_MS) } });
    worker = await startScriptedWorker(url, queues.RABBITMQ_CRAWLING_REQUEST_QUEUE!, crawler);
  });
  afterAll(async () => {
    await worker?.stop();
    await relay?.stop();
    await deleteQueues(url, [...Object.values(queues), relay.config.queues.reply]);
  });

  it('is pending until the reply comes, then done with the reply as result', async () => {
    const { correlationId, location } = await acceptCrawl('hold');
    await waitFor(() => worker.received.some((m) => m.properties.correlationId === correlationId), 5_000, 'the worker to get the crawl');
    expect(await resultOf(location)).toEqual({ status: 'pending' });
    const message = worker.received.find((m) => m.properties.correlationId === correlationId)!;
    await publishConfirmed(url, message.properties.replyTo, '{"crawled":"later"}', { correlationId });
    expect(await settled(location)).toEqual({ status: 'done', result: { crawled: 'later' } });
  });

  it('reports failures with their code: WORKER_ERROR, BAD_REPLY, TIMEOUT', async () => {
    const fail = await acceptCrawl('fail');
    const garbage = await acceptCrawl('garbage');
    const silent = await acceptCrawl('hold');
    expect(await settled(fail.location)).toEqual({ status: 'failed', error: { code: 'WORKER_ERROR', message: 'site is down' } });
    expect(await settled(garbage.location)).toEqual({ status: 'failed', error: { code: 'BAD_REPLY', message: expect.any(String) } });
    expect(await settled(silent.location)).toEqual({ status: 'failed', error: { code: 'TIMEOUT', message: expect.any(String) } });
  });

  it('forgets a result RESULT_TTL_MS after it is known: 404', async () => {
    const { location } = await acceptCrawl('ok');
    expect(await settled(location)).toEqual({ status: 'done', result: { crawled: 'https://example.com/ok', title: 'ok' } });
    let res: Awaited<ReturnType<typeof rawRequest>>;
    await waitFor(async () => (res = await rawRequest(relay.baseUrl, { path: location })).status === 404, RESULT_TTL_MS + 2_000, 'the result to expire');
    expect(res!.json).toEqual({ error: { code: 'NOT_FOUND', message: expect.any(String), correlationId: res!.headers['x-correlation-id'] } });
  });

  it('answers 404 for an id it never issued', async () => {
    for (const id of [`${relay.config.instanceId}.unknown`, 'nothing', '%E2%9C%93']) {
      const res = await rawRequest(relay.baseUrl, { path: `/api/requests/${id}` });
      expect(res.status).toBe(404);
      expect(res.json.error.code).toBe('NOT_FOUND');
    }
  });

  it('accepts a ping with 202; its reply becomes its result', async () => {
    const res = await postJson(relay.baseUrl, '/api/crawl/ping', { answer: 'hello' });
    expect(res.status).toBe(202);
    expect(res.json).toEqual({ correlationId: res.headers.get('x-correlation-id'), status: 'accepted' });
    const message = await (async () => {
      await waitFor(() => worker.received.some((m) => m.properties.correlationId === res.json.correlationId), 5_000, 'the ping to arrive');
      return worker.received.find((m) => m.properties.correlationId === res.json.correlationId)!;
    })();
    expect(JSON.parse(message.content.toString())).toEqual({ type: 'ping', answer: 'hello' });
    expect(message.properties.type).toBe('ping');
    expect(await settled(res.headers.get('location')!)).toEqual({ status: 'done', result: { pong: 'hello' } });
  });

  it('accepts a ping without a body, and one nobody answers settles without a result at the deadline', async () => {
    const bare = await rawRequest(relay.baseUrl, { method: 'POST', path: '/api/crawl/ping' });
    expect(bare.status).toBe(202);
    expect(await settled(String(bare.headers.location))).toEqual({ status: 'done', result: { pong: true } });
    const unanswered = await postJson(relay.baseUrl, '/api/crawl/ping', { answer: 'none' });
    expect(unanswered.status).toBe(202);
    expect(await settled(unanswered.headers.get('location')!)).toEqual({ status: 'done', result: null });
  });
});
