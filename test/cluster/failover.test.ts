import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterUrls, cluster, listQueues, nodeName, nodeOfHost } from './support/cluster.ts';
import { runLoad, startSite, tally } from './support/load.ts';
import {
  type RelayProcess,
  type ServiceProcess,
  startRelayProcess,
  startWorkerProcess,
  stopAll,
  waitUntilReady,
} from './support/processes.ts';
import { uniqueQueues, waitFor } from '../support/relay-harness.ts';

/**
 * A private three-node RabbitMQ cluster (scripts/cluster.sh), one relay and reference workers given
 * the three node URLs, quorum request queues. The node the relay is connected to is killed (SIGKILL
 * of its Erlang VM) under load: the relay moves to another node, and requests parked in a quorum
 * queue on the killed node's leader survive.
 */

interface BrokerView {
  state: string;
  connectedTo: string | null;
  reconnects: number;
  unconfirmed: number;
  awaitingReply: number;
}

async function brokerOf(relay: RelayProcess): Promise<BrokerView | undefined> {
  try {
    const res = await fetch(`${relay.baseUrl}/debug/actors`, { signal: AbortSignal.timeout(1_000) });
    return ((await res.json()) as { broker: BrokerView }).broker;
  } catch {
    return undefined;
  }
}

function report(label: string, figures: Record<string, unknown>) {
  // Figures for the report (failover time, counts); not pass/fail thresholds.
  process.stdout.write(`[cluster-failover] ${label}: ${JSON.stringify(figures)}\n`);
}

