import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { composeObservers, createInspection } from '../../src/actors/inspect.ts';
import { loadConfig } from '../../src/config/load-config.ts';

const logger = pino({ level: 'silent' });

describe('choosing the inspection observer', () => {
  it('gives actors no observer at all by default (XSTATE_INSPECT=off, OTEL_ENABLED unset)', async () => {
    const config = loadConfig({});
    expect(config.inspect).toBe('off');
    expect(config.telemetry).toBe(false);
    const inspection = await createInspection(config.inspect, logger);
    expect(inspection.inspect).toBeUndefined();
    expect(inspection.live).toBeUndefined();
  });

  it('feeds the live page with XSTATE_INSPECT=live', async () => {
    const inspection = await createInspection('live', logger);
    expect(inspection.live).toBeDefined();
    const messages: unknown[] = [];
    const unsubscribe = inspection.live!.subscribe((m) => messages.push(m));
    const snapshot = { status: 'active', value: { online: 'connected' }, machine: { id: 'broker' }, context: { reconnects: 0, lastError: null } };
    inspection.inspect!({ type: '@xstate.snapshot', snapshot, event: { type: 'amqp.ready' }, actorRef: { sessionId: 'x:1' }, rootId: 'x:0' } as never);
    unsubscribe();
    expect(messages).toContainEqual(expect.objectContaining({ kind: 'broker', state: 'connected' }));
  });

  it('never lets a failing observer fail the actor it watches', async () => {
    const inspection = await createInspection('live', logger);
    const broken = { type: '@xstate.snapshot', get snapshot(): never { throw new Error('broken snapshot'); }, actorRef: { sessionId: 'x:2' }, rootId: 'x:0' };
    expect(() => inspection.inspect!(broken as never)).not.toThrow();
  });

  it('observes for tracing alone with OTEL_ENABLED=true and the inspector off', async () => {
    const config = loadConfig({ OTEL_ENABLED: 'true' });
    const seen: string[] = [];
    const inspection = await createInspection(config.inspect, logger, { tracing: config.telemetry ? (e) => seen.push(e.type) : undefined });
    expect(inspection.inspect).toBeTypeOf('function');
    inspection.inspect!({ type: '@xstate.event' } as never);
    expect(seen).toEqual(['@xstate.event']);
    expect(inspection.live).toBeUndefined();
  });

  it('refuses an OTEL_ENABLED that is not a boolean', () => {
    expect(() => loadConfig({ OTEL_ENABLED: 'sometimes' })).toThrow(/OTEL_ENABLED/);
  });

  it('hands every event to each sink when several are on', () => {
    const seen: string[] = [];
    const observer = composeObservers([(e) => seen.push(`a:${e.type}`), (e) => seen.push(`b:${e.type}`)])!;
    observer({ type: '@xstate.event' } as never);
    expect(seen).toEqual(['a:@xstate.event', 'b:@xstate.event']);
    expect(composeObservers([])).toBeUndefined();
  });
});
