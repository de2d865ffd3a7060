/**
 * CPU cost of OTEL_ENABLED at a fixed request rate. The relay runs in this process (so
 * process.cpuUsage() counts the relay and, with tracing on, the SDK's span processing); the echo
 * worker and the load generator (autocannon CLI) run in their own.
 *
 *   off: OTEL_ENABLED unset (no OpenTelemetry call on the request path)
 *   on:  OTEL_ENABLED=true with a BasicTracerProvider + BatchSpanProcessor registered globally,
 *        exporting to an exporter that only counts the spans (the cost of an exporter's network
 *        I/O is the exporter's, not the relay's)
 *
 * Usage: node --import tsx bench/tracing-cost.ts [rate=1000] [seconds=20] [modes=off,on,off,on] [amqpUrl]
 * Prints one JSON line per mode, with the load average before and after (the machine may be shared).
 */
import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { propagation, trace } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import { BasicTracerProvider, BatchSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { startRelay, uniqueQueues } from '../test/support/relay-harness.ts';
import { deleteQueues } from '../test/support/scripted-worker.ts';
import { relayCpuAtFixedRate } from '../test/support/fixed-rate-load.ts';

type Mode = 'off' | 'on';
const [rateArg = '1000', secondsArg = '20', modesArg = 'off,on,off,on', url = 'amqp://guest:guest@127.0.0.1:5672'] = process.argv.slice(2);
const modes = modesArg.split(',') as Mode[];
const rate = Number(rateArg);
const seconds = Number(secondsArg);

const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

/** Counts what it is given and drops it. */
class CountingExporter implements SpanExporter {
  spans = 0;
  export(spans: Parameters<SpanExporter['export']>[0], done: Parameters<SpanExporter['export']>[1]): void {
    this.spans += spans.length;
    done({ code: ExportResultCode.SUCCESS });
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

async function measure(mode: Mode) {
  const exporter = new CountingExporter();
  const provider = mode === 'on' ? new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(exporter)] }) : undefined;
  if (provider) trace.setGlobalTracerProvider(provider);
  const queues = uniqueQueues('tracing-cost');
  const relay = await startRelay({ amqpUrl: url, env: { ...queues, OTEL_ENABLED: mode === 'on' ? 'true' : 'false' } });
  const worker: ChildProcess = fork('bench/echo-worker.ts', [url, '256', queues.AI_QUEUE_NAME!], { execArgv: ['--import', 'tsx'], stdio: ['pipe', 'ignore', 'inherit', 'ipc'] });
  await once(worker, 'message');
  const loadBefore = loadavg();
  // Spans are counted from the end of the warm-up: the first settle marks it.
  let spansBefore: number | undefined;
  const figures = await relayCpuAtFixedRate(relay.baseUrl, rate, seconds, async () => {
    await provider?.forceFlush();
    spansBefore ??= exporter.spans;
  });
  worker.kill();
  await relay.stop();
  await deleteQueues(url, [...Object.values(queues), relay.config.queues.reply]);
  if (provider) {
    await provider.shutdown();
    trace.disable();
    propagation.disable();
  }
  return { mode, ...figures, spansExported: exporter.spans - (spansBefore ?? 0), loadavgBefore: loadBefore, loadavgAfter: loadavg() };
}

for (const mode of modes) process.stdout.write(`${JSON.stringify(await measure(mode))}\n`);
process.exit(0);
