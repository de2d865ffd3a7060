import type { AnyActorRef } from 'xstate';
import type { Delivery, OutboundMessage } from './messages.ts';
import { ReleasingMap } from '../../releasing-map.ts';
import { SettledIds } from './settled-ids.ts';

/**
 * Everything the broker has accepted and not yet settled, keyed by message id, in arrival order.
 * - queued: waiting for a connection (the outbox, bounded);
 * - sent: on a channel, not yet confirmed (published again if the connection drops);
 * - confirmed: on the broker, and still waiting for its reply (expectReply).
 * A plain mutable Map, so that accepting and settling a message costs O(1) whatever is in flight.
 */
export type PendingState = 'queued' | 'sent' | 'confirmed';

export interface PendingEntry {
  readonly message: OutboundMessage;
  readonly notify: AnyActorRef | undefined;
  readonly expectReply: boolean;
  /** A delivery to acknowledge once this message is confirmed (worker replies, forwards). */
  readonly ackOnConfirm: Delivery | undefined;
  state: PendingState;
}

/**
 * Why a reply had nobody to go to: no request knows it (unknown), its request has ended (late),
 * it was answered already (duplicate), its owner is gone (orphaned), or it can be neither matched
 * nor passed on (unforwardable: no correlation id, an owner that is no valid queue name, a forward
 * the broker refused).
 */
export type DropReason = 'unknown' | 'late' | 'duplicate' | 'orphaned' | 'unforwardable';

export const DROP_REASONS: readonly DropReason[] = ['unknown', 'late', 'duplicate', 'orphaned', 'unforwardable'];

const REMEMBERED_OUTCOMES = 50_000;

export class PendingMessages {
  private readonly entries = new ReleasingMap<string, PendingEntry>();
  /** Recently settled ids, to tell a late or duplicate reply from an unknown one (bounded, FIFO). */
  private readonly settled: SettledIds;
  private queuedCount = 0;
  private sentCount = 0;

  constructor(remembered = REMEMBERED_OUTCOMES) {
    this.settled = new SettledIds(remembered);
  }

  get outbox(): number {
    return this.queuedCount;
  }
  get unconfirmed(): number {
    return this.queuedCount + this.sentCount;
  }
  get size(): number {
    return this.entries.size;
  }

  get(id: string): PendingEntry | undefined {
    return this.entries.get(id);
  }

  add(entry: Omit<PendingEntry, 'state'>, state: 'queued' | 'sent'): void {
    const previous = this.entries.get(entry.message.id);
    if (previous) this.remove(previous.message.id);
    // Not `{ ...entry, state }`: on Node 20 that costs a new hidden class per message.
    const { message, notify, expectReply, ackOnConfirm } = entry;
    this.entries.set(message.id, { message, notify, expectReply, ackOnConfirm, state });
    this.count(state, 1);
  }

  mark(entry: PendingEntry, state: PendingState): void {
    this.count(entry.state, -1);
    entry.state = state;
    this.count(state, 1);
  }

  remove(id: string, outcome?: 'answered' | 'abandoned'): PendingEntry | undefined {
    const entry = this.entries.get(id);
    if (entry) {
      this.entries.delete(id);
      this.count(entry.state, -1);
    }
    if (outcome) this.settled.set(id, outcome);
    return entry;
  }

  /** Why a reply for `id` finds no waiting request. */
  dropReason(id: string): DropReason {
    const outcome = this.settled.get(id);
    return outcome === 'answered' ? 'duplicate' : outcome === 'abandoned' ? 'late' : 'unknown';
  }

  /**
   * After a connection drop: requests go back to the outbox. Replies and forwards that were to
   * acknowledge a delivery of the lost connection are dropped: that delivery comes again.
   */
  connectionLost(): void {
    for (const [id, entry] of this.entries) {
      if (entry.state === 'confirmed') continue;
      if (entry.ackOnConfirm) this.remove(id);
      else if (entry.state === 'sent') this.mark(entry, 'queued');
    }
  }

  /**
   * After `channel` was reopened (as opening `epoch`): what was sent on it and not confirmed, to
   * publish again. Replies and forwards acknowledging a delivery of its earlier openings are
   * dropped instead, since the broker redelivers those deliveries.
   */
  channelReset(channel: string, generation: number, epoch: number): PendingEntry[] {
    const again: PendingEntry[] = [];
    for (const [id, entry] of this.entries) {
      if (entry.state === 'confirmed') continue;
      const ack = entry.ackOnConfirm;
      if (ack && ack.channel === channel && ack.generation === generation && ack.channelEpoch < epoch) this.remove(id);
      else if (entry.state === 'sent' && entry.message.channel === channel) again.push(entry);
    }
    return again;
  }

  queued(): PendingEntry[] {
    return [...this.entries.values()].filter((e) => e.state === 'queued');
  }

  /** Everything still pending, for a final answer when the broker closes. */
  all(): PendingEntry[] {
    return [...this.entries.values()];
  }

  private count(state: PendingState, delta: number): void {
    if (state === 'queued') this.queuedCount += delta;
    else if (state === 'sent') this.sentCount += delta;
  }
}
