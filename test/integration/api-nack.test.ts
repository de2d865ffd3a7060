import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type RunningRelay, postJson, startRelay, uniqueQueues } from '../support/relay-harness.ts';
import { deleteQueues, type ScriptedWorker, startScriptedWorker, withChannel } from '../support/scripted-worker.ts';

const run = promisify(execFile);

/** The consumers of one queue as the broker lists them: `<channel pid> <consumer tag>` each. */
async function consumersOf(queue: string): Promise<string[]> {
  const { stdout } = await run('rabbitmqctl', ['list_consumers', '-q', '--no-table-headers', 'queue_name', 'channel_pid', 'consumer_tag'], { timeout: 30_000 });
  return stdout
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter(([name]) => name === queue)
    .map(([, channel, tag]) => `${channel} ${tag}`);
}

async function counted(relay: RunningRelay, name: string, label = ''): Promise<number> {
  const text = await (await fetch(`${relay.baseUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}${label} `));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

/** More than the nacks in a row that reopen a channel (session-channel.ts), but never that many in a row. */
const NACKED_REQUESTS = 12;

describe('a nack fails its one request with 503 and leaves the channel open', () => {
  const url = inject('amqpUrl');
  const queues = uniqueQueues('nack');
  let relay: RunningRelay;
  let imageWorker: ScriptedWorker;

  beforeAll(async () => {
    // A full queue that refuses what is published to it: the broker nacks every publish there.
    await withChannel(url, async (channel) => {
      await channel.assertQueue(queues.AI_QUEUE_NAME, { durable: true, arguments: { 'x-max-length': 1, 'x-overflow': 'reject-publish' } });
      channel.sendToQueue(queues.AI_QUEUE_NAME!, Buffer.from('{"filler":true}'));
    });
    // The relay declares its queues as usual: the broker refuses its declaration of this one (406), and the relay uses it as it is.
    // Deadlines far beyond the test's own timeout: an answer that waited for one would fail the test.
    relay = await startRelay({ amqpUrl: url, env: { ...queues, AI_TIMEOUT_MS: '120000' } });
    imageWorker = await startScriptedWorker(url, queues.AI_IMAGE_QUEUE_NAME!);
  });
  afterAll(async () => {
    await imageWorker?.stop();
    await relay?.stop();
    await deleteQueues(url, [...Object.values(queues), relay.config.queues.reply]);
  });

  it('answers each refused recipe 503 BROKER_UNAVAILABLE at once while image requests on the same channel go on, without reopening it', { timeout: 60_000 }, async () => {
    const replyQueue = relay.config.queues.reply;
    const consumersBefore = await consumersOf(replyQueue);
    expect(consumersBefore).toHaveLength(1);
    const reconnectsBefore = await counted(relay, 'relay_broker_reconnects_total');
    const nackedBefore = await counted(relay, 'relay_publishes_total', '{outcome="nacked"}');

    for (let i = 0; i < NACKED_REQUESTS; i++) {
      const [recipe, image] = await Promise.all([
        postJson(relay.baseUrl, '/api/ai/recipe', { recipe_text: `refused ${i}` }),
        postJson(relay.baseUrl, '/api/ai/image', { s3_url: `s3://bucket/image-${i}.jpg` }),
      ]);
      expect(recipe.status).toBe(503);
      expect(recipe.json.error.code).toBe('BROKER_UNAVAILABLE');
      expect(recipe.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(image.status).toBe(200);
      expect(image.json.echo.s3_url).toBe(`s3://bucket/image-${i}.jpg`);
    }

    expect(await counted(relay, 'relay_publishes_total', '{outcome="nacked"}')).toBe(nackedBefore + NACKED_REQUESTS);
    expect(await counted(relay, 'relay_broker_reconnects_total')).toBe(reconnectsBefore);
    // The same consumer on the same channel: the AI channel was never closed and reopened.
    expect(await consumersOf(replyQueue)).toEqual(consumersBefore);
    // Nothing refused was published again: the full queue still holds only its filler.
    expect(await withChannel(url, async (channel) => (await channel.checkQueue(queues.AI_QUEUE_NAME!)).messageCount)).toBe(1);
  });
});
