import { newCorrelationId } from '../../src/requests/correlation-id.ts';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Relay } from '../../src/actors/relay.ts';
import { ResultStore } from '../../src/http/async-results.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import { createApp } from '../../src/http/app.ts';
import { openApiDocument } from '../../src/http/openapi.ts';
import { MAX_LIVE_SUBSCRIBERS } from '../../src/http/routes/ops.ts';
import { RelayMetrics } from '../../src/metrics.ts';
import { FakeRelay, fakeApp, listen } from '../support/fake-relay.ts';
import { type RunningRelay, startRelay, uniqueQueues, waitFor } from '../support/relay-harness.ts';
import { deleteQueues, type Script, type ScriptedWorker, startScriptedWorker } from '../support/scripted-worker.ts';

/**
 * Every (method, path, status) that /openapi.json documents is produced here by the real relay
 * (real broker, scripted workers): a status documented without a scenario, or a scenario for an
 * undocumented status, fails the first test; a scenario that answers otherwise fails its own.
 * 500 alone comes from a relay whose request actors fail: a FakeRelay answering INTERNAL as
 * Relay does when an actor throws (nothing a test can make the real one do).
 */

interface Relays {
  /** Connected, live inspector on, small body limit, scripted workers. */
  readonly main: RunningRelay;
  /** API_TOKENS set, inspector off, METRICS_ENDPOINT and DEBUG_ENDPOINTS false. */
  readonly guarded: RunningRelay;
  /** Every request actor fails (INTERNAL). */
  readonly failing: string;
  /** Draining, with no broker at all: SHUTTING_DOWN and not ready. */
  readonly draining: string;
}

const TOKEN = 'openapi-status-token';
const json = (body: unknown) => ({ body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });

async function call(base: string, method: string, path: string, init: { body?: string; headers?: Record<string, string> } = {}): Promise<number> {
  const controller = new AbortController();
  const res = await fetch(`${base}${path}`, { method, signal: controller.signal, ...init });
  // An event stream never ends: its status is all we need.
  if (res.headers.get('content-type')?.startsWith('text/event-stream')) controller.abort();
  else await res.arrayBuffer();
  return res.status;
}

/** The POST routes and a valid body for each; the worker scripts below look at `behave`. */
const bodies: Record<string, (behave: string) => unknown> = {
  '/api/crawl': (behave) => ({ url: 'https://example.com/', behave }),
  '/api/crawl/ping': (behave) => ({ behave }),
  '/api/ai/recipe': (behave) => ({ recipe_text: behave }),
  '/api/ai/image': (behave) => ({ s3_url: 's3://bucket/cake.png', description: behave }),
};

const behaviour = (body: any): string => body?.behave ?? body?.recipe_text ?? body?.description ?? 'reply';
const script = ({ body }: { body: any }): Script => {
  const behave = behaviour(body);
  if (behave === 'error') return { kind: 'error', message: 'the worker failed' };
  if (behave === 'silent') return { kind: 'silent' };
  return { kind: 'reply', body: { ok: true } };
};

function postScenarios(path: string): Record<string, (r: Relays) => Promise<number>> {
  const body = bodies[path]!;
  const scenarios: Record<string, (r: Relays) => Promise<number>> = {
    400: (r) => call(r.main.baseUrl, 'POST', path, json([1, 2])),
    401: (r) => call(r.guarded.baseUrl, 'POST', path, json(body('reply'))),
    413: (r) => call(r.main.baseUrl, 'POST', path, json({ ...(body('reply') as object), padding: 'x'.repeat(4_096) })),
    415: (r) => call(r.main.baseUrl, 'POST', path, { body: 'plain words', headers: { 'content-type': 'text/plain' } }),
    503: (r) => call(r.draining, 'POST', path, json(body('reply'))),
  };
  if (path === '/api/crawl/ping') return { ...scenarios, 202: (r) => call(r.main.baseUrl, 'POST', path, json(body('reply'))) };
  Object.assign(scenarios, {
    200: (r: Relays) => call(r.main.baseUrl, 'POST', path, json(body('reply'))),
    500: (r: Relays) => call(r.failing, 'POST', path, json(body('reply'))),
    502: (r: Relays) => call(r.main.baseUrl, 'POST', path, json(body('error'))),
    504: (r: Relays) => call(r.main.baseUrl, 'POST', path, { ...json(body('silent')), headers: { 'content-type': 'application/json', 'x-timeout-ms': '300' } }),
  });
  if (path === '/api/crawl') {
    scenarios[202] = (r) => call(r.main.baseUrl, 'POST', path, { ...json(body('reply')), headers: { 'content-type': 'application/json', prefer: 'respond-async' } });
  }
  return scenarios;
}

