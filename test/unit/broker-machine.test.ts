import { describe, expect, it } from 'vitest';
import type { BrokerNotice } from '../../src/actors/broker/events.ts';
import { delivery, fakeBroker, message, noticeInbox } from './broker-fake-session.ts';

const routing = { instanceId: 'me', queues: ['amqp-relay.reply.me', 'crawl.response'], forwardChannel: 'ai' };

function publish(broker: ReturnType<typeof fakeBroker>, id: string, notify = noticeInbox(), extra: { expectReply?: boolean; channel?: string } = {}) {
  broker.actor.send({ type: 'broker.publish', message: message(id, extra.channel), notify: notify.ref, expectReply: extra.expectReply ?? true });
  return notify;
}

const types = (notices: BrokerNotice[]) => notices.map((n) => n.type);

describe('broker connection lifecycle', () => {
  it('is connecting until the session is ready, then connected', () => {
    const broker = fakeBroker();
    expect(broker.state()).toBe('connecting');
    expect(broker.current().input.generation).toBe(1);
    broker.connect();
    expect(broker.state()).toBe('connected');
    expect(broker.actor.getSnapshot().context.connectedTo).toBe('a:5672');
  });

  it('reconnects after a drop with a new session once the backoff has passed, and counts the reconnect', () => {
    const broker = fakeBroker();
    broker.connect();
    broker.drop();
    expect(broker.state()).toBe('reconnecting');
    expect(broker.sessions[0]!.stopped).toBe(true);
    expect(broker.actor.getSnapshot().context.lastError).toBe('CONNECTION_FORCED');
    broker.waitBackoff();
    expect(broker.state()).toBe('connecting');
    expect(broker.sessions).toHaveLength(2);
    expect(broker.current().input.generation).toBe(2);
    // The node that dropped us goes to the back of the list.
    expect(broker.current().input.firstUrl).toBe(1);
    broker.connect();
    expect(broker.state()).toBe('connected');
    expect(broker.actor.getSnapshot().context.reconnects).toBe(1);
  });

  it('keeps retrying a broker that cannot be reached, and starts each series of retries from the base delay', () => {
    const broker = fakeBroker();
    for (let attempt = 1; attempt <= 4; attempt++) {
      broker.current().emit({ type: 'amqp.failed', reason: 'ECONNREFUSED', generation: broker.current().input.generation });
      expect(broker.state()).toBe('reconnecting');
      expect(broker.actor.getSnapshot().context.attempt).toBe(attempt);
      broker.waitBackoff();
    }
    broker.connect();
    expect(broker.actor.getSnapshot().context.attempt).toBe(0);
    expect(broker.actor.getSnapshot().context.lastError).toBeNull();
  });

  it('ignores a lifecycle event from the session of an earlier connection', () => {
    const broker = fakeBroker();
    broker.connect();
    const old = broker.current();
    broker.drop();
    broker.waitBackoff();
    broker.connect();
    old.emit({ type: 'amqp.closed', reason: 'late close', generation: 1 });
    broker.current().emit({ type: 'amqp.closed', reason: 'late close', generation: 1 });
    expect(broker.state()).toBe('connected');
  });
});

