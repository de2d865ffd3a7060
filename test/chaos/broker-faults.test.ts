import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Relay } from '../../src/actors/relay.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import { aiHandler } from '../../src/workers/ai.ts';
import { startWorker } from '../../src/workers/runtime.ts';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy.ts';
import { type PrivateBroker, startPrivateBroker } from '../support/private-broker.ts';
import { postJson, startRelay, uniqueQueues, waitFor } from '../support/relay-harness.ts';
import { withChannel } from '../support/scripted-worker.ts';
import { emptyTally, recipeRequest, report, runLoad, sleep, type Tally } from './load.ts';
import { brokerAcceptsAt, logger, pollReadiness, startStack } from './stack.ts';
import { freePort } from '../support/ports.ts';

/**
 * "Never lose a request": the relay and the reference worker against a private RabbitMQ node
 * (never the shared one on 5672) that these tests close, stop, block and cut. Every scenario
 * restores the broker in `finally`. Figures go to the printed table and test-artifacts/.
 */

const ALLOWED = ['200', '503 BROKER_UNAVAILABLE', '504 TIMEOUT'];
const ALARM_DEADLINE_MS = 25_000;

function statusesSeen(tally: Tally): string[] {
  const seen = Object.keys(tally.other);
  if (tally.ok) seen.push('200');
  if (tally.unavailable) seen.push('503 BROKER_UNAVAILABLE');
  if (tally.timeout) seen.push('504 TIMEOUT');
  if (tally.wrongReply) seen.push('200 with another request’s reply');
  return seen;
}

