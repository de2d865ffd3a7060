import type { Config } from '../config/load-config.ts';
import type { Service } from '../requests/kinds.ts';
import type { ChannelSpec, QueueSpec, Topology } from './broker/messages.ts';
import type { ReplyRouting } from './broker/routing.ts';

/** Channel names: crawling and AI traffic never share a channel (as in the original service). */
const CRAWL_CHANNEL = 'crawl';
const AI_CHANNEL = 'ai';

export function channelOf(service: Service): string {
  return service === 'crawling' ? CRAWL_CHANNEL : AI_CHANNEL;
}

/** A request or response queue as the relay and the workers declare it: durable, quorum on demand. */
export function requestQueue(name: string, config: Config): QueueSpec {
  return {
    name,
    durable: true,
    declare: config.amqp.declareQueues,
    ...(config.amqp.queueType === 'quorum' ? { arguments: { 'x-queue-type': 'quorum' } } : {}),
  };
}

function unique(queues: QueueSpec[]): QueueSpec[] {
  const seen = new Set<string>();
  return queues.filter((q) => !seen.has(q.name) && seen.add(q.name));
}

/** What the relay declares and consumes on each connection. */
export function relayTopology(config: Config): Topology {
  const { queues } = config;
  const reopenAfterNacks = config.amqp.queueType === 'quorum';
  const crawl: ChannelSpec = {
    name: CRAWL_CHANNEL,
    prefetch: 1_000,
    reopenAfterNacks,
    queues: unique([requestQueue(queues.crawlRequest, config), requestQueue(queues.crawlResponse, config)]),
    consume: [queues.crawlResponse],
  };
  const ai: ChannelSpec = {
    name: AI_CHANNEL,
    prefetch: 1_000,
    reopenAfterNacks,
    queues: unique([
      requestQueue(queues.recipe, config),
      requestQueue(queues.image, config),
      // One reply queue per instance: it outlives a connection drop, and the broker removes it
      // once no relay has used it for x-expires. Durable, so that replies also outlive a broker restart.
      // On a cluster (quorum) it is a quorum queue too: a durable classic queue whose node is down
      // cannot be declared on any other node (404), and the relay could not fail over.
      {
        name: queues.reply,
        durable: true,
        declare: true,
        arguments: {
          'x-expires': config.amqp.replyQueueExpiresMs,
          ...(config.amqp.queueType === 'quorum' ? { 'x-queue-type': 'quorum' } : {}),
        },
      },
    ]),
    consume: [queues.reply],
  };
  return { channels: [crawl, ai] };
}

export function relayReplyRouting(config: Config, answerLookup?: ReplyRouting['answerLookup']): ReplyRouting {
  return {
    instanceId: config.instanceId,
    queues: [config.queues.reply, config.queues.crawlResponse],
    forwardChannel: AI_CHANNEL,
    ...(answerLookup ? { answerLookup } : {}),
  };
}
