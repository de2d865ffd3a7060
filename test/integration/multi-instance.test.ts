import amqp from 'amqplib';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type Outcome, runLoad, startSite, tally } from '../cluster/support/load.ts';
import {
  metricValue,
  type RelayProcess,
  type ServiceProcess,
  startRelayProcess,
  startWorkerProcess,
  stopAll,
  waitUntilReady,
} from '../cluster/support/processes.ts';
import { waitFor, uniqueQueues } from '../support/relay-harness.ts';
import { deleteQueues } from '../support/scripted-worker.ts';

/**
 * Three relay processes and two worker processes on one set of queues, on the shared test broker.
 * The crawling response queue is shared, so most crawl replies are consumed by an instance that
 * does not own them and must be forwarded to their owner's reply queue.
 */

// The reply queue may not expire before the largest deadline (the relay refuses to start otherwise).
const REPLY_TTL_MS = 5_000;

async function queueExists(url: string, queue: string): Promise<boolean> {
  const connection = await amqp.connect(url);
  try {
    const channel = await connection.createChannel();
    channel.on('error', () => {});
    return await channel.checkQueue(queue).then(
      () => true,
      () => false,
    );
  } finally {
    await connection.close().catch(() => {});
  }
}

/**
 * A passive declare counts as a use of the queue and renews its x-expires lease, so the probe waits
 * longer than the TTL between two looks (bounded: five looks).
 */
async function waitUntilExpired(url: string, queue: string): Promise<void> {
  for (let look = 0; look < 5; look++) {
    await new Promise((r) => setTimeout(r, REPLY_TTL_MS + 1_000));
    if (!(await queueExists(url, queue))) return;
  }
  throw new Error(`${queue} still exists ${5 * (REPLY_TTL_MS + 1_000)} ms after its owner died`);
}

function report(label: string, counts: Record<string, number>, extra: Record<string, unknown> = {}) {
  // Figures printed for the record; they are not pass/fail thresholds.
  process.stdout.write(`[multi-instance] ${label}: ${JSON.stringify({ ...counts, ...extra })}\n`);
}

describe('several relay instances sharing one crawling response queue', () => {
  const url = inject('amqpUrl');
  const queues = uniqueQueues('multi');
  const tag = queues.AI_QUEUE_NAME!.split('.')[2]!;
  const env = { RABBITMQ_URL: url, ...queues, REPLY_QUEUE_EXPIRES_MS: String(REPLY_TTL_MS), CRAWL_TIMEOUT_MS: String(REPLY_TTL_MS), AI_TIMEOUT_MS: String(REPLY_TTL_MS) };
  let site: Awaited<ReturnType<typeof startSite>>;
  let relays: RelayProcess[] = [];
  let workers: ServiceProcess[] = [];

  beforeAll(async () => {
    site = await startSite();
    relays = await Promise.all([1, 2, 3].map((n) => startRelayProcess(`${tag}-r${n}`, env)));
    workers = [startWorkerProcess('workers-1', env), startWorkerProcess('workers-2', env)];
    await Promise.all(relays.map((r) => waitUntilReady(r, 60_000)));
  });

  afterAll(async () => {
    await stopAll([...relays, ...workers]);
    await site?.close();
    await deleteQueues(url, [...Object.values(queues), ...relays.map((r) => `amqp-relay.reply.${r.instanceId}`)]);
  });

  it('answers 1,000 mixed requests spread over three instances, each with its own reply', async () => {
    const started = performance.now();
    const outcomes = await runLoad({
      total: 1_000,
      concurrency: 48,
      targetOf: (i) => relays[i % 3]!.baseUrl,
      site: site.base,
      tag,
      giveUpMs: 20_000,
    });
    const counts = tally(outcomes);
    report('1000 mixed over 3 instances', counts, { wallMs: Math.round(performance.now() - started) });

    expect(counts).toMatchObject({ sent: 1_000, ok: 1_000 });
    const ownerOf = (o: Outcome) => relays.find((r) => r.baseUrl === o.target)!.instanceId;
    const foreign = outcomes.filter((o) => !o.correlationId?.startsWith(`${ownerOf(o)}.`));
    expect(foreign).toEqual([]);
  }, 120_000);

  it('keeps serving on the other instances when one is killed mid-load, and its reply queue expires', async () => {
    const victim = relays[2]!;
    const survivors = relays.slice(0, 2);
    let killedAt = 0;
    const outcomes = await runLoad({
      total: 300,
      concurrency: 30,
      firstIndex: 10_000,
      targetOf: (i) => relays[i % 3]!.baseUrl,
      site: site.base,
      tag,
      giveUpMs: 20_000,
      onAnswer: (done) => {
        if (done === 100 && !killedAt) {
          killedAt = Date.now();
          victim.kill('SIGKILL');
        }
      },
    });
    const toSurvivors = outcomes.filter((o) => o.target !== victim.baseUrl);
    const toVictim = outcomes.filter((o) => o.target === victim.baseUrl);
    report('300 with one instance SIGKILLed after 100', tally(outcomes), { survivors: tally(toSurvivors), victim: tally(toVictim) });

    expect(killedAt).toBeGreaterThan(0);
    expect(tally(toSurvivors)).toMatchObject({ sent: toSurvivors.length, ok: toSurvivors.length });
    // The killed instance's callers get their answer or a dropped connection: never a wrong reply, never a hang.
    expect(toVictim.filter((o) => !(o.matches || o.status === 'connection'))).toEqual([]);

    const replyQueue = `amqp-relay.reply.${victim.instanceId}`;
    await waitUntilExpired(url, replyQueue);
    report('dead reply queue removed', {}, { afterKillMs: Date.now() - killedAt, ttlMs: REPLY_TTL_MS });

    // A late response for the dead instance is forwarded, returned as unroutable, counted and dropped.
    const orphaned = () => Promise.all(survivors.map((r) => metricValue(r.baseUrl, 'relay_replies_dropped_total{reason="orphaned"}'))).then((v) => v[0]! + v[1]!);
    const before = await orphaned();
    const connection = await amqp.connect(url);
    try {
      const channel = await connection.createConfirmChannel();
      for (let i = 0; i < 5; i++) {
        channel.sendToQueue(queues.RABBITMQ_CRAWLING_RESPONSE_QUEUE!, Buffer.from('{"late":true}'), {
          correlationId: `${victim.instanceId}.late-${i}`,
          contentType: 'application/json',
        });
      }
      await channel.waitForConfirms();
    } finally {
      await connection.close().catch(() => {});
    }
    await waitFor(async () => (await orphaned()) - before >= 5, 10_000, 'five orphaned replies to be counted');
    expect((await orphaned()) - before).toBe(5);
    const status = await Promise.all(survivors.map((r) => fetch(`${r.baseUrl}/readyz`).then((res) => res.status)));
    expect(status).toEqual([200, 200]);
  }, 120_000);
});
