import type { AnyStateNode } from 'xstate';

/** One transition of a statechart as the live page draws it: every event between the same two states, merged. */
interface StatechartEdge {
  readonly source: string;
  readonly target: string;
  readonly events: readonly string[];
}

/** A state of a statechart, with its children (empty for an atomic or final state). */
export interface StatechartNode {
  readonly id: string;
  readonly key: string;
  readonly type: 'atomic' | 'compound' | 'parallel' | 'final' | 'history';
  readonly initial: string | null;
  readonly children: readonly StatechartNode[];
}

/** What the live page needs to draw a machine: its states and the transitions that change state. */
export interface StatechartDescription {
  readonly root: StatechartNode;
  readonly edges: readonly StatechartEdge[];
}

/** `xstate.after.reconnectDelay.broker.reconnecting` → `after reconnectDelay`. */
function eventLabel(eventType: string): string {
  const after = /^xstate\.after\.([^.]+)\./.exec(eventType);
  if (after) return `after ${after[1]}`;
  if (eventType.startsWith('xstate.done.state.')) return 'done';
  return eventType;
}

function describeNode(node: AnyStateNode, edges: Map<string, { source: string; target: string; events: string[] }>): StatechartNode {
  for (const transitions of node.transitions.values()) {
    for (const t of transitions) {
      for (const target of t.target ?? []) {
        if (target.id === node.id && !t.reenter) continue;
        const key = `${node.id}>${target.id}`;
        const edge = edges.get(key) ?? { source: node.id, target: target.id, events: [] };
        const label = eventLabel(String(t.eventType));
        if (!edge.events.includes(label)) edge.events.push(label);
        edges.set(key, edge);
      }
    }
  }
  const initial = node.initial.target[0]?.id ?? null;
  return {
    id: node.id,
    key: node.key,
    type: node.type,
    initial,
    children: Object.values(node.states).map((child) => describeNode(child as AnyStateNode, edges)),
  };
}

/**
 * The statechart of a machine, read from its own definition (`machine.root`): a state or
 * transition added to the machine appears on the live page without touching the page.
 * Transitions without a target (actions only) change no state and are left out.
 */
export function describeStatechart(root: AnyStateNode): StatechartDescription {
  const edges = new Map<string, { source: string; target: string; events: string[] }>();
  const described = describeNode(root, edges);
  return { root: described, edges: [...edges.values()] };
}
