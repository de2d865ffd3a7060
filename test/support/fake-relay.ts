import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, request as httpRequest, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import amqp, { type Options } from 'amqplib';
import { pino } from 'pino';
import type { ActorsSnapshot, Readiness, RelayPort, RequestSpec } from '../../src/actors/relay.ts';
import { ResultStore } from '../../src/http/async-results.ts';
import type { LookupResult } from '../../src/actors/request/lookup.ts';
import type { RequestOutcome } from '../../src/actors/request/outcome.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import { REQUEST_KINDS, type RequestKind } from '../../src/requests/kinds.ts';
import { type AppDeps, answerClientError, createApp } from '../../src/http/app.ts';
import { RelayMetrics } from '../../src/metrics.ts';
import { toJsonText } from '../../src/requests/json-text.ts';

/** The fake relay's default answer: the client's fields and the kind, as the reply's JSON. */
export function echoReply(spec: RequestSpec): RequestOutcome {
  return { ok: true, reply: toJsonText({ echo: spec.body.fields, kind: spec.kind }) };
}

/** How the fake relay answers one submitted request. */
export type FakeAnswer = (spec: RequestSpec) => RequestOutcome | Promise<RequestOutcome>;

const defaults = loadConfig({});

/**
 * A RelayPort without a broker: it records what the HTTP layer submits and answers as told
 * (by default, echoes the body back as the reply).
 */
export class FakeRelay implements RelayPort {
  readonly submitted: RequestSpec[] = [];
  answer: FakeAnswer = echoReply;
  ready: Readiness = { ready: true, broker: 'connected' };
  private sequence = 0;
  private live = 0;

  constructor(readonly instanceId = 'fake') {}

  get inFlight(): number {
    return this.live;
  }

  newCorrelationId(): string {
    this.sequence += 1;
    return `${this.instanceId}.${this.sequence}`;
  }

  submit(spec: RequestSpec): Promise<RequestOutcome> {
    // As the real relay does when it builds the message.
    REQUEST_KINDS[spec.kind].wireBody(spec.body);
    this.submitted.push(spec);
    this.live += 1;
    return Promise.resolve()
      .then(() => this.answer(spec))
      .finally(() => (this.live -= 1));
  }

  /** The kind's deadline, as the real relay reads it from the kinds table and the default configuration. */
  deadlineOf(kind: RequestKind): number {
    return REQUEST_KINDS[kind].deadlineMs(defaults.timeouts);
  }

  /** The ids looked up on other instances, and what the lookups give (by default: unknown there). */
  readonly lookedUp: string[] = [];
  lookupAnswer: (correlationId: string) => LookupResult = () => ({ kind: 'notFound', reason: 'unknown' });

  lookup(correlationId: string): Promise<LookupResult> {
    this.lookedUp.push(correlationId);
    return Promise.resolve(this.lookupAnswer(correlationId));
  }

  readiness(): Readiness {
    return this.ready;
  }

  actors(): ActorsSnapshot {
    return {
      broker: { state: this.ready.broker, reconnects: 0, outbox: 0, unconfirmed: 0, awaitingReply: this.live, connectedTo: null, lastError: null },
      requests: [],
    };
  }
}

/** createApp over a FakeRelay, with silent logs and a private metrics registry. */
export function fakeApp(overrides: Partial<AppDeps> & { relay?: FakeRelay } = {}) {
  const relay = overrides.relay ?? new FakeRelay();
  const metrics = overrides.metrics ?? new RelayMetrics({ collectDefault: false });
  const results = overrides.results ?? new ResultStore(60_000, Number.POSITIVE_INFINITY, (route, outcome) => metrics.observeAsyncResult(route, outcome));
  const app = createApp({
    logger: pino({ level: 'silent' }),
    maxBodyBytes: 1024,
    apiTokens: [],
    newCorrelationId: () => relay.newCorrelationId(),
    ...overrides,
    relay,
    results,
    metrics,
  });
  return { app, relay, results, metrics };
}

/** Serves a Koa app on an ephemeral loopback port. */
export async function listen(app: { callback(): RequestListener }): Promise<{ baseUrl: string; close(): Promise<void> }> {
  const server = createServer(app.callback());
  let clientErrors = 0;
  server.on('clientError', answerClientError(() => `fake.client-error-${++clientErrors}`));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export interface RawResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly text: string;
  readonly json: any;
}

export interface RawRequest {
  readonly method?: string;
  readonly path: string;
  readonly headers?: Record<string, string>;
  /** Sent as is; with `chunked`, without Content-Length, in pieces of at most 16 KiB. */
  readonly body?: string | Buffer;
  readonly chunked?: boolean;
  readonly timeoutMs?: number;
}

/**
 * One HTTP request over node:http, for what fetch refuses: any method, chunked bodies, odd
 * headers. Resolves with the response, or rejects after `timeoutMs` (default 5 s).
 */
export function rawRequest(baseUrl: string, request: RawRequest): Promise<RawResponse> {
  const { hostname, port } = new URL(baseUrl);
  const body = request.body === undefined ? undefined : Buffer.isBuffer(request.body) ? request.body : Buffer.from(request.body);
  const headers: Record<string, string> = { ...request.headers };
  if (body && !request.chunked) headers['content-length'] = String(body.length);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ hostname, port, method: request.method ?? 'GET', path: request.path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
    });
    req.setTimeout(request.timeoutMs ?? 5_000, () => req.destroy(new Error(`no answer to ${request.method ?? 'GET'} ${request.path} in time`)));
    // The server may answer (413, 401) and close before the whole body is sent: that is fine.
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE' && err.code !== 'ECONNRESET') reject(err);
    });
    if (body && request.chunked) {
      for (let i = 0; i < body.length; i += 16_384) req.write(body.subarray(i, i + 16_384));
      req.end();
    } else {
      req.end(body);
    }
  });
}

/** Publishes one message to `queue` through the default exchange and waits for the broker's confirm. */
export async function publishConfirmed(url: string, queue: string, content: string | Buffer, options: Options.Publish = {}): Promise<void> {
  const connection = await amqp.connect(url);
  try {
    const channel = await connection.createConfirmChannel();
    channel.sendToQueue(queue, Buffer.isBuffer(content) ? content : Buffer.from(content), options);
    await channel.waitForConfirms();
  } finally {
    await connection.close().catch(() => {});
  }
}

/** GET `path` and parse its JSON body (whatever the status). */
export async function getJson(baseUrl: string, path: string, headers: Record<string, string> = {}): Promise<any> {
  return (await rawRequest(baseUrl, { path, headers })).json;
}
