import { randomUUID } from 'node:crypto';
import type { Config } from '../../config/index.ts';
import type { OutboundMessage } from '../broker/types.ts';
import { AI_CHANNEL, CRAWL_CHANNEL } from '../topology.ts';
import type { RequestKind } from './outcome.ts';

export interface TraceHeaders {
  readonly traceparent: string;
  readonly tracestate?: string;
}

export function newCorrelationId(instanceId: string): string {
  return `${instanceId}.${randomUUID()}`;
}

const APP_ID = 'amqp-relay';

/** The AMQP message for a request, as the wire contract describes it. */
export function requestMessage(
  config: Config,
  kind: RequestKind,
  correlationId: string,
  body: Readonly<Record<string, unknown>>,
  deadlineAt: number,
  trace: TraceHeaders | undefined,
): OutboundMessage {
  const { queues } = config;
  const isCrawl = kind === 'crawl' || kind === 'ping';
  const routingKey = kind === 'recipe_analysis' ? queues.recipe : kind === 'image_analysis' ? queues.image : queues.crawlRequest;
  const payload = kind === 'crawl' ? body : { type: kind, ...body };
  const headers: Record<string, unknown> = {};
  if (trace) {
    headers.traceparent = trace.traceparent;
    if (trace.tracestate) headers.tracestate = trace.tracestate;
  }
  return {
    id: correlationId,
    channel: isCrawl ? CRAWL_CHANNEL : AI_CHANNEL,
    exchange: '',
    routingKey,
    content: Buffer.from(JSON.stringify(payload)),
    mandatory: true,
    deadlineAt,
    properties: {
      correlationId,
      messageId: correlationId,
      replyTo: isCrawl ? queues.crawlResponse : queues.reply,
      contentType: 'application/json',
      type: kind,
      appId: APP_ID,
      timestamp: Math.floor(Date.now() / 1000),
      deliveryMode: 2,
      headers,
    },
  };
}
