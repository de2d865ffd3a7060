import { describe, expect, it } from 'vitest';
import { bodyMarker, inspectable, inspectableContext } from '../../src/actors/inspect-sanitise.ts';
import { loadConfig } from '../../src/config/load-config.ts';

const REQUEST_BODY = '{"recipe_text":"two eggs, SECRET-REQUEST"}';
const REPLY_BODY = '{"dish":"omelette SECRET-REPLY"}';
const requestBytes = Buffer.byteLength(REQUEST_BODY);
const replyBytes = Buffer.byteLength(REPLY_BODY);

/** Stands in for an actor ref: an instance, which the walk must pass by reference and never enter. */
class FakeActorRef {
  readonly sessionId = 'x:7';
  readonly secret = { content: Buffer.from('inside a ref') };
}

function outboundMessage() {
  return {
    id: 'relay-1.c0ffee',
    channel: 'ai',
    exchange: '',
    routingKey: 'recipe_analysis_request',
    content: Buffer.from(REQUEST_BODY),
    mandatory: true,
    deadlineAt: 1_000,
    properties: { correlationId: 'relay-1.c0ffee', type: 'recipe_analysis', headers: { traceparent: '00-abc-def-01' } },
  };
}

function delivery() {
  return {
    channel: 'replies',
    queue: 'amqp-relay.reply.relay-1',
    generation: 1,
    channelEpoch: 0,
    deliveryTag: 4,
    redelivered: false,
    content: Buffer.from(REPLY_BODY),
    correlationId: 'relay-1.c0ffee',
    replyTo: undefined,
    messageId: undefined,
    type: undefined,
    headers: { 'x-status': Buffer.from('ok') },
    expiration: undefined,
    timestamp: undefined,
  };
}

/** A request actor's `@xstate.actor` event as Stately's inspector builds it (snapshot not yet copied through JSON). */
function requestActorEvent() {
  return {
    type: '@xstate.actor',
    name: 'x:7',
    sessionId: 'x:7',
    rootId: 'x:0',
    parentId: 'x:0',
    snapshot: {
      status: 'done',
      value: 'replied',
      context: { correlationId: 'relay-1.c0ffee', kind: 'recipe_analysis', acceptedAt: 1, deadlineAt: 1_000, replyOptional: false, message: outboundMessage() },
      output: { ok: true, reply: REPLY_BODY },
      error: undefined,
    },
  };
}

const everyText = (value: unknown) => JSON.stringify(value);

