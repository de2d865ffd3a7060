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
import { type ChildProcess, fork, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { propagation, trace } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import { BasicTracerProvider, BatchSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { startRelay, uniqueQueues } from '../test/support/relay-harness.ts';
import { deleteQueues } from '../test/support/scripted-worker.ts';

type Mode = 'off' | 'on';
const [rateArg = '1000', secondsArg = '20', modesArg = 'off,on,off,on', url = 'amqp://guest:guest@127.0.0.1:5672'] = process.argv.slice(2);
const modes = modesArg.split(',') as Mode[];
const rate = Number(rateArg);
const seconds = Number(secondsArg);

const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

function run(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${command} exited ${code}`))));
  });
}

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
  const load = (duration: number) =>
    run('npx', ['autocannon', '-j', '-c', '32', '-R', String(rate), '-d', String(duration), '-m', 'POST', '-H', 'content-type=application/json', '-b', '{"recipe_text":"two eggs"}', `${relay.baseUrl}/api/ai/recipe`]);
  await load(3); // warm-up
  await provider?.forceFlush();
  const spansBefore = exporter.spans;
  const loadBefore = loadavg();
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  const result = JSON.parse(await load(seconds)) as { requests: { total: number }; non2xx: number; latency: { p99: number } };
  await provider?.forceFlush();
  const cpu = process.cpuUsage(cpu0);
  const wallS = (performance.now() - wall0) / 1000;
  const cpuS = (cpu.user + cpu.system) / 1e6;
  const ok = result.requests.total - result.non2xx;
  worker.kill();
  await relay.stop();
  await deleteQueues(url, [...Object.values(queues), relay.config.queues.reply]);
  if (provider) {
    await provider.shutdown();
    trace.disable();
    propagation.disable();
  }
  return {
    mode,
    targetRate: rate,
    requests: result.requests.total,
    non2xx: result.non2xx,
    reqPerS: Math.round(ok / seconds),
    p99ms: result.latency.p99,
    spansExported: exporter.spans - spansBefore,
    relayCpuS: Number(cpuS.toFixed(2)),
    relayCpuPercentOfCore: Math.round((100 * cpuS) / wallS),
    cpuSPer1000Requests: Number(((cpuS * 1000) / ok).toFixed(4)),
    loadavgBefore: loadBefore,
    loadavgAfter: loadavg(),
  };
}

for (const mode of modes) process.stdout.write(`${JSON.stringify(await measure(mode))}\n`);
process.exit(0);