const bearer = { headers: { authorization: `Bearer ${TOKEN}` } };

/** An event stream held open until `close()`. */
async function openStream(base: string): Promise<{ status: number; close(): void }> {
  const controller = new AbortController();
  const res = await fetch(`${base}/debug/inspector/events`, { signal: controller.signal });
  return { status: res.status, close: () => controller.abort() };
}
const scenarios: Record<string, (r: Relays) => Promise<number>> = {
  ...Object.fromEntries(Object.keys(bodies).flatMap((path) => Object.entries(postScenarios(path)).map(([status, run]) => [`POST ${path} ${status}`, run]))),
  'GET /api/requests/{correlationId} 200': async (r) => {
    const accepted = await fetch(`${r.main.baseUrl}/api/crawl`, { method: 'POST', ...json(bodies['/api/crawl']!('reply')), headers: { 'content-type': 'application/json', prefer: 'respond-async' } });
    return call(r.main.baseUrl, 'GET', accepted.headers.get('location')!);
  },
  'GET /api/requests/{correlationId} 401': (r) => call(r.guarded.baseUrl, 'GET', '/api/requests/anything'),
  'GET /api/requests/{correlationId} 404': (r) => call(r.main.baseUrl, 'GET', '/api/requests/nobody.knows'),
  'GET /api/requests/{correlationId} 500': (r) => call(r.failing, 'GET', '/api/requests/elsewhere.1'),
  // Another instance's id, asked by a relay that cannot reach the broker.
  'GET /api/requests/{correlationId} 503': (r) => call(r.draining, 'GET', '/api/requests/elsewhere.1'),
  'GET /healthz 200': (r) => call(r.draining, 'GET', '/healthz'),
  'GET /readyz 200': (r) => call(r.main.baseUrl, 'GET', '/readyz'),
  'GET /readyz 503': (r) => call(r.draining, 'GET', '/readyz'),
  'GET /metrics 200': (r) => call(r.main.baseUrl, 'GET', '/metrics'),
  'GET /metrics 401': (r) => call(r.guarded.baseUrl, 'GET', '/metrics'),
  'GET /metrics 404': (r) => call(r.guarded.baseUrl, 'GET', '/metrics', bearer),
  'GET /debug/actors 200': (r) => call(r.main.baseUrl, 'GET', '/debug/actors'),
  'GET /debug/actors 401': (r) => call(r.guarded.baseUrl, 'GET', '/debug/actors'),
  'GET /debug/actors 404': (r) => call(r.guarded.baseUrl, 'GET', '/debug/actors', bearer),
  'GET /debug/inspector 200': (r) => call(r.main.baseUrl, 'GET', '/debug/inspector'),
  // The page holds no data: no token needed even with API_TOKENS set.
  'GET /debug/inspector 404': (r) => call(r.guarded.baseUrl, 'GET', '/debug/inspector'),
  'GET /debug/inspector/events 200': (r) => call(r.main.baseUrl, 'GET', '/debug/inspector/events'),
  'GET /debug/inspector/events 401': (r) => call(r.guarded.baseUrl, 'GET', '/debug/inspector/events'),
  'GET /debug/inspector/events 404': (r) => call(r.guarded.baseUrl, 'GET', '/debug/inspector/events', bearer),
  'GET /debug/inspector/events 503': async (r) => {
    const open = await Promise.all(Array.from({ length: MAX_LIVE_SUBSCRIBERS }, () => openStream(r.main.baseUrl)));
    try {
      expect(open.map((stream) => stream.status)).toEqual(open.map(() => 200));
      return await call(r.main.baseUrl, 'GET', '/debug/inspector/events');
    } finally {
      for (const stream of open) stream.close();
    }
  },
  'GET /openapi.json 200': (r) => call(r.guarded.baseUrl, 'GET', '/openapi.json'),
};

