import { describe, expect, it } from 'vitest';
import { PendingMessages } from '../../src/actors/broker/pending.ts';
import { decideDelivery, type ReplyRouting } from '../../src/actors/broker/routing.ts';
import { lookupResultOf } from '../../src/actors/request/lookup.ts';
import { addressableOwnerOf } from '../../src/requests/correlation-id.ts';
import { type JsonText, toJsonText } from '../../src/requests/json-text.ts';
import { type AsyncResult, lookupBody, parseLookupAnswer } from '../../src/requests/lookup.ts';
import { pino } from 'pino';
import { delivery } from './broker-fake-session.ts';

const stored = new Map<string, AsyncResult>([
  ['me.pending', { status: 'pending' }],
  // A worker's number JavaScript cannot hold: it reaches the asker as the worker wrote it.
  ['me.done', { status: 'done', result: '{"title":"page","id":12345678901234567891}' as JsonText }],
  ['me.failed', { status: 'failed', error: { code: 'TIMEOUT', message: 'no reply within 10 ms' } }],
]);
const routing: ReplyRouting = {
  instanceId: 'me',
  queues: ['amqp-relay.reply.me', 'crawl.response'],
  forwardChannel: 'ai',
  answerLookup: (id) => stored.get(id),
};

/** A lookup from instance `asker`, as it arrives on a queue. */
function lookup(of: string, overrides: Parameters<typeof delivery>[0] = {}) {
  return delivery({ type: 'lookup', correlationId: 'asker.7', replyTo: 'amqp-relay.reply.asker', content: lookupBody(of), ...overrides });
}

function answeredText(decision: ReturnType<typeof decideDelivery>): string {
  if (decision.kind !== 'answer') throw new Error(`expected an answer, got ${JSON.stringify(decision)}`);
  return decision.message.content.toString();
}

function answered(decision: ReturnType<typeof decideDelivery>): unknown {
  return JSON.parse(answeredText(decision));
}

describe('an owner answering another instance’s lookup', () => {
  it('answers pending, done and failed with the state it holds, to the asker’s reply queue under the lookup’s correlation id', () => {
    expect(answered(decideDelivery(lookup('me.pending'), routing, new PendingMessages()))).toEqual({ status: 'pending' });
    expect(answeredText(decideDelivery(lookup('me.done'), routing, new PendingMessages()))).toBe('{"status":"done","result":{"title":"page","id":12345678901234567891}}');
    expect(answered(decideDelivery(lookup('me.failed'), routing, new PendingMessages()))).toEqual(stored.get('me.failed'));
    const decision = decideDelivery(lookup('me.done'), routing, new PendingMessages());
    expect(decision).toMatchObject({
      kind: 'answer',
      message: { exchange: '', routingKey: 'amqp-relay.reply.asker', channel: 'ai', properties: { correlationId: 'asker.7', type: 'lookup-answer' } },
    });
  });

  it('answers unknown for an id it does not hold, a body that names none, and when it has no store at all', () => {
    expect(answered(decideDelivery(lookup('me.gone'), routing, new PendingMessages()))).toEqual({ status: 'unknown' });
    expect(answered(decideDelivery(lookup('x', { content: Buffer.from('not json') }), routing, new PendingMessages()))).toEqual({ status: 'unknown' });
    const storeless = { ...routing, answerLookup: undefined };
    expect(answered(decideDelivery(lookup('me.done'), storeless, new PendingMessages()))).toEqual({ status: 'unknown' });
  });

  it('is never taken for a reply, even when a request of ours has the lookup’s correlation id', () => {
    const pending = new PendingMessages();
    pending.add({ message: { id: 'asker.7', channel: 'ai', exchange: '', routingKey: 'q', content: Buffer.alloc(0), properties: {}, mandatory: true }, notify: undefined, expectReply: true, ackOnConfirm: undefined }, 'sent');
    expect(decideDelivery(lookup('me.done'), routing, pending).kind).toBe('answer');
  });

  it('never passes a lookup on: one arriving on the shared crawling response queue is dropped', () => {
    expect(decideDelivery(lookup('other.1', { queue: 'crawl.response' }), routing, new PendingMessages())).toEqual({ kind: 'drop', reason: 'unforwardable' });
  });

  it('answers only to the reply queue its correlation id names: no other replyTo, no forged asker', () => {
    const pending = new PendingMessages();
    expect(decideDelivery(lookup('me.done', { replyTo: 'some.other.queue' }), routing, pending)).toEqual({ kind: 'drop', reason: 'unforwardable' });
    expect(decideDelivery(lookup('me.done', { replyTo: undefined }), routing, pending)).toEqual({ kind: 'drop', reason: 'unforwardable' });
    expect(decideDelivery(lookup('me.done', { correlationId: 'a b.1', replyTo: 'amqp-relay.reply.a b' }), routing, pending)).toEqual({ kind: 'drop', reason: 'unforwardable' });
    expect(decideDelivery(lookup('me.done', { correlationId: undefined }), routing, pending)).toEqual({ kind: 'drop', reason: 'unforwardable' });
  });

  it('still matches an owner’s answer on the asker’s side like any reply', () => {
    const pending = new PendingMessages();
    pending.add({ message: { id: 'me.9', channel: 'ai', exchange: '', routingKey: 'amqp-relay.reply.owner', content: Buffer.alloc(0), properties: {}, mandatory: true }, notify: undefined, expectReply: true, ackOnConfirm: undefined }, 'sent');
    const answer = delivery({ type: 'lookup-answer', correlationId: 'me.9', content: Buffer.from('{"status":"pending"}') });
    expect(decideDelivery(answer, routing, pending)).toMatchObject({ kind: 'reply', entry: { message: { id: 'me.9' } } });
  });
});