describe('broker outbox', () => {
  it('holds requests while disconnected and publishes them once connected', () => {
    const broker = fakeBroker();
    publish(broker, 'me.1');
    publish(broker, 'me.2');
    expect(broker.pending().outbox).toBe(2);
    expect(broker.current().published()).toEqual([]);
    broker.connect();
    expect(broker.current().published()).toEqual(['me.1', 'me.2']);
    expect(broker.pending().outbox).toBe(0);
  });

  it('answers BROKER_UNAVAILABLE at once when the outbox is full', () => {
    const broker = fakeBroker({ maxBuffered: 2 });
    publish(broker, 'me.1');
    publish(broker, 'me.2');
    const third = publish(broker, 'me.3');
    expect(third.notices).toEqual([expect.objectContaining({ type: 'broker.rejected', id: 'me.3', code: 'BROKER_UNAVAILABLE' })]);
    expect(broker.pending().outbox).toBe(2);
  });

  it('publishes unconfirmed messages again after a reconnect, with the same id and properties', () => {
    const broker = fakeBroker();
    broker.connect();
    publish(broker, 'me.1');
    publish(broker, 'me.2');
    broker.current().emit({ type: 'amqp.confirmed', ids: ['me.2'] });
    broker.drop();
    broker.waitBackoff();
    broker.connect();
    const again = broker.current().commands.flatMap((c) => (c.type === 'amqp.publish' ? c.messages : []));
    // me.2 is on the broker already (confirmed, waiting for its reply): only me.1 goes again.
    expect(again.map((m) => m.id)).toEqual(['me.1']);
    expect(again[0]!.properties).toMatchObject({ correlationId: 'me.1', messageId: 'me.1' });
  });

  it('publishes again what a reopened channel had not confirmed, and only that channel', () => {
    const broker = fakeBroker();
    broker.connect();
    publish(broker, 'me.ai', noticeInbox(), { channel: 'ai' });
    publish(broker, 'me.crawl', noticeInbox(), { channel: 'crawl' });
    const before = broker.current().published().length;
    broker.current().emit({ type: 'amqp.channelReset', channel: 'ai', reason: 'PRECONDITION_FAILED', generation: 1, epoch: 1 });
    expect(broker.current().published().slice(before)).toEqual(['me.ai']);
    expect(broker.state()).toBe('connected');
  });

  it('buffers while the broker blocks publishing and sends on unblock; not ready meanwhile', () => {
    const broker = fakeBroker();
    broker.connect();
    broker.current().emit({ type: 'amqp.blocked', reason: 'low on memory', generation: 1 });
    expect(broker.state()).toBe('blocked');
    expect(broker.actor.getSnapshot().context.lastError).toContain('low on memory');
    publish(broker, 'me.1');
    expect(broker.current().published()).toEqual([]);
    expect(broker.pending().outbox).toBe(1);
    broker.current().emit({ type: 'amqp.unblocked', generation: 1 });
    expect(broker.state()).toBe('connected');
    expect(broker.current().published()).toEqual(['me.1']);
  });

  it('fails everything pending with BROKER_UNAVAILABLE when it closes', () => {
    const broker = fakeBroker();
    broker.connect();
    const inflight = publish(broker, 'me.1');
    broker.actor.send({ type: 'broker.close' });
    expect(broker.state()).toBe('closing');
    expect(broker.current().commands.at(-1)).toEqual({ type: 'amqp.close' });
    const late = publish(broker, 'me.2');
    expect(late.notices).toEqual([expect.objectContaining({ type: 'broker.rejected', code: 'BROKER_UNAVAILABLE' })]);
    broker.current().emit({ type: 'amqp.closed', reason: null, generation: 1 });
    expect(broker.actor.getSnapshot().status).toBe('done');
    expect(inflight.notices).toEqual([expect.objectContaining({ type: 'broker.rejected', id: 'me.1', code: 'BROKER_UNAVAILABLE' })]);
  });

  it('answers NO_ROUTE when the broker returns the message', () => {
    const broker = fakeBroker();
    broker.connect();
    const req = publish(broker, 'me.1');
    broker.current().emit({ type: 'amqp.returned', id: 'me.1', replyText: 'NO_ROUTE' });
    broker.current().emit({ type: 'amqp.confirmed', ids: ['me.1'] });
    expect(req.notices).toEqual([expect.objectContaining({ type: 'broker.rejected', code: 'NO_ROUTE' })]);
  });
});