function documentedStatuses(): string[] {
  const paths = (openApiDocument() as { paths: Record<string, Record<string, { responses: Record<string, unknown> }>> }).paths;
  return Object.entries(paths)
    .flatMap(([path, ops]) => Object.entries(ops).flatMap(([method, op]) => Object.keys(op.responses).map((status) => `${method.toUpperCase()} ${path} ${status}`)))
    .sort();
}

describe('every status that /openapi.json documents is one the relay answers', () => {
  const url = inject('amqpUrl');
  const queues = uniqueQueues('openapi-statuses');
  const guardedQueues = uniqueQueues('openapi-statuses-guarded');
  let relays: Relays;
  let workers: ScriptedWorker[] = [];
  let drainingServer: Server;
  let deadRelay: Relay;
  let failingServer: Awaited<ReturnType<typeof listen>> | undefined;

  beforeAll(async () => {
    const main = await startRelay({ amqpUrl: url, env: { ...queues, XSTATE_INSPECT: 'live', MAX_BODY_BYTES: '1024' } });
    const guarded = await startRelay({ amqpUrl: url, env: { ...guardedQueues, API_TOKENS: TOKEN, METRICS_ENDPOINT: 'false', DEBUG_ENDPOINTS: 'false' } });
    workers = await Promise.all([queues.RABBITMQ_CRAWLING_REQUEST_QUEUE!, queues.AI_QUEUE_NAME!, queues.AI_IMAGE_QUEUE_NAME!].map((q) => startScriptedWorker(url, q, script)));

    const config = loadConfig({ RABBITMQ_URL: 'amqp://guest:guest@127.0.0.1:9', RECONNECT_BASE_MS: '50', RECONNECT_MAX_MS: '200' });
    const logger = pino({ level: 'silent' });
    const metrics = new RelayMetrics({ collectDefault: false });
    deadRelay = new Relay({ config, logger, metrics }).start();
    const app = createApp({ relay: deadRelay, results: new ResultStore(1_000), metrics, logger, maxBodyBytes: 1_024, apiTokens: [], newCorrelationId: () => newCorrelationId(config.instanceId), isDraining: () => true });
    const handle = app.callback();
    drainingServer = createServer((req, res) => void handle(req, res)).listen(0, '127.0.0.1');
    await once(drainingServer, 'listening');
    const failingRelay = new FakeRelay('failing');
    failingRelay.answer = () => ({ ok: false, code: 'INTERNAL', message: 'the request failed inside the relay' });
    failingRelay.lookupAnswer = () => ({ kind: 'failed', code: 'INTERNAL', message: 'the request failed inside the relay' });
    failingServer = await listen(fakeApp({ relay: failingRelay }).app);
    relays = { main, guarded, failing: failingServer.baseUrl, draining: `http://127.0.0.1:${(drainingServer.address() as AddressInfo).port}` };
  });

  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    await failingServer?.close();
    drainingServer?.closeAllConnections();
    drainingServer?.close();
    await deadRelay?.stop();
    await relays?.main.stop();
    await relays?.guarded.stop();
    await deleteQueues(url, [...Object.values(queues), ...Object.values(guardedQueues), relays.main.config.queues.reply, relays.guarded.config.queues.reply]);
  });

  it('has one scenario for each documented (method, path, status), and none for an undocumented one', () => {
    expect(Object.keys(scenarios).sort()).toEqual(documentedStatuses());
  });

  it.each(Object.keys(scenarios).sort())('%s', async (key) => {
    const status = Number(key.split(' ').at(-1));
    expect(await scenarios[key]!(relays)).toBe(status);
  });

  it('leaves no request in flight behind', async () => {
    await waitFor(() => relays.main.relay.inFlight === 0, 5_000, 'the requests to finish');
  });
});
