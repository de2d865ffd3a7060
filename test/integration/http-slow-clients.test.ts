import { request as httpRequest, type IncomingMessage } from 'node:http';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { MAX_LIVE_SUBSCRIBERS } from '../../src/http/routes/ops.ts';
import { postJson, type RunningRelay, startRelay, uniqueQueues, waitFor } from '../support/relay-harness.ts';
import { deleteQueues, type ScriptedWorker, startScriptedWorker } from '../support/scripted-worker.ts';

const HEADERS_TIMEOUT_MS = 1_000;
const REQUEST_TIMEOUT_MS = 2_000;
const DRIBBLE_EVERY_MS = 300;

interface Dribbler {
  readonly socket: Socket;
  closed: boolean;
}

/** A client that sends the start of a request, then one more byte every DRIBBLE_EVERY_MS, forever. */
function dribble(port: number, start: string, next: () => string): Dribbler {
  const socket = connect(port, '127.0.0.1');
  const d: Dribbler = { socket, closed: false };
  socket.on('error', () => {});
  socket.on('data', () => {});
  socket.on('close', () => {
    d.closed = true;
    clearInterval(timer);
  });
  socket.write(start);
  const timer = setInterval(() => {
    if (!socket.destroyed && socket.writable) socket.write(next());
  }, DRIBBLE_EVERY_MS);
  return d;
}

/** An open event stream of the live inspector: its status, and whether the server has closed it. */
function openStream(baseUrl: string): Promise<{ status: number; res: IncomingMessage; closed: () => boolean; close: () => void }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${baseUrl}/debug/inspector/events`, (res) => {
      let ended = false;
      res.on('data', () => {});
      res.on('close', () => (ended = true));
      res.on('error', () => (ended = true));
      resolve({ status: res.statusCode ?? 0, res, closed: () => ended, close: () => req.destroy() });
    });
    req.setTimeout(5_000, () => req.destroy(new Error('no answer within 5 s')));
    req.on('error', reject);
    req.end();
  });
}

describe('slow clients', () => {
  const url = inject('amqpUrl');
  const queues = uniqueQueues('slow-clients');
  let relay: RunningRelay;
  let worker: ScriptedWorker;
  let port: number;

  beforeAll(async () => {
    relay = await startRelay({
      amqpUrl: url,
      env: {
        ...queues,
        AI_TIMEOUT_MS: '10000',
        HTTP_HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS),
        HTTP_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
        XSTATE_INSPECT: 'live',
      },
    });
    port = Number(new URL(relay.baseUrl).port);
    worker = await startScriptedWorker(url, queues.AI_QUEUE_NAME!);
  });
  afterAll(async () => {
    await worker?.stop();
    await relay?.stop();
    await deleteQueues(url, [...Object.values(queues), relay.config.queues.reply]);
  });

  it('closes hundreds of connections dribbling headers or bodies on time, and serves ordinary requests meanwhile', async () => {
    const stream = await openStream(relay.baseUrl);
    expect(stream.status).toBe(200);
    let header = 0;
    const dribblers = [
      ...Array.from({ length: 200 }, () => dribble(port, 'POST /api/ai/recipe HTTP/1.1\r\nHost: x\r\n', () => `X-Slow-${header++}: 1\r\n`)),
      ...Array.from({ length: 100 }, () =>
        dribble(port, 'POST /api/ai/recipe HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"recipe_text":"', () => 'a'),
      ),
    ];
    try {
      // Ordinary requests are answered while the dribblers hold their connections.
      const answers = await Promise.all(
        Array.from({ length: 40 }, (_, i) => (i % 2 ? fetch(`${relay.baseUrl}/healthz`).then((r) => r.status) : postJson(relay.baseUrl, '/api/ai/recipe', { recipe_text: `r${i}` }).then((r) => r.status))),
      );
      expect(answers).toEqual(Array(40).fill(200));

      // Every dribbler is closed by the server: bounded wait well under Node's defaults (60 s / 300 s, checked every 30 s).
      await waitFor(() => dribblers.every((d) => d.closed), REQUEST_TIMEOUT_MS + 6_000, 'the server to close every dribbling connection');

      // An event stream is a complete request answered slowly, not a slow request: it stays open.
      expect(stream.closed()).toBe(false);
      expect((await postJson(relay.baseUrl, '/api/ai/recipe', { recipe_text: 'after' })).status).toBe(200);
    } finally {
      for (const d of dribblers) d.socket.destroy();
      stream.close();
    }
  }, 30_000);

  it(`refuses event stream number ${MAX_LIVE_SUBSCRIBERS + 1} with 503 OVERLOADED, and takes a new one when one closes`, async () => {
    const streams = await Promise.all(Array.from({ length: MAX_LIVE_SUBSCRIBERS }, () => openStream(relay.baseUrl)));
    try {
      expect(streams.map((s) => s.status)).toEqual(Array(MAX_LIVE_SUBSCRIBERS).fill(200));
      const refused = await fetch(`${relay.baseUrl}/debug/inspector/events`);
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).not.toBeNull();
      expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('OVERLOADED');

      streams.pop()!.close();
      let again: Awaited<ReturnType<typeof openStream>> | undefined;
      await waitFor(
        async () => {
          again?.close();
          again = await openStream(relay.baseUrl);
          return again.status === 200;
        },
        5_000,
        'a freed stream slot',
      );
      again!.close();
    } finally {
      for (const s of streams) s.close();
    }
  });
});
