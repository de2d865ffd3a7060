import type { ParameterizedContext } from 'koa';

/** What middleware leaves on ctx.state for the routes and the request log. */
export interface RelayState {
  correlationId: string;
  /** The route template, for logs and metric labels (set by labelRoute in app.ts; unset for unknown paths). */
  route?: string;
  /** The error code of a failed request, for logs and metric labels. */
  errorCode?: string;
}

export type RelayContext = ParameterizedContext<RelayState>;
