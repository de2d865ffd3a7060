import { PassThrough } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { rawRequest, type RawResponse } from '../support/fake-relay.ts';
import { type RunningRelay, startRelay, uniqueQueues } from '../support/relay-harness.ts';
import { deleteQueues, type ScriptedWorker, startScriptedWorker } from '../support/scripted-worker.ts';

const TOKEN = 'tok-secret-9f2c71aa';
const WRONG_TOKEN = 'tok-wrong-5e0d13bb';
const PASSWORD = 'brokerPassw0rd-77c1';

describe('secrets never reach the logs or a response', () => {
  const url = inject('amqpUrl');
  const queues = uniqueQueues('secrets');
  const captured: string[] = [];
  const responses: RawResponse[] = [];
  let relay: RunningRelay;
  let offline: RunningRelay;
  let worker: ScriptedWorker;

  const req = async (r: Parameters<typeof rawRequest>[1]) => {
    const res = await rawRequest(relay.baseUrl, r);
    responses.push(res);
    return res;
  };

  beforeAll(async () => {
    const sink = new PassThrough();
    sink.on('data', (line: Buffer) => captured.push(line.toString()));
    // Trace level and no redaction: the relay must not hand the secrets to its logger at all.
    const logger = pino({ level: 'trace' }, sink);
    relay = await startRelay({ amqpUrl: url, logger, env: { ...queues, API_TOKENS: TOKEN, LOG_LEVEL: 'trace' } });
    // A second relay whose broker URL carries the password and where nothing listens (port 1):
    // its failures are logged and reported by /readyz, /debug/actors and 503 answers.
    offline = await startRelay({
      amqpUrl: `amqp://relay:${PASSWORD}@127.0.0.1:1/`,
      logger,
      waitForBroker: false,
      env: { ...uniqueQueues('secrets-offline'), API_TOKENS: TOKEN, AI_TIMEOUT_MS: '300' },
    });
    worker = await startScriptedWorker(url, queues.AI_QUEUE_NAME!);
  });
  afterAll(async () => {
    await worker?.stop();
    await offline?.stop();
    await relay?.stop();
    await deleteQueues(url, [...Object.values(queues), relay.config.queues.reply]);
  });

  it('keeps the token and the broker password out of logs and responses', async () => {
    const body = JSON.stringify({ recipe_text: 'bread' });
    const json = { 'content-type': 'application/json' };
    expect((await req({ method: 'POST', path: '/api/ai/recipe', headers: { ...json, authorization: `Bearer ${TOKEN}` }, body })).status).toBe(200);
    expect((await req({ method: 'POST', path: '/api/ai/recipe', headers: { ...json, authorization: `Bearer ${WRONG_TOKEN}` }, body })).status).toBe(401);
    expect((await req({ method: 'POST', path: '/api/crawl', headers: { ...json, authorization: `Bearer ${TOKEN}` }, body: '{"url": 1}' })).status).toBe(400);
    for (const path of ['/debug/actors', '/metrics', '/openapi.json']) {
      expect((await req({ path, headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
    }
    expect((await req({ path: '/readyz' })).status).toBe(200);
    expect((await req({ path: '/nowhere', headers: { authorization: `Bearer ${WRONG_TOKEN}` } })).status).toBe(404);

    const offlineReq = async (r: Parameters<typeof rawRequest>[1]) => {
      const res = await rawRequest(offline.baseUrl, r);
      responses.push(res);
      return res;
    };
    const unavailable = await offlineReq({ method: 'POST', path: '/api/ai/recipe', headers: { ...json, authorization: `Bearer ${TOKEN}` }, body });
    expect(unavailable.status).toBe(503);
    expect((await offlineReq({ path: '/readyz' })).status).toBe(503);
    const actors = await offlineReq({ path: '/debug/actors', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(actors.json.broker.state).not.toBe('connected');

    // The logs did see the work: the requests and the failing broker node.
    const logs = captured.join('');
    expect(logs).toContain('"status":401');
    expect(logs).toContain('"status":503');
    expect(logs).toMatch(/ECONNREFUSED|127\.0\.0\.1:1\b/);
    for (const secret of [TOKEN, WRONG_TOKEN, PASSWORD]) {
      expect(logs).not.toContain(secret);
      for (const res of responses) {
        expect(res.text).not.toContain(secret);
        expect(JSON.stringify(res.headers)).not.toContain(secret);
      }
    }
  });
});
