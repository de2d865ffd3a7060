import { describe, expect, it } from 'vitest';
import { fullJitterDelay } from '../../src/actors/broker/backoff.ts';
import { PendingMessages } from '../../src/actors/broker/pending.ts';
import { decideDelivery } from '../../src/actors/broker/routing.ts';
import { ownerOf } from '../../src/requests/correlation-id.ts';
import { delivery, message } from './broker-fake-session.ts';

const routing = { instanceId: 'me', queues: ['amqp-relay.reply.me', 'crawl.response'], forwardChannel: 'ai' };

function pendingWith(id: string, expectReply = true): PendingMessages {
  const pending = new PendingMessages();
  pending.add({ message: message(id), notify: undefined, expectReply, ackOnConfirm: undefined }, 'sent');
  return pending;
}

describe('reply routing', () => {
  it('matches a reply to the request waiting for it', () => {
    const decision = decideDelivery(delivery({ correlationId: 'me.1' }), routing, pendingWith('me.1'));
    expect(decision).toMatchObject({ kind: 'reply', entry: { message: { id: 'me.1' } } });
  });

  it('forwards a crawl response owned by another instance to that instance’s reply queue', () => {
    const decision = decideDelivery(delivery({ queue: 'crawl.response', correlationId: 'other.1' }), routing, new PendingMessages());
    expect(decision).toMatchObject({ kind: 'forward', message: { routingKey: 'amqp-relay.reply.other', mandatory: true, channel: 'ai' } });
  });

  it('never forwards from its own reply queue (no ping-pong between instances)', () => {
    const decision = decideDelivery(delivery({ queue: 'amqp-relay.reply.me', correlationId: 'other.1' }), routing, new PendingMessages());
    expect(decision).toEqual({ kind: 'drop', reason: 'unknown' });
  });

  it('tells a duplicate reply and a late reply from an unknown one', () => {
    const pending = pendingWith('me.1');
    pending.remove('me.1', 'answered');
    pending.add({ message: message('me.2'), notify: undefined, expectReply: true, ackOnConfirm: undefined }, 'sent');
    pending.remove('me.2', 'abandoned');
    expect(decideDelivery(delivery({ correlationId: 'me.1' }), routing, pending)).toEqual({ kind: 'drop', reason: 'duplicate' });
    expect(decideDelivery(delivery({ correlationId: 'me.2' }), routing, pending)).toEqual({ kind: 'drop', reason: 'late' });
    expect(decideDelivery(delivery({ correlationId: 'me.3' }), routing, pending)).toEqual({ kind: 'drop', reason: 'unknown' });
  });

  it('drops as unforwardable what it can neither match nor pass on: no correlation id, an owner that is no queue name', () => {
    const pending = new PendingMessages();
    const crawlResponses = { queue: 'crawl.response' };
    expect(decideDelivery(delivery({ ...crawlResponses, correlationId: undefined }), routing, pending)).toEqual({ kind: 'drop', reason: 'unforwardable' });
    expect(decideDelivery(delivery({ ...crawlResponses, correlationId: '' }), routing, pending)).toEqual({ kind: 'drop', reason: 'unforwardable' });
    const tooLong = `${'x'.repeat(250)}.1`;
    expect(decideDelivery(delivery({ ...crawlResponses, correlationId: tooLong }), routing, pending)).toEqual({ kind: 'drop', reason: 'unforwardable' });
    expect(decideDelivery(delivery({ ...crawlResponses, correlationId: 'a b/c.1' }), routing, pending)).toEqual({ kind: 'drop', reason: 'unforwardable' });
    expect(decideDelivery(delivery({ ...crawlResponses, correlationId: 'other.1' }), routing, pending)).toMatchObject({ kind: 'forward' });
  });

  it('treats deliveries from other queues as work', () => {
    expect(decideDelivery(delivery({ queue: 'requests' }), routing, new PendingMessages())).toEqual({ kind: 'work' });
    expect(decideDelivery(delivery({ queue: 'amqp-relay.reply.me' }), undefined, new PendingMessages())).toEqual({ kind: 'work' });
  });

  it('reads the owner from the correlation id prefix', () => {
    expect(ownerOf('relay-abc.123')).toBe('relay-abc');
    expect(ownerOf('no-dot')).toBeUndefined();
    expect(ownerOf(undefined)).toBeUndefined();
  });

  it('gives forwards of two openings of a channel different ids', () => {
    const a = decideDelivery(delivery({ queue: 'crawl.response', correlationId: 'other.1', channelEpoch: 0 }), routing, new PendingMessages());
    const b = decideDelivery(delivery({ queue: 'crawl.response', correlationId: 'other.1', channelEpoch: 1 }), routing, new PendingMessages());
    expect(a.kind === 'forward' && b.kind === 'forward' && a.message.id !== b.message.id).toBe(true);
  });
});

describe('pending messages across drops', () => {
  it('sends requests again after a drop and forgets replies tied to the lost connection', () => {
    const pending = new PendingMessages();
    pending.add({ message: message('me.1'), notify: undefined, expectReply: true, ackOnConfirm: undefined }, 'sent');
    pending.add({ message: message('reply.1', 'work'), notify: undefined, expectReply: false, ackOnConfirm: delivery() }, 'sent');
    pending.add({ message: message('reply.2', 'work'), notify: undefined, expectReply: false, ackOnConfirm: delivery() }, 'queued');
    pending.connectionLost();
    expect(pending.queued().map((e) => e.message.id)).toEqual(['me.1']);
    expect(pending.size).toBe(1);
  });
});

describe('reconnect backoff', () => {
  it('stays within [0, min(cap, base * 2^attempt)]', () => {
    for (const attempt of [0, 1, 2, 5, 10, 40]) {
      const ceiling = Math.min(10_000, 100 * 2 ** attempt);
      expect(fullJitterDelay(attempt, 100, 10_000, () => 0)).toBe(0);
      expect(fullJitterDelay(attempt, 100, 10_000, () => 0.999999)).toBeLessThanOrEqual(ceiling);
      expect(fullJitterDelay(attempt, 100, 10_000, () => 0.999999)).toBeGreaterThan(ceiling * 0.99);
    }
  });

  it('spreads delays over the whole range (full jitter)', () => {
    const delays = Array.from({ length: 200 }, () => fullJitterDelay(3, 100, 10_000));
    expect(Math.min(...delays)).toBeLessThan(200);
    expect(Math.max(...delays)).toBeGreaterThan(600);
    expect(delays.every((d) => d >= 0 && d <= 800)).toBe(true);
  });
});
