/**
 * XState 5's actor system puts every actor it starts into a Map by session id, deletes it when the
 * actor stops, and never reads that Map (xstate 5.33: `system._register`; the system finds actors
 * by systemId, through another map that `_register` does not touch). For the relay that is one set
 * and one delete per request, and a churning Map keeps its old values alive across scavenges (see
 * releasing-map.ts): every request actor, with its message and its reply, reached the old
 * generation. This makes the system skip that Map. Returns false, changing nothing, when the system
 * does not have the shape this was written for (a test fails then, on an XState upgrade).
 */
export function skipSessionRegistry(system: unknown): boolean {
  const internals = system as { _register?: unknown; _unregister?: unknown; get?: unknown } | null;
  if (typeof internals?._register !== 'function' || typeof internals._unregister !== 'function' || typeof internals.get !== 'function') return false;
  if (internals._register.length !== 2) return false;
  internals._register = (sessionId: string) => sessionId;
  return true;
}
