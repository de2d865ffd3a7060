import { createWebSocketInspector, createWebSocketReceiver } from '@statelyai/inspect';
import { createInspectorServer } from '@statelyai/inspect/server';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../support/ports.ts';
import { postJson, type RunningRelay, startRelay, uniqueQueues, waitFor } from '../support/relay-harness.ts';
import { deleteQueues, type ScriptedWorker, startScriptedWorker } from '../support/scripted-worker.ts';

/**
 * XSTATE_INSPECT=ws://… end to end, with @statelyai/inspect's own pieces on the other side: the
 * server README.md tells operators to run (scripts/inspector-server.ts starts the same one) and
 * its WebSocket receiver, which sees every event the relay sends through that server.
 */

/** An inspection event as Stately's inspector sends it (only the fields these tests read). */
interface Received {
  readonly type: '@xstate.actor' | '@xstate.event' | '@xstate.snapshot';
  readonly sessionId: string;
  readonly name?: string;
  readonly event?: { readonly type: string; readonly [key: string]: unknown };
  readonly snapshot?: { readonly status: string; readonly value: unknown; readonly context?: Record<string, any>; readonly output?: any };
}

interface InspectorEnd {
  readonly url: string;
  /** Every event received so far, as it came (JSON text) and parsed. */
  readonly frames: string[];
  readonly events: Received[];
  stop(): void;
}

async function startInspectorEnd(): Promise<InspectorEnd> {
  const port = await freePort();
  const server = createInspectorServer({ port, autoOpen: false });
  await waitFor(() => fetch(`http://127.0.0.1:${port}/`).then((r) => r.ok, () => false), 5_000, 'the inspector server to listen');
  const frames: string[] = [];
  const events: Received[] = [];
  createWebSocketReceiver({ server: `ws://127.0.0.1:${port}` }).subscribe((event) => {
    frames.push(JSON.stringify(event));
    events.push(event as unknown as Received);
  });
  // The receiver does not say when it is connected: an event from a probe arriving through the server does.
  const probe = createWebSocketInspector({ url: `ws://127.0.0.1:${port}` });
  probe.actor('probe');
  await waitFor(() => events.some((e) => e.sessionId === 'probe'), 5_000, 'the receiver to connect');
  probe.stop();
  return { url: `ws://127.0.0.1:${port}`, frames, events, stop: () => server.stop() };
}

const sessionOf = (end: InspectorEnd, match: (e: Received) => boolean) => end.events.find((e) => e.type === '@xstate.actor' && match(e))?.sessionId;
const snapshotsOf = (end: InspectorEnd, sessionId: string) => end.events.filter((e) => e.type === '@xstate.snapshot' && e.sessionId === sessionId);
const eventTypesOf = (end: InspectorEnd, sessionId: string) => end.events.filter((e) => e.type === '@xstate.event' && e.sessionId === sessionId).map((e) => e.event!.type);

/** Recognisable text in the client's body and in the worker's reply. */
const REQUEST_TEXT = 'request-body-7d41c2e9';
const REPLY_TEXT = 'reply-body-93be0a56';

