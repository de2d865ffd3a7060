import type { Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { watchLink } from '../../src/actors/broker/link-watchdog.ts';

describe('dead link detection', () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  it('declares a silent link dead within two heartbeats', () => {
    const socket = { bytesRead: 0 };
    const dead: number[] = [];
    watchLink(socket as unknown as Socket, 1, (ms) => dead.push(ms));
    vi.advanceTimersByTime(1_400);
    expect(dead).toEqual([]);
    vi.advanceTimersByTime(600);
    expect(dead).toHaveLength(1);
    expect(dead[0]).toBeGreaterThan(1_500);
    expect(dead[0]).toBeLessThanOrEqual(2_000);
  });

  it('keeps a link alive while bytes arrive (the broker’s heartbeat frames)', () => {
    const socket = { bytesRead: 0 };
    const dead: number[] = [];
    watchLink(socket as unknown as Socket, 1, (ms) => dead.push(ms));
    for (let i = 0; i < 20; i++) {
      socket.bytesRead += 8;
      vi.advanceTimersByTime(500);
    }
    expect(dead).toEqual([]);
  });

  it('stops watching when told to', () => {
    const socket = { bytesRead: 0 };
    const dead: number[] = [];
    const stop = watchLink(socket as unknown as Socket, 1, (ms) => dead.push(ms));
    stop();
    vi.advanceTimersByTime(5_000);
    expect(dead).toEqual([]);
  });
});
