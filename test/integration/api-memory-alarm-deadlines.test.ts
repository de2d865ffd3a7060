import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PrivateBroker, startPrivateBroker } from '../support/private-broker.ts';
import { type RunningRelay, postJson, startRelay, uniqueQueues, waitFor } from '../support/relay-harness.ts';
import { type ScriptedWorker, startScriptedWorker } from '../support/scripted-worker.ts';

/**
 * Under a memory alarm RabbitMQ reads a connection's next publish and then stops reading from it
 * (connection.blocked comes only then): that publish is written but not confirmed until the alarm
 * clears. The relay buffers what comes after `blocked` in its outbox. At their deadlines the first
 * is 504 TIMEOUT (it may yet be processed), the second 503 BROKER_UNAVAILABLE (never sent).
 * On a private node: the alarm blocks every publisher of the node.
 */
describe('deadlines under a memory alarm: written and unconfirmed is 504, never written is 503', () => {
  let node: PrivateBroker;
  let relay: RunningRelay;
  let worker: ScriptedWorker;
  const queues = uniqueQueues('alarm-deadlines');

  beforeAll(async () => {
    node = await startPrivateBroker({ name: 'nack', port: 5697 });
    relay = await startRelay({ amqpUrl: node.url, env: { ...queues, AI_TIMEOUT_MS: '3000' } });
    worker = await startScriptedWorker(node.url, queues.AI_QUEUE_NAME!);
  });
  afterAll(async () => {
    await worker?.stop();
    await relay?.stop();
    await node?.stop();
  });

  it('answers the request written before the relay learnt of the block 504, the one kept in the outbox 503', { timeout: 90_000 }, async () => {
    expect((await postJson(relay.baseUrl, '/api/ai/recipe', { recipe_text: 'before the alarm' })).status).toBe(200);
    await node.ctl('set_vm_memory_high_watermark', '0.0000001');
    try {
      await waitFor(async () => (await node.ctl('eval', 'rabbit_alarm:get_alarms().')).includes('memory'), 30_000, 'the memory alarm to be raised');
      expect(relay.relay.readiness().broker).toBe('connected'); // the broker tells a connection only when it publishes

      const written = postJson(relay.baseUrl, '/api/ai/recipe', { recipe_text: 'written, then blocked' });
      await waitFor(() => relay.relay.readiness().broker === 'blocked', 5_000, 'the relay to learn that the broker blocks it');
      const queued = postJson(relay.baseUrl, '/api/ai/recipe', { recipe_text: 'kept in the outbox' });
      await waitFor(() => relay.relay.outbox === 1, 2_000, 'the second request to wait in the outbox');

      const [first, second] = await Promise.all([written, queued]);
      expect(first.status).toBe(504);
      expect(first.json.error.code).toBe('TIMEOUT');
      expect(second.status).toBe(503);
      expect(second.json.error.code).toBe('BROKER_UNAVAILABLE');
      expect(second.headers.get('retry-after')).toMatch(/^\d+$/);
    } finally {
      await node.ctl('set_vm_memory_high_watermark', '0.4');
    }
    await waitFor(() => relay.relay.readiness().ready, 30_000, 'the relay to be unblocked');
    expect((await postJson(relay.baseUrl, '/api/ai/recipe', { recipe_text: 'after the alarm' })).status).toBe(200);
  });
});