function scenario(label: string, env: Record<string, string>) {
  const url = inject('amqpUrl');
  const queues = uniqueQueues(label);
  const state = {} as { end: InspectorEnd; relay: RunningRelay; worker: ScriptedWorker; correlationId: string; requestSession: string };

  beforeAll(async () => {
    state.end = await startInspectorEnd();
    state.relay = await startRelay({ amqpUrl: url, env: { ...queues, XSTATE_INSPECT: state.end.url, ...env } });
    state.worker = await startScriptedWorker(url, queues.AI_QUEUE_NAME!, ({ body }) => ({ kind: 'reply', body: { dish: REPLY_TEXT, asked: body.recipe_text } }));
  });
  afterAll(async () => {
    await state.worker?.stop();
    await state.relay?.stop();
    state.end?.stop();
    await deleteQueues(url, [...Object.values(queues), state.relay.config.queues.reply]);
  });

  it('passes the full bodies to the worker and the client with the inspector on', async () => {
    const res = await postJson(state.relay.baseUrl, '/api/ai/recipe', { recipe_text: REQUEST_TEXT });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ dish: REPLY_TEXT, asked: REQUEST_TEXT });
    expect(JSON.parse(state.worker.received.at(-1)!.content.toString())).toEqual({ type: 'recipe_analysis', recipe_text: REQUEST_TEXT });
    state.correlationId = res.headers.get('x-correlation-id')!;
  });

  it("sends the broker actor's transitions: connecting, then connected on amqp.ready", async () => {
    const { end } = state;
    const broker = () => sessionOf(end, (e) => e.name === 'broker');
    await waitFor(() => broker() !== undefined, 5_000, 'the broker actor to be announced');
    const values = () => snapshotsOf(end, broker()!).map((s) => JSON.stringify(s.snapshot!.value));
    await waitFor(() => values().includes('{"online":"connected"}'), 5_000, 'the broker connected snapshot');
    expect(values()[0]).toBe('{"online":"connecting"}');
    const connected = snapshotsOf(end, broker()!).find((s) => JSON.stringify(s.snapshot!.value) === '{"online":"connected"}')!;
    expect(connected.event!.type).toBe('amqp.ready');
    // The request's publish, its confirm and the worker's reply, as the broker saw them.
    const seen = ['broker.publish', 'amqp.confirmed', 'amqp.deliveries'];
    await waitFor(() => seen.every((type) => eventTypesOf(end, broker()!).includes(type)), 5_000, `the broker's events ${seen.join(', ')}`);
  });

  it("sends a request actor's life: created, its events, done with its output", async () => {
    const { end, correlationId } = state;
    const request = () => sessionOf(end, (e) => e.snapshot?.context?.correlationId === correlationId);
    await waitFor(() => request() !== undefined, 5_000, 'the request actor to be announced');
    state.requestSession = request()!;
    const final = () => snapshotsOf(end, state.requestSession).find((s) => s.snapshot!.status === 'done');
    await waitFor(() => final() !== undefined, 5_000, "the request actor's final snapshot");
    expect(snapshotsOf(end, state.requestSession).map((s) => s.snapshot!.value)).toEqual(expect.arrayContaining(['publishing', 'replied']));
    expect(eventTypesOf(end, state.requestSession)).toEqual(expect.arrayContaining(['xstate.init', 'broker.reply']));
    expect(final()!.event!.type).toBe('broker.reply');
    expect(final()!.snapshot!.output.ok).toBe(true);
    expect(final()!.snapshot!.context!.message.routingKey).toBe(queues.AI_QUEUE_NAME);
  });

  return state;
}

describe('Stately inspector over WebSocket (XSTATE_INSPECT=ws://…), bodies left out by default', () => {
  const state = scenario('inspect-ws', {});

  it('never sends the text of a request or reply body, and says what it left out', () => {
    const { end } = state;
    expect(end.frames.filter((f) => f.includes(REQUEST_TEXT) || f.includes(REPLY_TEXT))).toEqual([]);
    const final = snapshotsOf(end, state.requestSession).find((s) => s.snapshot!.status === 'done')!;
    expect(final.snapshot!.output.reply).toMatch(/^\[body: \d+ bytes, XSTATE_INSPECT_BODIES=false\]$/);
    expect(final.snapshot!.context!.message.content).toMatch(/^\[body: \d+ bytes, XSTATE_INSPECT_BODIES=false\]$/);
  });
});

describe('Stately inspector over WebSocket with XSTATE_INSPECT_BODIES=true', () => {
  const state = scenario('inspect-ws-bodies', { XSTATE_INSPECT_BODIES: 'true' });

  it('sends the request and reply bodies as they are', () => {
    const { end } = state;
    const final = snapshotsOf(end, state.requestSession).find((s) => s.snapshot!.status === 'done')!;
    expect(JSON.parse(final.snapshot!.output.reply)).toEqual({ dish: REPLY_TEXT, asked: REQUEST_TEXT });
    expect(JSON.parse(final.snapshot!.context!.message.content)).toEqual({ type: 'recipe_analysis', recipe_text: REQUEST_TEXT });
    expect(end.frames.some((f) => f.includes(REQUEST_TEXT))).toBe(true);
    expect(end.frames.some((f) => f.includes(REPLY_TEXT))).toBe(true);
  });
});
