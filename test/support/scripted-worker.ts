import amqp, { type Channel, type ChannelModel, type ConfirmChannel, type ConsumeMessage } from 'amqplib';

/** What a scripted worker does with one request. */
export type Script =
  | { readonly kind: 'reply'; readonly body: unknown }
  | { readonly kind: 'error'; readonly message: string }
  | { readonly kind: 'raw'; readonly content: Buffer; readonly headers?: Record<string, unknown> }
  | { readonly kind: 'duplicate'; readonly first: unknown; readonly second: unknown }
  | { readonly kind: 'silent' };

export interface ScriptedWorker {
  readonly received: ConsumeMessage[];
  stop(): Promise<void>;
}

/**
 * A test double of a back-end service, written straight on amqplib: it consumes `queue` and
 * answers each request as `script` says (by default, echoes the body back with its type).
 */
export async function startScriptedWorker(
  url: string,
  queue: string,
  script: (request: { body: any; message: ConsumeMessage }) => Script = ({ body, message }) => ({ kind: 'reply', body: { echo: body, type: message.properties.type } }),
): Promise<ScriptedWorker> {
  const connection: ChannelModel = await amqp.connect(url, { noDelay: true });
  const channel: Channel = await connection.createChannel();
  await channel.assertQueue(queue, { durable: true });
  await channel.prefetch(100);
  const received: ConsumeMessage[] = [];
  const reply = (message: ConsumeMessage, content: Buffer, headers: Record<string, unknown> = {}) => {
    const replyTo = message.properties.replyTo as string | undefined;
    if (!replyTo) return;
    channel.sendToQueue(replyTo, content, { correlationId: message.properties.correlationId, contentType: 'application/json', headers });
  };
  await channel.consume(queue, (message) => {
    if (!message) return;
    received.push(message);
    let body: unknown;
    try {
      body = JSON.parse(message.content.toString());
    } catch {
      body = undefined;
    }
    const action = script({ body, message });
    switch (action.kind) {
      case 'reply':
        reply(message, Buffer.from(JSON.stringify(action.body)));
        break;
      case 'error':
        reply(message, Buffer.from(JSON.stringify({ message: action.message })), { 'x-status': 'error' });
        break;
      case 'raw':
        reply(message, action.content, action.headers);
        break;
      case 'duplicate':
        reply(message, Buffer.from(JSON.stringify(action.first)));
        reply(message, Buffer.from(JSON.stringify(action.second)));
        break;
      case 'silent':
        break;
    }
    channel.ack(message);
  });
  return {
    received,
    stop: async () => {
      await connection.close().catch(() => {});
    },
  };
}

/**
 * A raw confirm channel for tests that publish or inspect directly. Whatever `use` published is
 * confirmed before the connection closes, so no test message is lost on the way out.
 */
export async function withChannel<T>(url: string, use: (channel: ConfirmChannel) => Promise<T>): Promise<T> {
  const connection = await amqp.connect(url);
  try {
    const channel = await connection.createConfirmChannel();
    const result = await use(channel);
    await channel.waitForConfirms();
    return result;
  } finally {
    await connection.close().catch(() => {});
  }
}

export async function deleteQueues(url: string, queues: Iterable<string>): Promise<void> {
  await withChannel(url, async (channel) => {
    for (const queue of queues) await channel.deleteQueue(queue).catch(() => {});
  });
}