describe('broker replies and deliveries', () => {
  it('hands a reply that arrives before its confirm to the requester, and ignores the confirm after it', () => {
    const broker = fakeBroker({ replies: routing });
    broker.connect();
    const req = publish(broker, 'me.1');
    broker.current().emit({ type: 'amqp.deliveries', deliveries: [delivery({ correlationId: 'me.1', deliveryTag: 7 })] });
    broker.current().emit({ type: 'amqp.confirmed', ids: ['me.1'] });
    expect(types(req.notices)).toEqual(['broker.reply']);
    expect(broker.current().commands).toContainEqual({ type: 'amqp.ack', channel: 'ai', deliveryTag: 7, generation: 1, channelEpoch: 0 });
    expect(broker.pending().size).toBe(0);
  });

  it('delivers a reply that comes while reconnecting to the request in the outbox, and does not publish it again', () => {
    const broker = fakeBroker({ replies: routing });
    broker.connect();
    const req = publish(broker, 'me.1');
    broker.drop();
    broker.waitBackoff();
    // The worker answered the first publish: the reply waits in the reply queue and comes as soon as the new session consumes...
    broker.current().emit({ type: 'amqp.deliveries', deliveries: [delivery({ correlationId: 'me.1', generation: 2 })] });
    broker.connect();
    expect(types(req.notices)).toEqual(['broker.reply']);
    // ...so nothing is published again.
    expect(broker.current().published()).toEqual([]);
  });

  it('drops a worker reply whose request came on an earlier connection: the request is redelivered', () => {
    const handled: number[] = [];
    const broker = fakeBroker({ onDelivery: (d) => handled.push(d.deliveryTag) });
    broker.connect();
    const work = delivery({ queue: 'work', channel: 'work', deliveryTag: 3 });
    broker.current().emit({ type: 'amqp.deliveries', deliveries: [work] });
    expect(handled).toEqual([3]);
    broker.drop();
    broker.waitBackoff();
    broker.connect();
    broker.actor.send({ type: 'broker.publish', message: message('reply.1', 'work'), ackOnConfirm: work });
    expect(broker.current().published()).toEqual([]);
    expect(broker.pending().size).toBe(0);
  });

  it('drops unconfirmed worker replies of a reopened channel instead of publishing them again', () => {
    const broker = fakeBroker({ onDelivery: () => {} });
    broker.connect();
    const work = delivery({ queue: 'work', channel: 'work', deliveryTag: 3, channelEpoch: 0 });
    broker.actor.send({ type: 'broker.publish', message: message('reply.1', 'work'), ackOnConfirm: work });
    expect(broker.current().published()).toEqual(['reply.1']);
    broker.current().emit({ type: 'amqp.channelReset', channel: 'work', reason: 'channel error', generation: 1, epoch: 1 });
    expect(broker.current().published()).toEqual(['reply.1']);
    expect(broker.pending().size).toBe(0);
  });

  it('acknowledges a worker request only once its reply is confirmed, with the delivery’s own channel opening', () => {
    const broker = fakeBroker({ onDelivery: () => {} });
    broker.connect();
    const work = delivery({ queue: 'work', channel: 'work', deliveryTag: 9, channelEpoch: 0 });
    broker.actor.send({ type: 'broker.publish', message: message('reply.1', 'work'), ackOnConfirm: work });
    expect(broker.current().commands.some((c) => c.type === 'amqp.ack')).toBe(false);
    broker.current().emit({ type: 'amqp.confirmed', ids: ['reply.1'] });
    expect(broker.current().commands.at(-1)).toEqual({ type: 'amqp.ack', channel: 'work', deliveryTag: 9, generation: 1, channelEpoch: 0 });
  });

  it('does not hand out work delivered on an earlier connection', () => {
    const handled: number[] = [];
    const broker = fakeBroker({ onDelivery: (d) => handled.push(d.deliveryTag) });
    broker.connect();
    const old = broker.current();
    broker.drop();
    broker.waitBackoff();
    broker.connect();
    old.emit({ type: 'amqp.deliveries', deliveries: [delivery({ queue: 'work', channel: 'work', deliveryTag: 1, generation: 1 })] });
    broker.current().emit({ type: 'amqp.deliveries', deliveries: [delivery({ queue: 'work', channel: 'work', deliveryTag: 2, generation: 2 })] });
    expect(handled).toEqual([2]);
  });

  it('forwards a response owned by another instance to its reply queue, acknowledging it once confirmed', () => {
    const broker = fakeBroker({ replies: routing });
    broker.connect();
    const response = delivery({ queue: 'crawl.response', channel: 'crawl', correlationId: 'other.5', deliveryTag: 4 });
    broker.current().emit({ type: 'amqp.deliveries', deliveries: [response] });
    const forward = broker.current().commands.find((c) => c.type === 'amqp.publish');
    expect(forward).toMatchObject({ messages: [{ routingKey: 'amqp-relay.reply.other', properties: { correlationId: 'other.5' } }] });
    broker.current().emit({ type: 'amqp.confirmed', ids: [forward!.type === 'amqp.publish' ? forward!.messages[0]!.id : ''] });
    expect(broker.current().commands.at(-1)).toEqual({ type: 'amqp.ack', channel: 'crawl', deliveryTag: 4, generation: 1, channelEpoch: 0 });
  });

  it('answers another instance’s lookup from the injected store and acknowledges the lookup only once the answer is confirmed', () => {
    const asked: string[] = [];
    const answerLookup = (id: string) => {
      asked.push(id);
      return id === 'me.3' ? ({ status: 'pending' } as const) : undefined;
    };
    const broker = fakeBroker({ replies: { ...routing, answerLookup } });
    broker.connect();
    const lookup = delivery({ type: 'lookup', correlationId: 'asker.1', replyTo: 'amqp-relay.reply.asker', content: Buffer.from('{"correlationId":"me.3"}'), deliveryTag: 7 });
    broker.current().emit({ type: 'amqp.deliveries', deliveries: [lookup] });
    expect(asked).toEqual(['me.3']);
    const answer = broker.current().commands.find((c) => c.type === 'amqp.publish');
    if (answer?.type !== 'amqp.publish') throw new Error('no answer published');
    expect(answer.messages[0]).toMatchObject({ routingKey: 'amqp-relay.reply.asker', properties: { correlationId: 'asker.1', type: 'lookup-answer' } });
    expect(JSON.parse(answer.messages[0]!.content.toString())).toEqual({ status: 'pending' });
    expect(broker.current().commands.some((c) => c.type === 'amqp.ack')).toBe(false);
    broker.current().emit({ type: 'amqp.confirmed', ids: [answer.messages[0]!.id] });
    expect(broker.current().commands.at(-1)).toEqual({ type: 'amqp.ack', channel: 'ai', deliveryTag: 7, generation: 1, channelEpoch: 0 });
  });
});
