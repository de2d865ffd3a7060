import type { InspectionEvent, Observer } from 'xstate';
import type { Logger } from '../log.ts';

/** One line of the live inspector's event stream. Never raw context: it holds actor refs. */
export interface InspectionLine {
  readonly at: number;
  readonly kind: 'actor' | 'event' | 'snapshot';
  readonly actor: string;
  readonly machine: string | undefined;
  readonly event?: string;
  readonly status?: string;
  readonly value?: unknown;
}

type Listener = (line: InspectionLine) => void;

/** Fans inspection events out to the live page's subscribers; costs nothing while nobody listens. */
export class LiveInspectionHub {
  private readonly listeners = new Set<Listener>();

  get subscribers(): number {
    return this.listeners.size;
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  readonly observe = (e: InspectionEvent): void => {
    if (this.listeners.size === 0) return;
    if (e.type !== '@xstate.actor' && e.type !== '@xstate.event' && e.type !== '@xstate.snapshot') return;
    const ref = e.actorRef as { sessionId: string; id?: string; logic?: { id?: string }; src?: unknown };
    const line: InspectionLine = {
      at: Date.now(),
      kind: e.type === '@xstate.actor' ? 'actor' : e.type === '@xstate.event' ? 'event' : 'snapshot',
      actor: ref.sessionId,
      machine: typeof ref.logic?.id === 'string' ? ref.logic.id : ref.id,
      ...(e.type === '@xstate.event' ? { event: e.event.type } : {}),
      ...(e.type === '@xstate.snapshot'
        ? { event: e.event.type, status: (e.snapshot as { status?: string }).status, value: (e.snapshot as { value?: unknown }).value }
        : {}),
    };
    for (const listener of this.listeners) listener(line);
  };
}

export interface Inspection {
  /** Pass to createActor({ inspect }); undefined when inspection is off (no cost on the hot path). */
  readonly inspect: Observer<InspectionEvent> | ((e: InspectionEvent) => void) | undefined;
  readonly live: LiveInspectionHub | undefined;
  stop(): void;
}

/** XSTATE_INSPECT: off, live (the built-in page), or a ws:// URL of Stately's WebSocket inspector. */
export async function createInspection(target: string, logger: Logger): Promise<Inspection> {
  if (target === 'off') return { inspect: undefined, live: undefined, stop: () => {} };
  if (target === 'live') {
    const live = new LiveInspectionHub();
    logger.info('live XState inspector at /debug/inspector');
    return { inspect: live.observe, live, stop: () => {} };
  }
  const { createWebSocketInspector } = await import('@statelyai/inspect');
  const inspector = createWebSocketInspector({ url: target });
  logger.info({ target }, 'XState inspection events go to a WebSocket inspector');
  return { inspect: inspector.inspect, live: undefined, stop: () => inspector.stop() };
}
