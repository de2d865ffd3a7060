import { describe, expect, it } from 'vitest';
import type { OutboundMessage } from '../../src/actors/broker/messages.ts';
import { PendingMessages } from '../../src/actors/broker/pending.ts';

const message = (id: string): OutboundMessage => ({ id, channel: 'ai', exchange: '', routingKey: 'q', content: Buffer.from('{}'), mandatory: true, properties: {} });

/** A pending message settled with `outcome`, as a reply or a deadline settles it. */
function settle(pending: PendingMessages, id: string, outcome: 'answered' | 'abandoned'): void {
  pending.add({ message: message(id), notify: undefined, expectReply: true, ackOnConfirm: undefined }, 'sent');
  pending.remove(id, outcome);
}

describe('PendingMessages: why a reply finds nobody', () => {
  it('tells a duplicate from a late reply, and an id it never had from both', () => {
    const pending = new PendingMessages(4);
    settle(pending, 'a', 'answered');
    settle(pending, 'b', 'abandoned');
    expect([pending.dropReason('a'), pending.dropReason('b'), pending.dropReason('never')]).toEqual(['duplicate', 'late', 'unknown']);
  });

  it('forgets the oldest settled ids first once it remembers as many as it may', () => {
    const pending = new PendingMessages(3);
    for (const id of ['a', 'b', 'c', 'd', 'e']) settle(pending, id, 'abandoned');
    expect(['a', 'b', 'c', 'd', 'e'].map((id) => pending.dropReason(id))).toEqual(['unknown', 'unknown', 'late', 'late', 'late']);
  });

  it('keeps one place for an id settled twice, so it forgets no other id early', () => {
    const pending = new PendingMessages(3);
    settle(pending, 'a', 'abandoned');
    settle(pending, 'a', 'answered');
    settle(pending, 'b', 'abandoned');
    settle(pending, 'c', 'abandoned');
    expect(['a', 'b', 'c'].map((id) => pending.dropReason(id))).toEqual(['duplicate', 'late', 'late']);
    settle(pending, 'd', 'abandoned');
    expect(['a', 'b', 'c', 'd'].map((id) => pending.dropReason(id))).toEqual(['unknown', 'late', 'late', 'late']);
  });
});
