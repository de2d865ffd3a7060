import type { Config } from '../../config/load-config.ts';
import type { ClientBody } from '../../requests/client-body.ts';
import { REQUEST_KINDS, type RequestKind } from '../../requests/kinds.ts';
import type { OutboundMessage } from '../broker/messages.ts';
import { channelOf } from '../topology.ts';

export interface TraceHeaders {
  readonly traceparent: string;
  readonly tracestate?: string;
}

const APP_ID = 'amqp-relay';

/** The AMQP message for a request, as the wire contract describes it. */
export function requestMessage(
  config: Config,
  kind: RequestKind,
  correlationId: string,
  body: ClientBody,
  deadlineAt: number,
  trace: TraceHeaders | undefined,
): OutboundMessage {
  const spec = REQUEST_KINDS[kind];
  const headers: Record<string, unknown> = {};
  if (trace) {
    headers.traceparent = trace.traceparent;
    if (trace.tracestate) headers.tracestate = trace.tracestate;
  }
  return {
    id: correlationId,
    channel: channelOf(spec.service),
    exchange: '',
    routingKey: spec.queue(config.queues),
    content: spec.wireBody(body),
    mandatory: true,
    deadlineAt,
    properties: {
      correlationId,
      messageId: correlationId,
      replyTo: spec.service === 'crawling' ? config.queues.crawlResponse : config.queues.reply,
      contentType: 'application/json',
      type: kind,
      appId: APP_ID,
      timestamp: Math.floor(Date.now() / 1000),
      deliveryMode: 2,
      headers,
    },
  };
}
