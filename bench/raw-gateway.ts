import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import amqp, { type Channel, type ConfirmChannel, type ConsumeMessage } from 'amqplib';
import { exitWithParent } from './lifeline.ts';

/**
 * The reference the relay is measured against: the smallest sensible HTTP → AMQP RPC gateway,
 * written straight on amqplib. node:http, one channel, one shared reply queue per route family,
 * a Map of correlation ids. Same wire properties as the relay (persistent, mandatory, expiration).
 * Usage: tsx bench/raw-gateway.ts <amqpUrl> <port> <confirm|plain> <recipeQueue> <crawlRequestQueue> <crawlResponseQueue>
 */
const [url, portArg, mode, recipeQueue, crawlQueue, crawlResponseQueue] = process.argv.slice(2) as [string, string, string, string, string, string];
const confirms = mode === 'confirm';
const DEADLINE_MS = 30_000;
const instance = `raw-${process.pid}`;

interface Waiting {
  readonly res: ServerResponse;
  readonly timer: NodeJS.Timeout;
}

exitWithParent();
const connection = await amqp.connect(url, { noDelay: true });
connection.on('error', () => {});
connection.on('close', () => process.exit(0));
const channel: Channel | ConfirmChannel = confirms ? await connection.createConfirmChannel() : await connection.createChannel();
await channel.prefetch(1_000);
const replyQueue = `amqp-relay-bench.raw.reply.${instance}`;
await channel.assertQueue(replyQueue, { durable: false, arguments: { 'x-expires': 60_000 } });
for (const q of [recipeQueue, crawlQueue, crawlResponseQueue]) await channel.assertQueue(q, { durable: true });

const waiting = new Map<string, Waiting>();
let unacked: ConsumeMessage | undefined;
let ackScheduled = false;
const flushAcks = () => {
  ackScheduled = false;
  if (unacked) channel.ack(unacked, true);
  unacked = undefined;
};

const answer = (res: ServerResponse, status: number, body: string | Buffer) => {
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
};

const onReply = (msg: ConsumeMessage | null) => {
  if (!msg) return;
  unacked = msg;
  if (!ackScheduled) {
    ackScheduled = true;
    setImmediate(flushAcks);
  }
  const id = msg.properties.correlationId as string | undefined;
  const entry = id === undefined ? undefined : waiting.get(id);
  if (!entry) return;
  waiting.delete(id!);
  clearTimeout(entry.timer);
  try {
    JSON.parse(msg.content.toString('utf8'));
  } catch {
    answer(entry.res, 502, '{"error":{"code":"BAD_REPLY"}}');
    return;
  }
  answer(entry.res, 200, msg.content);
};
await channel.consume(replyQueue, onReply);
await channel.consume(crawlResponseQueue, onReply);
channel.on('return', (msg: ConsumeMessage) => {
  const id = msg.properties.correlationId as string;
  const entry = waiting.get(id);
  if (!entry) return;
  waiting.delete(id);
  clearTimeout(entry.timer);
  answer(entry.res, 503, '{"error":{"code":"NO_ROUTE"}}');
});

const expire = (id: string) => {
  const entry = waiting.get(id);
  if (!entry) return;
  waiting.delete(id);
  answer(entry.res, 504, '{"error":{"code":"TIMEOUT"}}');
};

const publish = (res: ServerResponse, queue: string, replyTo: string, type: string, payload: unknown) => {
  const id = `${instance}.${randomUUID()}`;
  // Registered before publishing: a reply may beat the confirm.
  waiting.set(id, { res, timer: setTimeout(expire, DEADLINE_MS, id) });
  const properties = {
    correlationId: id,
    messageId: id,
    replyTo,
    contentType: 'application/json',
    type,
    appId: 'raw-gateway',
    timestamp: Math.floor(Date.now() / 1000),
    deliveryMode: 2,
    expiration: String(DEADLINE_MS),
    mandatory: true,
  };
  const content = Buffer.from(JSON.stringify(payload));
  if (confirms) {
    (channel as ConfirmChannel).publish('', queue, content, properties, (err: unknown) => {
      if (!err) return;
      const entry = waiting.get(id);
      if (!entry) return;
      waiting.delete(id);
      clearTimeout(entry.timer);
      answer(entry.res, 503, '{"error":{"code":"BROKER_UNAVAILABLE"}}');
    });
  } else {
    channel.publish('', queue, content, properties);
  }
};

const handle = (req: IncomingMessage, res: ServerResponse, raw: string) => {
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(raw) as Record<string, unknown>;
  } catch {
    answer(res, 400, '{"error":{"code":"INVALID_REQUEST"}}');
    return;
  }
  if (req.url === '/api/ai/recipe' && typeof body.recipe_text === 'string' && body.recipe_text !== '') {
    publish(res, recipeQueue, replyQueue, 'recipe_analysis', { type: 'recipe_analysis', recipe_text: body.recipe_text });
  } else if (req.url === '/api/crawl' && typeof body.url === 'string') {
    publish(res, crawlQueue, crawlResponseQueue, 'crawl', body);
  } else {
    answer(res, 400, '{"error":{"code":"INVALID_REQUEST"}}');
  }
};

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => handle(req, res, Buffer.concat(chunks).toString('utf8')));
});
server.keepAliveTimeout = 65_000;
server.listen(Number(portArg), '127.0.0.1', () => process.stdout.write('ready\n'));
