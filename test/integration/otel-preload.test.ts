import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../support/ports.ts';
import { postJson, uniqueQueues, waitFor } from '../support/relay-harness.ts';
import { deleteQueues, type ScriptedWorker, startScriptedWorker } from '../support/scripted-worker.ts';

const root = new URL('../..', import.meta.url).pathname;
const CLIENT_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const CLIENT_SPAN = '00f067aa0ba902b7';

interface OtlpSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId?: string;
  readonly name: string;
  readonly attributes: readonly { key: string; value: Record<string, unknown> }[];
}

/** A stand-in for an OpenTelemetry collector: records the spans POSTed (OTLP/HTTP JSON) to /v1/traces. */
async function otlpReceiver(): Promise<{ server: Server; endpoint: string; spans: OtlpSpan[]; serviceNames: Set<string> }> {
  const spans: OtlpSpan[] = [];
  const serviceNames = new Set<string>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (req.method === 'POST' && req.url === '/v1/traces') {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
          resourceSpans: { resource: { attributes: OtlpSpan['attributes'] }; scopeSpans: { spans: OtlpSpan[] }[] }[];
        };
        for (const resourceSpans of body.resourceSpans) {
          const name = resourceSpans.resource.attributes.find((a) => a.key === 'service.name')?.value.stringValue;
          if (typeof name === 'string') serviceNames.add(name);
          for (const scope of resourceSpans.scopeSpans) spans.push(...scope.spans);
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, spans, serviceNames };
}

const attribute = (span: OtlpSpan, key: string) => span.attributes.find((a) => a.key === key)?.value;

describe('the built relay with deploy/otel/preload.mjs (OTLP over HTTP)', () => {
  const url = inject('amqpUrl');
  const queues = uniqueQueues('otel-preload');
  let receiver: Awaited<ReturnType<typeof otlpReceiver>>;
  let worker: ScriptedWorker;
  let relay: ChildProcess;
  let baseUrl: string;
  const instanceId = `otel-preload-${queues.AI_QUEUE_NAME!.split('.')[2]}`;

  beforeAll(async () => {
    execFileSync(process.execPath, [join(root, 'scripts/build.mjs'), '--if-stale'], { cwd: root, stdio: 'pipe', timeout: 60_000 });
    receiver = await otlpReceiver();
    worker = await startScriptedWorker(url, queues.AI_QUEUE_NAME!);
    const port = await freePort();
    baseUrl = `http://127.0.0.1:${port}`;
    relay = spawn(process.execPath, ['--import', join(root, 'deploy/otel/preload.mjs'), join(root, 'dist/main.js')], {
      cwd: root,
      stdio: ['ignore', 'ignore', 'inherit'],
      env: {
        ...process.env,
        ...queues,
        RABBITMQ_URL: url,
        RELAY_INSTANCE_ID: instanceId,
        PORT: String(port),
        HOST: '127.0.0.1',
        LOG_LEVEL: 'warn',
        OTEL_ENABLED: 'true',
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
        OTEL_SERVICE_NAME: 'amqp-relay-under-test',
        // Long enough that the span of a request made just before SIGTERM leaves only with the shutdown's flush.
        OTEL_BSP_SCHEDULE_DELAY: '2000',
      },
    });
    await waitFor(async () => (await fetch(`${baseUrl}/readyz`).catch(() => undefined))?.status === 200, 30_000, 'the built relay to be ready');
  });

  afterAll(async () => {
    if (relay.exitCode === null) relay.kill('SIGKILL');
    await worker?.stop();
    receiver?.server.close();
    await deleteQueues(url, [...Object.values(queues), `amqp-relay.reply.${instanceId}`]);
  });

  it('exports the span of a request to the collector, in the caller’s trace and named as the response names it', async () => {
    const res = await postJson(baseUrl, '/api/ai/recipe', { recipe_text: 'soup' }, { traceparent: `00-${CLIENT_TRACE}-${CLIENT_SPAN}-01` });
    expect(res.status).toBe(200);
    const relaySpan = res.headers.get('traceparent')!.split('-')[2]!;
    await waitFor(() => receiver.spans.some((s) => s.spanId === relaySpan), 10_000, 'the span to reach the collector');
    const span = receiver.spans.find((s) => s.spanId === relaySpan)!;
    console.info(`collector got span ${span.spanId} "${span.name}" in trace ${span.traceId}, parent ${span.parentSpanId}`);
    expect(span).toMatchObject({ traceId: CLIENT_TRACE, parentSpanId: CLIENT_SPAN, name: 'POST /api/ai/recipe' });
    expect(attribute(span, 'messaging.message.conversation_id')).toEqual({ stringValue: res.headers.get('x-correlation-id') });
    expect(receiver.serviceNames).toEqual(new Set(['amqp-relay-under-test']));
  });

  it('exports the span of the last request before it exits on SIGTERM', async () => {
    const res = await postJson(baseUrl, '/api/ai/recipe', { recipe_text: 'last one' });
    expect(res.status).toBe(200);
    relay.kill('SIGTERM');
    await waitFor(() => relay.exitCode !== null, 15_000, 'the relay to drain and exit');
    expect(relay.exitCode).toBe(0);
    const relaySpan = res.headers.get('traceparent')!.split('-')[2]!;
    expect(receiver.spans.map((s) => s.spanId)).toContain(relaySpan);
  });
});