describe('the relay under broker faults', () => {
  let broker: PrivateBroker;
  let proxy: FaultProxy;

  beforeAll(async () => {
    broker = await startPrivateBroker({ name: 'chaos', port: 5673 });
    proxy = await startFaultProxy({ host: '127.0.0.1', port: 5673 });
  });

  afterAll(async () => {
    await proxy?.close();
    await broker?.stop();
  });

  it('answers every request 200 while the broker closes all connections five times under load', async () => {
    const stack = await startStack({ label: 'close-all', relayUrl: broker.url, workerUrl: broker.url });
    try {
      let done = false;
      const load = runLoad({ baseUrl: stack.relay.baseUrl, clients: 20, deadlineMs: 10_000, until: () => done });
      await sleep(300);
      // What `rabbitmqctl close_all_connections` does, five times 1.5 s apart, in one CLI call: each
      // call starts an Erlang VM, 2-10 s on two busy cores, which would stretch the scenario to a minute.
      await broker.ctl('eval', '[begin rabbit_networking:close_all_connections("chaos: close all connections"), timer:sleep(1500) end || _ <- lists:seq(1, 5)], ok.');
      await sleep(500);
      done = true;
      const tally = await load;
      const reconnects = stack.relay.relay.actors().broker.reconnects;
      report('close-all-connections', tally, { relayReconnects: reconnects });
      expect(tally.hung).toBe(0);
      expect(reconnects).toBeGreaterThan(0);
      expect(statusesSeen(tally)).toEqual(['200']);
    } finally {
      await stack.stop();
    }
  });

  it('gives every request in flight its own reply when the connection is cut', async () => {
    const stack = await startStack({ label: 'cut', relayUrl: proxy.urlFor(broker.url), workerUrl: broker.url, workerDelayMs: 400 });
    try {
      const tally = emptyTally();
      const load = runLoad({ baseUrl: stack.relay.baseUrl, clients: 30, total: 30, deadlineMs: 10_000, tally });
      await waitFor(() => stack.relay.relay.inFlight >= 30, 5_000, '30 requests in flight');
      proxy.cutAll();
      await load;
      report('cut-in-flight', tally, { reconnects: stack.relay.relay.actors().broker.reconnects });
      expect(tally.sent).toBe(30);
      expect(statusesSeen(tally)).toEqual(['200']);
    } finally {
      await stack.stop();
    }
  });

  it('gets every request answered when a worker loses its connection mid-request (redelivery)', async () => {
    const stack = await startStack({ label: 'worker-cut', relayUrl: broker.url, workerUrl: proxy.urlFor(broker.url), workerDelayMs: 400 });
    try {
      const tally = emptyTally();
      const load = runLoad({ baseUrl: stack.relay.baseUrl, clients: 30, total: 30, deadlineMs: 10_000, tally });
      await waitFor(() => stack.relay.relay.actors().broker.awaitingReply >= 30, 5_000, '30 requests confirmed and waiting for replies');
      await sleep(100);
      proxy.cutAll();
      await load;
      report('worker-cut-mid-request', tally, { workerReconnects: stack.worker.broker.getSnapshot().context.reconnects });
      expect(tally.sent).toBe(30);
      expect(statusesSeen(tally)).toEqual(['200']);
    } finally {
      await stack.stop();
    }
  });

  it('keeps requests in a bounded outbox while disconnected and answers 503 at once beyond it', async () => {
    const stack = await startStack({ label: 'outbox', relayUrl: proxy.urlFor(broker.url), workerUrl: broker.url, env: { MAX_BUFFERED_REQUESTS: '5' } });
    try {
      // Down and unreachable: new connection attempts hang in the black hole.
      proxy.blackHole(true);
      proxy.cutAll();
      await waitFor(() => stack.relayState() !== 'connected', 5_000, 'the relay to notice the cut');
      const buffered = emptyTally();
      const waiting = runLoad({ baseUrl: stack.relay.baseUrl, clients: 5, total: 5, deadlineMs: 8_000, tally: buffered });
      await waitFor(() => stack.relay.relay.outbox === 5, 5_000, 'five requests in the outbox');
      const overflow = await runLoad({ baseUrl: stack.relay.baseUrl, clients: 10, total: 10, deadlineMs: 8_000 });
      proxy.blackHole(false);
      await waiting;
      report('outbox-full', overflow, { outboxLimit: 5 });
      report('outbox-buffered', buffered);
      expect(statusesSeen(overflow)).toEqual(['503 BROKER_UNAVAILABLE']);
      expect(statusesSeen(buffered)).toEqual(['200']);
    } finally {
      proxy.blackHole(false);
      await stack.stop();
    }
  });

  it('detects a black-holed link within two heartbeats and recovers without a hung request', async () => {
    const stack = await startStack({ label: 'blackhole', relayUrl: proxy.urlFor(broker.url), workerUrl: broker.url, heartbeatSeconds: 1 });
    try {
      let done = false;
      const load = runLoad({ baseUrl: stack.relay.baseUrl, clients: 10, deadlineMs: 8_000, until: () => done });
      // Deadlines shorter than the outage: answered 503 or 504 in time, never left hanging.
      const short = runLoad({ baseUrl: stack.relay.baseUrl, clients: 5, deadlineMs: 1_500, until: () => done });
      await sleep(300);
      const holeAt = Date.now();
      proxy.blackHole(true);
      let detectedMs: number | undefined;
      try {
        await waitFor(() => stack.relayState() !== 'connected', 6_000, 'the relay to notice the dead link');
        detectedMs = Date.now() - holeAt;
        await sleep(Math.max(0, 3_000 - (Date.now() - holeAt)));
      } finally {
        proxy.blackHole(false);
      }
      const restoredAt = Date.now();
      await waitFor(() => stack.relay.relay.readiness().ready, 10_000, 'the relay to be ready again');
      const recoveredMs = Date.now() - restoredAt;
      await sleep(500);
      done = true;
      const tally = await load;
      const shortTally = await short;
      report('black-hole', tally, { heartbeatS: 1, detectedMs, recoveredMs });
      report('black-hole-short-deadlines', shortTally, { deadlineMs: 1_500 });
      expect(shortTally.hung).toBe(0);
      expect(ALLOWED).toEqual(expect.arrayContaining(statusesSeen(shortTally)));
      expect(detectedMs).toBeDefined();
      expect(tally.hung).toBe(0);
      expect(ALLOWED).toEqual(expect.arrayContaining(statusesSeen(tally)));
      expect(tally.ok).toBeGreaterThan(0);
    } finally {
      proxy.blackHole(false);
      await stack.stop();
    }
  });

  it('is not ready while the broker app is stopped, ready soon after it starts, and then answers 200', async () => {
    const stack = await startStack({ label: 'stop-app', relayUrl: broker.url, workerUrl: broker.url });
    const readiness = pollReadiness(stack.relay.baseUrl);
    let downAt = 0;
    let startingAt = 0;
    let upAt = 0;
    try {
      let done = false;
      const during = runLoad({ baseUrl: stack.relay.baseUrl, clients: 20, deadlineMs: 3_000, until: () => done });
      await sleep(300);
      let backAt = Promise.resolve(0);
      try {
        await broker.ctl('stop_app');
        downAt = Date.now();
        await sleep(5_000);
      } finally {
        startingAt = Date.now();
        backAt = brokerAcceptsAt(broker.url);
        await broker.ctl('start_app');
        upAt = Date.now();
      }
      const recoveredAt = await backAt;
      await waitFor(() => readiness.samples.some((s) => s.at > recoveredAt && s.status === 200), 10_000, '/readyz 200 after the broker started');
      const readyAt = readiness.samples.find((s) => s.at > recoveredAt && s.status === 200)!.at;
      done = true;
      const duringTally = await during;
      const after = await runLoad({ baseUrl: stack.relay.baseUrl, clients: 20, total: 100, deadlineMs: 5_000 });
      await readiness.stop();
      // Probes sent well after the app stopped and before it was asked to start.
      const whileDown = readiness.samples.filter((s) => s.at > downAt + 500 && s.at < startingAt);
      report('stop-app-during', duringTally, {
        readyzWhileDown: [...new Set(whileDown.map((s) => s.status))].join(','),
        readyMsAfterBrokerBack: readyAt - recoveredAt,
        startAppCliMs: upAt - startingAt,
      });
      report('stop-app-after', after);
      expect(duringTally.hung).toBe(0);
      expect(ALLOWED).toEqual(expect.arrayContaining(statusesSeen(duringTally)));
      expect(whileDown.length).toBeGreaterThan(0);
      expect(whileDown.every((s) => s.status === 503)).toBe(true);
      expect(statusesSeen(after)).toEqual(['200']);
    } finally {
      await readiness.stop();
      if (!upAt) await broker.ctl('start_app').catch(() => {});
      await stack.stop();
    }
  });

  it('pauses publishing under a memory alarm, is not ready, and loses nothing once it clears', async () => {
    // Deadlines long enough to outlast the alarm and the slow CLI calls around it: the target is all 200.
    const stack = await startStack({ label: 'alarm', relayUrl: broker.url, workerUrl: broker.url, env: { AI_TIMEOUT_MS: '30000' } });
    const readiness = pollReadiness(stack.relay.baseUrl);
    try {
      let done = false;
      const load = { tally: emptyTally(), running: Promise.resolve(emptyTally()) };
      load.running = runLoad({ baseUrl: stack.relay.baseUrl, clients: 20, deadlineMs: ALARM_DEADLINE_MS, until: () => done, tally: load.tally });
      await sleep(300);
      let blockedAt = 0;
      let outboxPeak = 0;
      let extra: Promise<Tally> | undefined;
      try {
        await broker.ctl('set_vm_memory_high_watermark', '0');
        // The broker blocks a connection when it next publishes, and the worker's replies may be
        // blocked first: keep a request going every 200 ms until the relay sees it.
        const trickle: Array<Promise<void>> = [];
        for (let i = 0; i < 50 && stack.relayState() !== 'blocked'; i++) {
          trickle.push(recipeRequest(stack.relay.baseUrl, ALARM_DEADLINE_MS, load.tally));
          await sleep(200);
        }
        extra = Promise.all(trickle).then(() => load.tally);
        expect(stack.relayState()).toBe('blocked');
        blockedAt = Date.now();
        // New requests while blocked wait in the outbox.
        const batch = runLoad({ baseUrl: stack.relay.baseUrl, clients: 20, total: 20, deadlineMs: ALARM_DEADLINE_MS, tally: load.tally });
        extra = Promise.all([extra, batch]).then(() => load.tally);
        for (let i = 0; i < 30; i++) {
          outboxPeak = Math.max(outboxPeak, stack.relay.relay.outbox);
          await sleep(50);
        }
      } finally {
        await broker.ctl('set_vm_memory_high_watermark', '0.4');
      }
      await waitFor(() => stack.relay.relay.readiness().ready, 10_000, 'the relay to resume');
      await sleep(300);
      done = true;
      await load.running;
      await extra;
      const tally = load.tally;
      await readiness.stop();
      const whileBlocked = readiness.samples.filter((s) => s.at > blockedAt && s.at < blockedAt + 1_400);
      report('memory-alarm', tally, { outboxPeak, readyzWhileBlocked: [...new Set(whileBlocked.map((s) => s.status))].join(',') });
      expect(outboxPeak).toBeGreaterThan(0);
      expect(whileBlocked.every((s) => s.status === 503)).toBe(true);
      expect(tally.hung).toBe(0);
      expect(statusesSeen(tally)).toEqual(['200']);
    } finally {
      await readiness.stop();
      await broker.ctl('set_vm_memory_high_watermark', '0.4').catch(() => {});
      await stack.stop();
    }
  });

  it('reopens a channel the broker closed with an error, keeps the connection, and keeps answering', async () => {
    const stack = await startStack({ label: 'channel-error', relayUrl: broker.url, workerUrl: broker.url });
    try {
      const reconnectsBefore = stack.relay.relay.actors().broker.reconnects;
      let done = false;
      const load = runLoad({ baseUrl: stack.relay.baseUrl, clients: 20, deadlineMs: 10_000, until: () => done });
      await sleep(300);
      // Acknowledging a delivery tag nobody has is PRECONDITION_FAILED: the broker closes each channel (relay's and worker's).
      await broker.ctl('eval', "[rabbit_channel:do(P, {'basic.ack', 999999, false}) || P <- rabbit_channel:list()].");
      await sleep(1_000);
      done = true;
      const tally = await load;
      const after = await runLoad({ baseUrl: stack.relay.baseUrl, clients: 10, total: 50, deadlineMs: 5_000 });
      const reconnects = stack.relay.relay.actors().broker.reconnects - reconnectsBefore;
      // How many times each channel was opened again on the same connection.
      const relayReopens = Object.fromEntries(stack.relay.relay.broker.getSnapshot().context.epochs);
      const workerReopens = Object.fromEntries(stack.worker.broker.getSnapshot().context.epochs);
      const workerConnectionDrops = stack.worker.broker.getSnapshot().context.reconnects;
      report('channel-error', tally, {
        connectionDrops: reconnects,
        relayReopens: JSON.stringify(relayReopens),
        workerReopens: JSON.stringify(workerReopens),
        workerConnectionDrops,
        afterOk: after.ok,
        afterSent: after.sent,
      });
      // The relay's claim; the worker's channel is hit too, and its figures are in the table.
      expect(relayReopens).toMatchObject({ ai: expect.any(Number), crawl: expect.any(Number) });
      expect(reconnects).toBe(0);
      expect(tally.hung).toBe(0);
      expect(statusesSeen(tally)).toEqual(['200']);
      expect(statusesSeen(after)).toEqual(['200']);
    } finally {
      await stack.stop();
    }
  });
  it('declares and consumes its reply queue again when someone deletes it, without dropping the connection', async () => {
    const stack = await startStack({ label: 'reply-deleted', relayUrl: broker.url, workerUrl: broker.url });
    try {
      const before = await runLoad({ baseUrl: stack.relay.baseUrl, clients: 5, total: 10, deadlineMs: 5_000 });
      await withChannel(broker.url, (channel) => channel.deleteQueue(stack.relay.config.queues.reply));
      await waitFor(() => (stack.relay.relay.broker.getSnapshot().context.epochs.get('ai') ?? 0) >= 1, 5_000, 'the AI channel to be reopened');
      const after = await runLoad({ baseUrl: stack.relay.baseUrl, clients: 5, total: 20, deadlineMs: 5_000 });
      report('reply-queue-deleted', after, { connectionDrops: stack.relay.relay.actors().broker.reconnects });
      expect(statusesSeen(before)).toEqual(['200']);
      expect(statusesSeen(after)).toEqual(['200']);
      expect(stack.relay.relay.actors().broker.reconnects).toBe(0);
    } finally {
      await stack.stop();
    }
  });

  it('answers all 50 requests in flight and exits 0 on SIGTERM', async () => {
    const queues = uniqueQueues('sigterm');
    let signal = () => {};
    const signalled = new Promise<void>((resolve) => (signal = resolve));
    const worker = startWorker({
      name: 'chaos-sigterm-worker',
      urls: [broker.url],
      queues: [{ name: queues.AI_QUEUE_NAME!, durable: true, declare: true }],
      handle: async (request) => {
        // Every request stays in flight until the signal has been sent (bounded).
        await Promise.race([signalled, sleep(20_000)]);
        await sleep(200);
        return aiHandler(request);
      },
      logger,
      prefetch: 100,
    });
    const port = await freePort();
    const baseUrl = `http://127.0.0.1:${port}`;
    // node with tsx's loader, as one process: `npx tsx` and `tsx` put wrapper processes in between
    // that neither pass on the relay's own exit code reliably nor take the relay down with a SIGKILL.
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      env: { ...process.env, ...queues, RABBITMQ_URL: broker.url, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', SHUTDOWN_TIMEOUT_MS: '10000' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await waitFor(async () => (await fetch(`${baseUrl}/readyz`).then((r) => r.status, () => 0)) === 200, 30_000, 'the spawned relay to be ready');
      const tally = emptyTally();
      const load = runLoad({ baseUrl, clients: 50, total: 50, deadlineMs: 10_000, tally });
      await waitFor(
        async () => ((await (await fetch(`${baseUrl}/debug/actors`)).json()) as { requests: unknown[] }).requests.length >= 50,
        20_000,
        '50 requests in flight',
      );
      child.kill('SIGTERM');
      await sleep(200);
      signal();
      await load;
      const code = await Promise.race([exited, sleep(15_000).then(() => 'still running' as const)]);
      report('sigterm', tally, { exitCode: code });
      expect(tally.sent).toBe(50);
      expect(statusesSeen(tally)).toEqual(['200']);
      expect(code, stderr).toBe(0);
    } finally {
      signal();
      if (child.exitCode === null) child.kill('SIGKILL');
      await worker.stop();
    }
  });

  it('exits at once on a second signal while draining', async () => {
    const queues = uniqueQueues('second-signal');
    const worker = startWorker({
      name: 'chaos-second-signal-worker',
      urls: [broker.url],
      queues: [{ name: queues.AI_QUEUE_NAME!, durable: true, declare: true }],
      handle: async (request) => {
        await sleep(8_000);
        return aiHandler(request);
      },
      logger,
    });
    const port = await freePort();
    const baseUrl = `http://127.0.0.1:${port}`;
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      env: { ...process.env, ...queues, RABBITMQ_URL: broker.url, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', SHUTDOWN_TIMEOUT_MS: '30000' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await waitFor(async () => (await fetch(`${baseUrl}/readyz`).then((r) => r.status, () => 0)) === 200, 30_000, 'the spawned relay to be ready').catch((err: Error) => {
        throw new Error(`${err.message}; its stderr: ${stderr.slice(-2_000)}`);
      });
      const slow = recipeRequest(baseUrl, 10_000, emptyTally());
      await waitFor(
        async () => ((await (await fetch(`${baseUrl}/debug/actors`)).json()) as { requests: unknown[] }).requests.length >= 1,
        5_000,
        'a request in flight',
      );
      child.kill('SIGTERM');
      await sleep(300);
      const secondAt = Date.now();
      child.kill('SIGTERM');
      const code = await Promise.race([exited, sleep(5_000).then(() => 'still running' as const)]);
      report('second-signal', emptyTally(), { exitCode: code, exitMsAfterSecondSignal: Date.now() - secondAt });
      // Drained, it would have waited for the 8 s worker; a second signal does not.
      expect(code).not.toBe('still running');
      await slow;
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await worker.stop();
    }
  });

  it('starts without a request queue when it may not declare queues (NO_ROUTE), and is not ready without its response queue', async () => {
    const queues = uniqueQueues('no-declare');
    // The crawling response queue exists, the AI request queue does not.
    await withChannel(broker.url, async (channel) => {
      await channel.assertQueue(queues.RABBITMQ_CRAWLING_REQUEST_QUEUE, { durable: true });
      await channel.assertQueue(queues.RABBITMQ_CRAWLING_RESPONSE_QUEUE, { durable: true });
    });
    const relay = await startRelay({ amqpUrl: broker.url, logger, env: { ...queues, RABBITMQ_DECLARE_QUEUES: 'false' } });
    try {
      const res = await postJson(relay.baseUrl, '/api/ai/recipe', { recipe_text: 'an egg' });
      expect(res.status).toBe(503);
      expect(res.json.error.code).toBe('NO_ROUTE');
    } finally {
      await relay.stop();
    }
    const missing = uniqueQueues('no-declare-response');
    const config = loadConfig({ RABBITMQ_URL: broker.url, ...missing, RABBITMQ_DECLARE_QUEUES: 'false', RECONNECT_BASE_MS: '50', RECONNECT_MAX_MS: '500' });
    const probe = new Relay({ config, logger }).start();
    try {
      await waitFor(() => probe.readiness().reason?.includes(missing.RABBITMQ_CRAWLING_RESPONSE_QUEUE!) ?? false, 10_000, 'a reason naming the missing queue');
      const readiness = probe.readiness();
      report('declare-false', emptyTally(), { notReadyReason: readiness.reason });
      expect(readiness.ready).toBe(false);
    } finally {
      await probe.stop();
    }
  });
  it('carries on when a queue exists with other settings (declare refused with PRECONDITION_FAILED)', async () => {
    const queues = uniqueQueues('precondition');
    await withChannel(broker.url, (channel) => channel.assertQueue(queues.AI_QUEUE_NAME, { durable: true, arguments: { 'x-max-length': 100_000 } }));
    const stack = await startStack({ label: 'precondition', relayUrl: broker.url, workerUrl: broker.url, env: queues, queues });
    try {
      const tally = await runLoad({ baseUrl: stack.relay.baseUrl, clients: 10, total: 50, deadlineMs: 5_000 });
      report('declare-precondition-failed', tally, { ready: stack.relay.relay.readiness().ready });
      expect(stack.relay.relay.readiness().ready).toBe(true);
      expect(statusesSeen(tally)).toEqual(['200']);
    } finally {
      await stack.stop();
    }
  });

  it('connects to the next URL of RABBITMQ_URL when the first one refuses', async () => {
    const queues = uniqueQueues('urls');
    const relay = await startRelay({ amqpUrl: `amqp://guest:guest@127.0.0.1:1,${broker.url}`, logger, env: queues });
    try {
      expect(relay.relay.actors().broker.connectedTo).toBe('127.0.0.1:5673');
    } finally {
      await relay.stop();
    }
  });
});