describe('payloads in inspection events, with XSTATE_INSPECT_BODIES=false', () => {
  it("replaces a request actor's message body and its reply with markers and keeps every other field", () => {
    const shown = inspectable(requestActorEvent(), false);
    expect(shown.snapshot.context.message.content).toBe(bodyMarker(requestBytes));
    expect(shown.snapshot.output).toEqual({ ok: true, reply: bodyMarker(replyBytes) });
    const { content: _content, ...messageRest } = outboundMessage();
    expect(shown.snapshot.context.message).toMatchObject(messageRest);
    expect({ ...shown.snapshot.context, message: undefined }).toEqual({ ...requestActorEvent().snapshot.context, message: undefined });
    expect({ ...shown, snapshot: undefined }).toEqual({ ...requestActorEvent(), snapshot: undefined });
    expect(everyText(shown)).not.toMatch(/SECRET/);
  });

  it('reads the byte count of a body the inspector already copied through JSON ({type: "Buffer", data})', () => {
    const copied = JSON.parse(JSON.stringify(requestActorEvent()));
    expect(copied.snapshot.context.message.content.type).toBe('Buffer');
    const shown = inspectable(copied, false);
    expect(shown.snapshot.context.message.content).toBe(bodyMarker(requestBytes));
    expect(everyText(shown)).not.toMatch(/SECRET|"data"/);
  });

  it('replaces the bodies in broker commands and notices, and passes actor refs through untouched', () => {
    const notify = new FakeActorRef();
    const events = [
      { type: 'broker.publishBatch', commands: [{ type: 'broker.publish', message: outboundMessage(), notify, expectReply: true }] },
      { type: 'amqp.publish', messages: [outboundMessage(), outboundMessage()] },
      { type: 'amqp.deliveries', deliveries: [delivery()] },
      { type: 'broker.reply', id: 'relay-1.c0ffee', delivery: delivery() },
      { type: 'broker.publish', message: { ...outboundMessage(), content: Buffer.from(REPLY_BODY) }, ackOnConfirm: delivery() },
    ];
    for (const event of events) {
      const shown = inspectable({ type: '@xstate.event', sessionId: 'x:1', event }, false);
      expect(everyText(shown.event), event.type).not.toMatch(/SECRET/);
      expect(everyText(shown.event), event.type).toMatch(/\[body: \d+ bytes, XSTATE_INSPECT_BODIES=false\]/);
    }
    const batch = inspectable(events[0]!, false) as any;
    expect(batch.commands[0].notify).toBe(notify);
    expect(batch.commands[0].message.content).toBe(bodyMarker(requestBytes));
    expect(batch.commands[0].message.properties).toBe((events[0] as any).commands[0].message.properties);
    const reply = inspectable(events[3]!, false) as any;
    expect(reply.delivery.content).toBe(bodyMarker(replyBytes));
    expect(reply.delivery.headers['x-status']).toEqual(Buffer.from('ok'));
    expect(reply.delivery.correlationId).toBe('relay-1.c0ffee');
  });

  it("replaces the reply in the done event the relay's root receives, and a worker's error message", () => {
    const done = { type: 'xstate.done.actor.x:7', output: { ok: true, reply: REPLY_BODY }, actorId: 'x:7' };
    expect(inspectable(done, false)).toEqual({ ...done, output: { ok: true, reply: bodyMarker(replyBytes) } });
    const workerError = { ok: false, code: 'WORKER_ERROR', message: 'SECRET-REPLY: no such dish' };
    expect(inspectable(workerError, false)).toEqual({ ...workerError, message: bodyMarker(Buffer.byteLength('"SECRET-REPLY: no such dish"')) });
  });

  it("leaves outcomes that carry no payload as they are (the relay's own messages, a ping's null reply)", () => {
    for (const outcome of [
      { ok: false, code: 'TIMEOUT', message: 'no reply within 1000 ms' },
      { ok: false, code: 'BAD_REPLY', message: 'the worker replied with something that is not UTF-8 JSON' },
      { ok: true, reply: 'null' },
    ]) {
      expect(inspectable({ snapshot: { output: outcome } }, false).snapshot.output).toBe(outcome);
    }
  });

  it('changes nothing in what it is given (the actors pass their own events and snapshots on)', () => {
    const event = requestActorEvent();
    const before = JSON.stringify(event);
    const message = event.snapshot.context.message;
    inspectable(event, false);
    inspectable(event, true);
    expect(JSON.stringify(event)).toBe(before);
    expect(event.snapshot.context.message).toBe(message);
    expect(Buffer.isBuffer(message.content) && message.content.toString()).toBe(REQUEST_BODY);
  });

  it('returns the very same object when there is no payload in it', () => {
    const snapshot = { type: '@xstate.snapshot', snapshot: { value: { online: 'connected' }, context: { reconnects: 0, lastError: null } }, event: { type: 'amqp.ready', host: 'h' } };
    expect(inspectable(snapshot, false)).toBe(snapshot);
  });

  it('gives the same result when applied twice (held-back events are serialized again on connect)', () => {
    const once = inspectable(requestActorEvent(), false);
    expect(inspectable(once, false)).toEqual(once);
    const shownOnce = inspectable(requestActorEvent(), true);
    expect(inspectable(shownOnce, true)).toEqual(shownOnce);
  });
});

describe('payloads in inspection events, with XSTATE_INSPECT_BODIES=true', () => {
  it('shows message bodies as UTF-8 text and replies as they are', () => {
    const shown = inspectable(requestActorEvent(), true);
    expect(shown.snapshot.context.message.content).toBe(REQUEST_BODY);
    expect(shown.snapshot.output).toEqual({ ok: true, reply: REPLY_BODY });
    expect(inspectable(JSON.parse(JSON.stringify({ delivery: delivery() })), true).delivery.content).toBe(REPLY_BODY);
  });
});

describe('contexts as the inspector sees them', () => {
  it("keeps plain fields and a request's message; leaves out URLs, TLS material, loggers and refs", () => {
    const context = {
      generation: 2,
      lastError: null,
      connectedTo: 'rabbit:5672',
      urls: ['amqp://user:SECRET-PASSWORD@rabbit:5672'],
      tls: { key: Buffer.from('SECRET-KEY') },
      logger: { level: 'info' },
      session: new FakeActorRef(),
      message: outboundMessage(),
    };
    const shown = inspectableContext(context);
    expect(Object.keys(shown).sort()).toEqual(['connectedTo', 'generation', 'lastError', 'message']);
    expect(shown.message).toBe(context.message);
    expect(everyText(inspectable(shown, false))).not.toMatch(/SECRET/);
  });
});

describe('XSTATE_INSPECT_BODIES', () => {
  it('is off unless set, and parsed like every other switch', () => {
    expect(loadConfig({}).inspectBodies).toBe(false);
    expect(loadConfig({ XSTATE_INSPECT_BODIES: 'true' }).inspectBodies).toBe(true);
    expect(loadConfig({ XSTATE_INSPECT_BODIES: '1' }).inspectBodies).toBe(true);
    expect(loadConfig({ XSTATE_INSPECT_BODIES: 'no' }).inspectBodies).toBe(false);
    expect(() => loadConfig({ XSTATE_INSPECT_BODIES: 'sometimes' })).toThrow(/XSTATE_INSPECT_BODIES must be true or false/);
  });
});
