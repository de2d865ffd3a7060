import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type RunningRelay, postJson, startRelay, uniqueQueues, waitFor } from '../support/relay-harness.ts';
import { deleteQueues, type ScriptedWorker, startScriptedWorker, withChannel } from '../support/scripted-worker.ts';

const run = promisify(execFile);

/** The relay's prefetch on its crawling channel (src/actors/topology.ts): more poison than this once stopped every crawl reply. */
const CRAWL_PREFETCH = 1_000;

/** Junk on the crawling response queue that no relay can match or pass on. */
const POISON = {
  /** No correlation id at all. */
  withoutId: 100,
  /** An owner prefix whose reply queue name would pass 255 bytes: amqplib cannot even encode the forward. */
  longOwner: CRAWL_PREFETCH + 50,
  /** An owner prefix that no relay instance id can be. */
  invalidOwner: 100,
};
const POISON_TOTAL = POISON.withoutId + POISON.longOwner + POISON.invalidOwner;

async function dropped(relay: RunningRelay, reason: string): Promise<number> {
  const metric = await relay.metrics.repliesDropped.get();
  return metric.values.find((v) => v.labels.reason === reason)?.value ?? 0;
}

/** Ready and unacknowledged messages of one queue, as the broker counts them. */
async function queueDepth(queue: string): Promise<{ messages: number; unacknowledged: number } | undefined> {
  const { stdout } = await run('rabbitmqctl', ['list_queues', '-q', '--no-table-headers', 'name', 'messages', 'messages_unacknowledged'], { timeout: 30_000 });
  for (const line of stdout.split('\n')) {
    const [name, messages, unacknowledged] = line.trim().split(/\s+/);
    if (name === queue) return { messages: Number(messages), unacknowledged: Number(unacknowledged) };
  }
  return undefined;
}

describe('poison on the crawling response queue is acknowledged, counted and never stops crawl replies', () => {
  const url = inject('amqpUrl');
  const queues = uniqueQueues('poison');
  const responses = queues.RABBITMQ_CRAWLING_RESPONSE_QUEUE!;
  let relay: RunningRelay;
  let worker: ScriptedWorker;

  beforeAll(async () => {
    // A deadline a crawl stuck behind a full prefetch window would reach well within the test's timeout.
    relay = await startRelay({ amqpUrl: url, env: { ...queues, CRAWL_TIMEOUT_MS: '10000' } });
    worker = await startScriptedWorker(url, queues.RABBITMQ_CRAWLING_REQUEST_QUEUE!);
  });
  afterAll(async () => {
    await worker?.stop();
    await relay?.stop();
    await deleteQueues(url, [...Object.values(queues), relay.config.queues.reply]);
  });

  it(`takes ${POISON_TOTAL} poison messages (more than the prefetch window of ${CRAWL_PREFETCH}), then answers every crawl`, { timeout: 90_000 }, async () => {
    const before = await dropped(relay, 'unforwardable');
    const longOwner = `${'x'.repeat(250)}.1`;
    await withChannel(url, async (channel) => {
      const junk = Buffer.from('{"poison":true}');
      // Interleaved: the messages a relay could always drop are spread among those it could not pass on.
      const kinds: Array<{ correlationId?: string }> = [];
      for (let i = 0; i < POISON.longOwner; i++) {
        kinds.push({ correlationId: longOwner });
        if (i < POISON.withoutId) kinds.push({});
        if (i < POISON.invalidOwner) kinds.push({ correlationId: 'a b/c.1' });
      }
      for (const options of kinds) channel.sendToQueue(responses, junk, { ...options, contentType: 'application/json' });
      await channel.waitForConfirms();
    });

    const crawls = await Promise.all(Array.from({ length: 20 }, (_, i) => postJson(relay.baseUrl, '/api/crawl', { url: `https://example.com/after-poison/${i}` })));
    expect(crawls.map((c) => c.status)).toEqual(Array(20).fill(200));
    expect(crawls.map((c) => c.json.echo.url)).toEqual(Array.from({ length: 20 }, (_, i) => `https://example.com/after-poison/${i}`));

    await waitFor(async () => (await dropped(relay, 'unforwardable')) === before + POISON_TOTAL, 20_000, `${POISON_TOTAL} unforwardable drops to be counted`);
    await waitFor(
      async () => {
        const depth = await queueDepth(responses);
        return depth?.messages === 0 && depth.unacknowledged === 0;
      },
      30_000,
      'the crawling response queue to hold nothing, ready or unacknowledged',
    );
  });
});
