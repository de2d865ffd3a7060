import type { InspectionEvent } from 'xstate';
import { redactUrl } from '../config/load-config.ts';
import type { Logger } from '../log.ts';
import { brokerMachine } from './broker/broker.machine.ts';
import { inspectable, inspectableContext } from './inspect-sanitise.ts';
import { LiveInspectionHub } from './live-inspection.ts';
import { describeStatechart } from './live-statechart.ts';

export { LiveInspectionHub } from './live-inspection.ts';

export type InspectionObserver = (e: InspectionEvent) => void;

export interface Inspection {
  /** Pass to createActor({ inspect }); undefined when everything is off (no cost on the hot path). */
  readonly inspect: InspectionObserver | undefined;
  /** The live page's feed, with XSTATE_INSPECT=live. */
  readonly live: LiveInspectionHub | undefined;
  stop(): void;
}

export interface InspectionOptions {
  /** OTEL_ENABLED: request actors' events for their request's span (RequestTracing.observe). */
  readonly tracing?: InspectionObserver | undefined;
  /** XSTATE_INSPECT_BODIES: Stately's inspector also gets the clients' and workers' payloads. */
  readonly bodies?: boolean;
}

/** One observer that hands every inspection event to each sink; none at all when there is no sink. */
export function composeObservers(sinks: readonly InspectionObserver[]): InspectionObserver | undefined {
  if (sinks.length === 0) return undefined;
  if (sinks.length === 1) return sinks[0];
  return (e) => {
    for (const sink of sinks) sink(e);
  };
}

/**
 * XState calls inspection observers inside the actor's own step: one that throws would fail the
 * actor it watches (the broker itself). A failing observer is logged, once, and never propagates.
 */
function shielded(observer: InspectionObserver | undefined, logger: Logger): InspectionObserver | undefined {
  if (!observer) return undefined;
  let reported = false;
  return (e) => {
    try {
      observer(e);
    } catch (err) {
      if (!reported) logger.error({ err }, 'an inspection observer failed; its events are skipped');
      reported = true;
    }
  };
}

/** The only inspection events Stately's inspector shows (it drops the others, after a timer each). */
const SHOWN = new Set(['@xstate.actor', '@xstate.event', '@xstate.snapshot']);

/**
 * Stately's WebSocket inspector. It copies and serializes each event on a later turn, never in the
 * actor's step; payloads are replaced there, on its copy (see inspect-sanitise.ts).
 */
async function webSocketInspector(url: string, bodies: boolean, stops: (() => void)[]): Promise<InspectionObserver> {
  const { createWebSocketInspector } = await import('@statelyai/inspect');
  const inspector = createWebSocketInspector({
    url,
    sanitizeContext: inspectableContext,
    serialize: (event) => inspectable(event, bodies),
  });
  stops.push(() => inspector.stop());
  return (e) => {
    if (SHOWN.has(e.type)) inspector.inspect.next?.(e);
  };
}

/**
 * The one inspection observer every actor is created with. XSTATE_INSPECT: `off`, `live` (the
 * built-in page), or a ws:// URL of Stately's WebSocket inspector; with `tracing`, request
 * actors' steps also become events on their request's OpenTelemetry span.
 */
export async function createInspection(target: string, logger: Logger, options: InspectionOptions = {}): Promise<Inspection> {
  const sinks: InspectionObserver[] = [];
  const stops: (() => void)[] = [];
  let live: LiveInspectionHub | undefined;
  if (target === 'live') {
    live = new LiveInspectionHub({ statechart: describeStatechart(brokerMachine.root) });
    sinks.push(live.observe);
    logger.info('live XState inspector at /debug/inspector');
  } else if (target !== 'off') {
    const bodies = options.bodies ?? false;
    sinks.push(await webSocketInspector(target, bodies, stops));
    logger.info({ target: redactUrl(target), bodies }, 'XState inspection events go to a WebSocket inspector');
  }
  if (options.tracing) {
    sinks.push(options.tracing);
    logger.info('OpenTelemetry: one span per API request');
  }
  return { inspect: shielded(composeObservers(sinks), logger), live, stop: () => stops.forEach((stop) => stop()) };
}
