import amqp, { type Channel, type ChannelModel, type ConsumeMessage } from 'amqplib';

/**
 * A worker that holds every request it receives and answers none until told to: it keeps requests
 * in flight on purpose. On release it echoes each body back to its replyTo, then acks them all.
 */
export interface HoldingWorker {
  readonly held: number;
  /** Answers everything held so far; resolves once the replies are written. */
  release(): Promise<number>;
  stop(): Promise<void>;
}

export async function startHoldingWorker(url: string, queue: string): Promise<HoldingWorker> {
  const connection: ChannelModel = await amqp.connect(url, { noDelay: true });
  connection.on('error', () => {});
  const channel: Channel = await connection.createChannel();
  await channel.assertQueue(queue, { durable: true });
  await channel.prefetch(0); // unlimited: everything must be able to arrive before the first reply
  let held: ConsumeMessage[] = [];
  await channel.consume(queue, (msg) => {
    if (msg) held.push(msg);
  });
  return {
    get held() {
      return held.length;
    },
    release: async () => {
      const batch = held;
      held = [];
      for (const msg of batch) {
        const { replyTo, correlationId } = msg.properties;
        if (replyTo) channel.sendToQueue(replyTo, msg.content, { correlationId, contentType: 'application/json' });
      }
      const last = batch.at(-1);
      if (last) channel.ack(last, true);
      // A round trip: the broker has every reply and ack before this resolves.
      await channel.checkQueue(queue);
      return batch.length;
    },
    stop: async () => {
      await connection.close().catch(() => {});
    },
  };
}

/** As a child process: prints `holding <n>` as requests arrive, answers them on a `release` line. */
if (process.argv[2] === '--serve') {
  const [url = '', queue = ''] = process.argv.slice(3);
  const worker = await startHoldingWorker(url, queue);
  let reported = -1;
  setInterval(() => {
    if (worker.held !== reported) process.stdout.write(`holding ${(reported = worker.held)}\n`);
  }, 20);
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (chunk: string) => {
    if (chunk.includes('release')) void worker.release().then((n) => process.stdout.write(`released ${n}\n`));
  });
  process.stdin.on('end', () => process.exit(0));
  process.stdout.write('ready\n');
}