describe('a relay on a three-node RabbitMQ cluster with quorum queues', () => {
  const queues = uniqueQueues('cluster');
  const tag = queues.AI_QUEUE_NAME!.split('.')[2]!;
  const common = { ...queues, RABBITMQ_QUEUE_TYPE: 'quorum', CRAWL_TIMEOUT_MS: '60000', AI_TIMEOUT_MS: '10000', RABBITMQ_HEARTBEAT_S: '5' };
  // The AI workers consume a decoy crawl queue, so crawl requests stay parked in the real one until a crawler starts.
  const aiWorkerEnv = { ...common, RABBITMQ_URL: clusterUrls(2), RABBITMQ_CRAWLING_REQUEST_QUEUE: `${queues.RABBITMQ_CRAWLING_REQUEST_QUEUE}.decoy` };
  const crawlerEnv = { ...common, RABBITMQ_URL: clusterUrls(2) };
  const services: ServiceProcess[] = [];
  let site: Awaited<ReturnType<typeof startSite>>;
  let relay: RelayProcess;
  let clusterStartMs = 0;

  beforeAll(async () => {
    const started = performance.now();
    await cluster('stop'); // leftovers of an interrupted run
    await cluster('start');
    clusterStartMs = Math.round(performance.now() - started);
    site = await startSite();
    relay = await startRelayProcess(`${tag}-relay`, {
      ...common,
      RABBITMQ_URL: clusterUrls(1),
      RECONNECT_BASE_MS: '100',
      RECONNECT_MAX_MS: '1000',
      XSTATE_INSPECT: 'off',
    });
    services.push(relay);
    await waitUntilReady(relay, 60_000);
    services.push(startWorkerProcess('ai-workers', aiWorkerEnv));
  });

  afterAll(async () => {
    try {
      await stopAll(services);
      await site?.close();
    } finally {
      const stopped = performance.now();
      await cluster('stop');
      report('cluster lifecycle', { startMs: clusterStartMs, stopMs: Math.round(performance.now() - stopped) });
    }
  });

  it('declares the request and reply queues as quorum queues replicated on the three nodes', async () => {
    await waitFor(async () => (await listQueues(1)).some((q) => q.name === aiWorkerEnv.RABBITMQ_CRAWLING_REQUEST_QUEUE), 30_000, 'the workers to declare their queues');
    const declared = new Map((await listQueues(1)).map((q) => [q.name, q]));
    for (const name of [queues.RABBITMQ_CRAWLING_REQUEST_QUEUE!, queues.RABBITMQ_CRAWLING_RESPONSE_QUEUE!, queues.AI_QUEUE_NAME!, queues.AI_IMAGE_QUEUE_NAME!]) {
      expect(declared.get(name)?.type, name).toBe('quorum');
      expect([...(declared.get(name)?.members ?? [])].sort(), name).toEqual([nodeName(1), nodeName(2), nodeName(3)]);
    }
    // The per-instance reply queue too: a durable classic one would be stuck on a dead node.
    expect(declared.get(`amqp-relay.reply.${relay.instanceId}`)?.type).toBe('quorum');
  });

  it('moves to another node when its node dies under load, and parked requests survive', async () => {
    // 1. Crawl requests parked in the quorum crawl queue (nobody consumes it yet), confirmed by the broker.
    const parked = await Promise.all(
      Array.from({ length: 30 }, async (_, i) => {
        const url = `${site.base}/page/${50_000 + i}`;
        const res = await fetch(`${relay.baseUrl}/api/crawl`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', prefer: 'respond-async' },
          body: JSON.stringify({ url }),
        });
        expect(res.status).toBe(202);
        return { url, title: `page ${50_000 + i}`, id: ((await res.json()) as { correlationId: string }).correlationId };
      }),
    );
    await waitFor(async () => (await brokerOf(relay))?.unconfirmed === 0, 10_000, 'the parked requests to be confirmed');
    const before = await brokerOf(relay);
    const victim = nodeOfHost(before?.connectedTo);
    expect(victim).toBeDefined();
    const leader = (await listQueues(victim === 1 ? 2 : 1)).find((q) => q.name === queues.RABBITMQ_CRAWLING_REQUEST_QUEUE)?.leader;

    // 2. AI load; the relay's node is killed after 100 answers.
    let killedAt = 0;
    let failover: Promise<{ readyMs: number; to: string | null } | Error> | undefined;
    let failed = false;
    const loadStarted = performance.now();
    const outcomes = await runLoad({
      total: 500,
      concurrency: 16,
      kinds: ['recipe', 'image'],
      targetOf: () => relay.baseUrl,
      site: site.base,
      tag,
      giveUpMs: 10_000 + 3_000,
      stop: () => failed,
      onAnswer: (done) => {
        if (done !== 100 || killedAt) return;
        killedAt = performance.now();
        let view: BrokerView | undefined;
        failover = cluster('kill', String(victim)).then(async () => {
          await waitFor(
            async () => {
              view = await brokerOf(relay);
              return view?.state === 'connected' && nodeOfHost(view.connectedTo) !== victim;
            },
            60_000,
            'the relay to connect to another node',
          );
          return { readyMs: Math.round(performance.now() - killedAt), to: view?.connectedTo ?? null };
        }).catch((err: unknown) => {
          failed = true;
          return new Error(`${String(err)}; broker: ${JSON.stringify(view)}; relay log:\n${relay.output.join('\n')}`);
        });
      },
    });
    const moved = await failover!;
    if (moved instanceof Error) throw moved;
    const counts = tally(outcomes);
    report('500 AI requests, relay node killed after 100', {
      ...counts,
      killed: nodeName(victim!),
      crawlQueueLeader: leader,
      failoverMs: moved.readyMs,
      movedTo: moved.to,
      loadWallMs: Math.round(performance.now() - loadStarted),
    });
    expect(moved.to).not.toBeNull();
    expect(counts.hung).toBe(0);
    expect(counts.mismatched).toBe(0);
    expect(counts.connection).toBe(0);
    expect(counts.other).toBe(0);

    // 3. Once it has moved, every request is answered again.
    const after = tally(await runLoad({ total: 30, concurrency: 10, kinds: ['recipe', 'image'], targetOf: () => relay.baseUrl, site: site.base, tag, giveUpMs: 13_000, firstIndex: 90_000 }));
    report('30 AI requests after failover', after);
    if (after.ok !== 30) report('queues after failover', { queues: await listQueues(victim === 1 ? 2 : 1), relayLog: relay.output.slice(-10) });
    expect(after).toMatchObject({ sent: 30, ok: 30 });

    // 4. A crawler starts now and finds the 30 parked requests: their results reach the async store.
    services.push(startWorkerProcess('crawler', crawlerEnv));
    const surviveStarted = performance.now();
    const results = new Map<string, any>();
    await waitFor(
      async () => {
        for (const p of parked) {
          if (results.get(p.id)?.status === 'done') continue;
          const res = await fetch(`${relay.baseUrl}/api/requests/${encodeURIComponent(p.id)}`);
          results.set(p.id, await res.json());
        }
        return parked.every((p) => results.get(p.id)?.status !== 'pending');
      },
      45_000,
      'the parked crawl requests to be answered',
    );
    report('parked quorum requests after losing a node', {
      parked: parked.length,
      done: parked.filter((p) => results.get(p.id)?.status === 'done').length,
      msAfterCrawlerStart: Math.round(performance.now() - surviveStarted),
    });
    for (const p of parked) {
      expect(results.get(p.id), p.id).toMatchObject({ status: 'done', result: { url: p.url, title: p.title, status: 200 } });
    }

    // 5. A relay that starts while the first node of its list is down connects to the next one.
    const late = await startRelayProcess(`${tag}-late`, { ...common, RABBITMQ_URL: clusterUrls(victim), RECONNECT_MAX_MS: '1000' });
    services.push(late);
    const lateStarted = performance.now();
    await waitUntilReady(late, 30_000);
    const lateBroker = await brokerOf(late);
    report('relay started with the dead node first', { connectedTo: lateBroker?.connectedTo, readyMs: Math.round(performance.now() - lateStarted) });
    expect(nodeOfHost(lateBroker?.connectedTo)).not.toBe(victim);
    expect((await runLoad({ total: 10, concurrency: 5, kinds: ['recipe'], targetOf: () => late.baseUrl, site: site.base, tag, giveUpMs: 13_000, firstIndex: 95_000 })).every((o) => o.matches)).toBe(true);
  });
});
