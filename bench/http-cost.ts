import { freePort } from '../test/support/ports.ts';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import Koa from 'koa';
import { pino } from 'pino';
import type { RelayPort } from '../src/actors/relay.ts';
import { ResultStore } from '../src/http/async-results.ts';
import { createApp } from '../src/http/app.ts';
import type { RelayState } from '../src/http/context.ts';
import { apiRouter } from '../src/http/routes/api.ts';
import { RelayMetrics } from '../src/metrics.ts';
import { load } from './load.ts';
import { benchRequest } from './endpoints.ts';
import { cpuSeconds, killAll, killChildrenOnExit, startChild } from './processes.ts';
import { exitWithParent } from './lifeline.ts';
import type { JsonText } from '../src/requests/json-text.ts';

/**
 * CPU per request of the HTTP layer alone: createApp with a RelayPort that answers at once
 * (no actors, no broker), loaded by autocannon from this process; the server runs in a child.
 * Usage: node --import tsx bench/http-cost.ts [connections] [seconds] [app|koa|node|router] [recipe|crawl]
 */
if (process.argv[2] === '--serve') {
  exitWithParent();
  let n = 0;
  const relay: RelayPort = {
    submit: (spec) => Promise.resolve({ ok: true, reply: spec.body.json.toString('utf8') as JsonText }),
    lookup: () => Promise.resolve({ kind: 'notFound', reason: 'unknown' }),
    readiness: () => ({ ready: true, broker: 'connected' }),
    actors: () => ({ broker: { state: 'connected', reconnects: 0, outbox: 0, unconfirmed: 0, awaitingReply: 0, connectedTo: null, lastError: null }, requests: [] }),
    inFlight: 0,
  };
  const logger = pino({ level: 'warn' });
  const mode = process.argv[4] ?? 'app';
  const newCorrelationId = () => `stub.${++n}`;
  const app = createApp({ relay, results: new ResultStore(60_000), metrics: new RelayMetrics(), logger, maxBodyBytes: 1 << 20, apiTokens: [], newCorrelationId });
  const bareKoa = new Koa();
  bareKoa.use(async (ctx) => {
    const chunks: Buffer[] = [];
    for await (const c of ctx.req as AsyncIterable<Buffer>) chunks.push(c);
    ctx.body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  });
  // Parts of the app's chain, to see which layer costs what.
  const partial = new Koa<RelayState>();
  const results = new ResultStore(60_000);
  partial.use(async (ctx, next) => ((ctx.state.correlationId = newCorrelationId()), (ctx.state.acceptedAt = Date.now()), next()));
  partial.use(apiRouter({ relay, results, maxBodyBytes: 1 << 20, isDraining: () => false }).routes());
  const serve = (handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>) => createServer((req, res) => void handle(req, res));
  const server =
    mode.startsWith('router')
      ? serve(partial.callback())
      : mode === 'node'
      ? createServer((req, res) => {
          const chunks: Buffer[] = [];
          req.on('data', (c: Buffer) => chunks.push(c));
          req.on('end', () => {
            const body = JSON.stringify(JSON.parse(Buffer.concat(chunks).toString('utf8')));
            res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
            res.end(body);
          });
        })
      : serve((mode === 'koa' ? bareKoa : app).callback());
  process.on('SIGTERM', () => process.exit(0));
  server.listen(Number(process.argv[3]), '127.0.0.1', () => process.stdout.write('ready\n'));
} else {
  killChildrenOnExit();
  const [connArg = '16', secondsArg = '5', mode = 'app', endpoint = 'recipe'] = process.argv.slice(2);
  const port = await freePort();
  const child = startChild(process.execPath, [...(process.env.PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.PROFILE_DIR}`] : []), '--import', 'tsx', 'bench/http-cost.ts', '--serve', String(port), mode], process.env, 'http stub');
  await child.waitForLine(/^ready$/, 20_000);
  const { path, body } = benchRequest(endpoint, 'http-only');
  const url = `http://127.0.0.1:${port}${path}`;
  await load(url, body, 16, 2);
  const before = cpuSeconds([child.pid]);
  const r = await load(url, body, Number(connArg), Number(secondsArg));
  const cpu = cpuSeconds([child.pid]) - before;
  process.stdout.write(`HTTP layer only (${mode}, ${path}): ${r.rps.toFixed(0)} req/s, ${((cpu * 1e6) / r.requests).toFixed(0)} µs CPU/request, p50 ${r.p50.toFixed(2)} ms\n`);
  if (process.env.PROFILE_DIR) {
    child.process.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 1_000));
  }
  killAll();
  process.exit(0);
}