describe('the asker’s side', () => {
  it('asks only an owner whose reply queue can exist', () => {
    expect(addressableOwnerOf('relay-b.1')).toBe('relay-b');
    expect(addressableOwnerOf('no-prefix')).toBeUndefined();
    expect(addressableOwnerOf('a b.1')).toBeUndefined();
    expect(addressableOwnerOf('✓.1')).toBeUndefined();
    expect(addressableOwnerOf(`${'x'.repeat(238)}.1`)).toBe('x'.repeat(238));
    expect(addressableOwnerOf(`${'x'.repeat(239)}.1`)).toBeUndefined();
  });

  it('turns the lookup’s outcome into what the client sees: the state, or nothing (404), or its own failure', () => {
    const logger = pino({ level: 'silent' });
    const answer = (text: string) => lookupResultOf({ ok: true, reply: text as JsonText }, logger);
    const owners = '{"status":"done","result":{"id":12345678901234567891,"score":1.0}}';
    expect(answer(owners)).toEqual({ kind: 'found', json: owners });
    expect(answer('{"status":"done","result":null}')).toEqual({ kind: 'found', json: '{"status":"done","result":null}' });
    expect(answer('{"status":"pending"}')).toEqual({ kind: 'found', json: '{"status":"pending"}' });
    expect(answer('{"status":"unknown"}')).toEqual({ kind: 'notFound', reason: 'unknown' });
    expect(answer('{"status":"done"}')).toEqual({ kind: 'found', json: '{"status":"done","result":null}' });
    expect(answer('{"title":"a crawl reply"}')).toEqual({ kind: 'notFound', reason: 'badAnswer' });
    expect(lookupResultOf({ ok: false, code: 'NO_ROUTE', message: 'x' }, logger)).toEqual({ kind: 'notFound', reason: 'ownerGone' });
    expect(lookupResultOf({ ok: false, code: 'TIMEOUT', message: 'x' }, logger)).toEqual({ kind: 'notFound', reason: 'noAnswer' });
    expect(lookupResultOf({ ok: false, code: 'BROKER_UNAVAILABLE', message: 'x' }, logger)).toMatchObject({ kind: 'failed', code: 'BROKER_UNAVAILABLE' });
    expect(parseLookupAnswer(toJsonText({ status: 'failed', error: { code: 'TIMEOUT' } }))).toBeUndefined();
    expect(parseLookupAnswer('{"status":' as JsonText)).toBeUndefined();
  });
});
