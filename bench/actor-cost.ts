import { pino } from 'pino';
import { createActor, fromCallback, fromTransition } from 'xstate';
import { brokerMachine } from '../src/actors/broker/broker.machine.ts';
import type { Delivery } from '../src/actors/broker/messages.ts';
import { requestMessage } from '../src/actors/request/messages.ts';
import { type BrokerPort, requestLogic } from '../src/actors/request/request.logic.ts';
import { loadConfig } from '../src/config/load-config.ts';
import { relayReplyRouting, relayTopology } from '../src/actors/topology.ts';
import { bodyOfFields } from '../src/requests/client-body.ts';

/**
 * CPU cost of the actors alone, no I/O: a request actor's life with a broker that answers at once,
 * and the broker machine's share (publish, confirm, reply) with a session that does nothing.
 * Usage: node --import tsx bench/actor-cost.ts [requests]
 */
const count = Number(process.argv[2] ?? 50_000);
const config = loadConfig({ RELAY_INSTANCE_ID: 'cost' });
const delivery = (id: string): Delivery => ({
  channel: 'ai', queue: config.queues.reply, generation: 1, channelEpoch: 0, deliveryTag: 1, redelivered: false, content: Buffer.from('{"ok":true}'),
  correlationId: id, replyTo: undefined, messageId: id, type: undefined, headers: {}, expiration: undefined, timestamp: undefined,
});

function measure(label: string, fn: (i: number) => void): void {
  for (let i = 0; i < 2_000; i++) fn(i);
  const t0 = process.cpuUsage();
  for (let i = 0; i < count; i++) fn(i);
  const t = process.cpuUsage(t0);
  process.stdout.write(`${label.padEnd(52)} ${((t.user + t.system) / count).toFixed(1)} µs\n`);
}

const inertBroker: BrokerPort = { publish: () => {}, cancel: () => {} };
const requestInput = (id: string) => ({
  correlationId: id, kind: 'recipe_analysis' as const, message: requestMessage(config, 'recipe_analysis', id, bodyOfFields({ recipe_text: 'x' }), 1e12, undefined),
  broker: inertBroker, acceptedAt: 0, deadlineAt: 1e12, replyOptional: false,
});
const lifeOf = (actor: ReturnType<typeof createActor<typeof requestLogic>>, id: string) => {
  actor.start();
  actor.send({ type: 'broker.confirmed', id });
  actor.send({ type: 'broker.reply', id, delivery: delivery(id) });
};
measure('request actor (own system): create, start, confirm, reply', (i) => {
  const id = `cost.${i}`;
  lifeOf(createActor(requestLogic, { input: requestInput(id) }), id);
});
const root = createActor(fromTransition((s: null) => s, null)).start();
measure('request actor (relay system): create, start, confirm, reply', (i) => {
  const id = `cost.s${i}`;
  lifeOf(createActor(requestLogic, { parent: root, input: requestInput(id) }), id);
});

const broker = createActor(brokerMachine.provide({ actors: { amqpSession: fromCallback(() => {}) as never } }), {
  input: {
    urls: ['amqp://x'], heartbeatSeconds: 10, topology: relayTopology(config), reconnect: { baseMs: 100, maxMs: 1000 },
    maxBuffered: 10_000, connectionName: 'cost', logger: pino({ level: 'silent' }), replies: relayReplyRouting(config),
  },
}).start();
broker.send({ type: 'amqp.ready', host: 'x', urlIndex: 0, generation: 1 });
const message = requestMessage(config, 'recipe_analysis', 'cost.m', bodyOfFields({ recipe_text: 'x' }), 1e12, undefined);
measure('broker machine: publish, confirm, reply (no notify)', (i) => {
  const id = `cost.b${i}`;
  broker.send({ type: 'broker.publish', message: { ...message, id }, expectReply: true });
  broker.send({ type: 'amqp.confirmed', ids: [id] });
  broker.send({ type: 'amqp.deliveries', deliveries: [delivery(id)] });
});
measure('requestMessage()', (i) => void requestMessage(config, 'recipe_analysis', `cost.${i}`, bodyOfFields({ recipe_text: 'x' }), 1e12, undefined));
