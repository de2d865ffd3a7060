/**
 * In-process CPU cost of inspection per request actor (no network, no HTTP): each request actor is
 * created, started, confirmed and answered, with inspection off, with the live page feed and
 * nobody watching, and with one watcher. Prints µs of CPU per request for each mode; then the
 * feed's own share: the same requests' inspection events recorded once and replayed through the
 * feed alone (no XState work), nobody watching vs one watcher.
 *
 * Usage: npx tsx test/e2e/support/inspection-overhead.ts [requestsPerRound=20000] [rounds=3]
 */
import { createActor, type InspectionEvent } from 'xstate';
import type { Delivery } from '../../../src/actors/broker/messages.ts';
import { LiveInspectionHub } from '../../../src/actors/live-inspection.ts';
import { requestMessage } from '../../../src/actors/request/messages.ts';
import { type BrokerPort, requestLogic } from '../../../src/actors/request/request.logic.ts';
import { loadConfig } from '../../../src/config/load-config.ts';
import { bodyOfFields } from '../../../src/requests/client-body.ts';

const [countArg = '20000', roundsArg = '3'] = process.argv.slice(2);
const count = Number(countArg);
const config = loadConfig({ RELAY_INSTANCE_ID: 'bench' });
const broker: BrokerPort = { publish: () => {}, cancel: () => {} };

function delivery(id: string): Delivery {
  return { channel: 'ai', queue: 'reply', generation: 1, channelEpoch: 0, deliveryTag: 1, redelivered: false, content: Buffer.from('{"ok":true}'), correlationId: id, replyTo: undefined, messageId: undefined, type: undefined, headers: {}, expiration: undefined, timestamp: undefined };
}

function run(inspect: ((e: InspectionEvent) => void) | undefined): number {
  const start = process.cpuUsage();
  for (let i = 0; i < count; i++) {
    const id = `bench.${i}`;
    const acceptedAt = Date.now();
    const message = requestMessage(config, 'recipe_analysis', id, bodyOfFields({ recipe_text: 'x' }), acceptedAt + 30_000, undefined);
    const input = { correlationId: id, kind: 'recipe_analysis' as const, message, broker, acceptedAt, deadlineAt: acceptedAt + 30_000, replyOptional: false };
    const actor = createActor(requestLogic, { input, ...(inspect ? { inspect } : {}) });
    actor.start();
    actor.send({ type: 'broker.confirmed', id });
    actor.send({ type: 'broker.reply', id, delivery: delivery(id) });
  }
  const used = process.cpuUsage(start);
  return (used.user + used.system) / count;
}

const unwatched = new LiveInspectionHub();
const watched = new LiveInspectionHub();
let messages = 0;
watched.subscribe(() => messages++);
run(undefined); // warm-up
const results: Record<string, number[]> = { off: [], 'noop observer': [], 'live, nobody watching': [], 'live, one watcher': [] };
for (let round = 0; round < Number(roundsArg); round++) {
  results.off!.push(run(undefined));
  results['noop observer']!.push(run(() => {}));
  results['live, nobody watching']!.push(run(unwatched.observe));
  results['live, one watcher']!.push(run(watched.observe));
}

/** The feed alone: every inspection event of `count` requests, recorded, then handed to `observe`. */
const recorded: InspectionEvent[] = [];
run((e) => void recorded.push(e));
function replay(observe: (e: InspectionEvent) => void): number {
  const start = process.cpuUsage();
  for (const e of recorded) observe(e);
  const used = process.cpuUsage(start);
  return (used.user + used.system) / count;
}
results['feed alone, nobody watching'] = [];
results['feed alone, one watcher'] = [];
for (let round = 0; round < Number(roundsArg); round++) {
  results['feed alone, nobody watching'].push(replay(unwatched.observe));
  results['feed alone, one watcher'].push(replay(watched.observe));
  watched.closeSecond();
}
for (const [mode, values] of Object.entries(results)) {
  const sorted = [...values].sort((a, b) => a - b);
  process.stdout.write(`${JSON.stringify({ mode, cpuMicrosPerRequest: sorted.map((v) => Number(v.toFixed(1))), median: Number(sorted[Math.floor(sorted.length / 2)]!.toFixed(1)) })}\n`);
}
process.exit(0);
