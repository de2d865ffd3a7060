import { JSON_NULL } from '../requests/json-text.ts';

/**
 * What Stately's WebSocket inspector is sent of the clients' and workers' payloads
 * (XSTATE_INSPECT_BODIES). Bodies travel in three places:
 *
 * - `content`: an AMQP message being published (a request, a worker's reply, a forward) or a
 *   delivery (a reply), as a Buffer, or as `{ type: 'Buffer', data: [...] }` once the inspector
 *   has copied a snapshot through JSON;
 * - `reply` of a request's outcome `{ ok: true, reply }` (its output, and the done event its
 *   parent receives): the worker's JSON text;
 * - `message` of a `WORKER_ERROR` outcome: taken from the worker's reply.
 *
 * Without bodies each becomes a marker that says what was left out; with bodies, `content` is
 * shown as UTF-8 text (a byte array would hide it). The walk copies what it changes and nothing
 * else: the actors' own events and snapshots are never touched. It is idempotent (the inspector
 * serializes the events it held back while disconnected a second time).
 */

const LEFT_OUT = 'XSTATE_INSPECT_BODIES=false]';

/** Deeper than the inspector's own serialization (10 levels) ever reaches. */
const MAX_DEPTH = 16;

export function bodyMarker(bytes: number): string {
  return `[body: ${bytes} bytes, ${LEFT_OUT}`;
}

function isMarker(value: unknown): boolean {
  return typeof value === 'string' && value.startsWith('[body: ') && value.endsWith(LEFT_OUT);
}

function isPlainObject(value: object): value is Record<string, unknown> {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** The bytes of a Buffer, or of a Buffer as JSON.stringify renders it. */
function bytesOf(value: unknown): Uint8Array | undefined {
  if (value instanceof Uint8Array) return value;
  if (value !== null && typeof value === 'object' && isPlainObject(value) && value.type === 'Buffer' && Array.isArray(value.data)) {
    return Uint8Array.from(value.data as number[]);
  }
  return undefined;
}

function jsonBytes(value: unknown): number {
  const json = JSON.stringify(value) as string | undefined;
  return json === undefined ? 0 : Buffer.byteLength(json);
}

function inspectableField(owner: Record<string, unknown>, key: string, value: unknown, bodies: boolean, depth: number): unknown {
  if (key === 'content') {
    const bytes = bytesOf(value);
    if (bytes) return bodies ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8') : bodyMarker(bytes.byteLength);
  }
  if (!bodies && !isMarker(value)) {
    if (key === 'reply' && owner.ok === true && typeof value === 'string' && value !== JSON_NULL) return bodyMarker(Buffer.byteLength(value));
    if (key === 'message' && owner.ok === false && owner.code === 'WORKER_ERROR') return bodyMarker(jsonBytes(value));
  }
  return inspectable(value, bodies, depth + 1);
}

/**
 * `value` as the inspector may see it: payloads replaced by markers (`bodies` false) or shown as
 * text (`bodies` true). Only plain objects and arrays are walked; actor refs, Maps and other
 * instances are passed as they are. Returns `value` itself when nothing had to change.
 */
export function inspectable<T>(value: T, bodies: boolean, depth = 0): T {
  if (value === null || typeof value !== 'object' || depth > MAX_DEPTH) return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    value.forEach((item: unknown, i) => {
      const next = inspectable(item, bodies, depth + 1);
      if (next !== item) (copy ??= [...(value as unknown[])])[i] = next;
    });
    return (copy ?? value) as T;
  }
  if (!isPlainObject(value)) return value;
  let copy: Record<string, unknown> | undefined;
  for (const [key, field] of Object.entries(value)) {
    const next = inspectableField(value, key, field, bodies, depth);
    if (next !== field) (copy ??= { ...value })[key] = next;
  }
  return (copy ?? value) as T;
}

/** An AMQP message (OutboundMessage) in a context: plain data worth showing, once its body is handled. */
function isMessage(value: object): boolean {
  const message = value as { content?: unknown; routingKey?: unknown };
  return bytesOf(message.content) !== undefined && typeof message.routingKey === 'string';
}

/**
 * A context as the inspector may see it: its primitive fields, and a request's AMQP message.
 * Everything else is left out: actor refs, loggers and buffers, and the broker's URLs and TLS
 * material (they hold secrets).
 */
export function inspectableContext(context: unknown): Record<string, unknown> {
  const shown: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(context ?? {}) as [string, unknown][]) {
    if (value === null || typeof value !== 'object' || isMessage(value)) shown[key] = value;
  }
  return shown;
}
