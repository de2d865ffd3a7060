import type { AnyStateMachine } from 'xstate';

type CustomAction = (args: { event?: unknown }, params: unknown) => void;

/**
 * XState 5.33 calls each custom action with an arguments object that holds the event, and that
 * object stays reachable after the step: an event the action handled (a burst of publishes, of
 * confirms, of deliveries), with everything it reaches, then survives scavenges and is promoted to
 * the old generation. Emptying the object's `event` once the action has run lets it die young
 * (docs/performance.md, "Garbage collection"). Nothing reads it afterwards: XState builds a new
 * arguments object for every action it runs.
 */
function releasingEvent(action: CustomAction): CustomAction {
  return (args, params) => {
    try {
      action(args, params);
    } finally {
      args.event = undefined;
    }
  };
}

/** The machine with each of its custom actions wrapped by releasingEvent (built-ins such as `assign` are left as they are). */
export function releaseEventsAfterActions<M extends AnyStateMachine>(machine: M): M {
  const actions = Object.entries(machine.implementations.actions as Record<string, unknown>)
    .filter((entry): entry is [string, CustomAction] => typeof entry[1] === 'function' && !('resolve' in entry[1]))
    .map(([name, action]) => [name, releasingEvent(action)]);
  return machine.provide({ actions: Object.fromEntries(actions) as never }) as M;
}
