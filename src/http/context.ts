import type { ParameterizedContext } from 'koa';
import type { TracedRequest } from '../telemetry.ts';

/** What the edge middleware leaves on ctx.state for the routes. */
export interface RelayState {
  /** Minted once per HTTP request: the AMQP correlationId of its message, if it sends one. */
  correlationId: string;
  /** When the request was accepted (epoch ms): its deadline counts from here. */
  acceptedAt: number;
  /** The route template, for logs and metric labels (unset for unknown paths). */
  route?: string;
  /** The error code of a failed request, for logs and metric labels. */
  errorCode?: string;
  /** The request's span (OTEL_ENABLED, POST /api/ routes). */
  trace?: TracedRequest;
}

export type RelayContext = ParameterizedContext<RelayState>;
