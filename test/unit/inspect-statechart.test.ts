import { describe, expect, it } from 'vitest';
import type { AnyStateNode } from 'xstate';
import { createMachine } from 'xstate';
import { brokerMachine } from '../../src/actors/broker/broker.machine.ts';
import { describeStatechart } from '../../src/actors/live-statechart.ts';
import { statechartSvg } from '../../src/http/inspector/statechart-svg.ts';

function stateIds(node: AnyStateNode): string[] {
  return [node.id, ...Object.values(node.states).flatMap((child) => stateIds(child as AnyStateNode))];
}

const drawnStates = (svg: string) => [...svg.matchAll(/data-state-id="([^"]+)"/g)].map((m) => m[1]);
const drawnEdges = (svg: string) => [...svg.matchAll(/<g class="edge" data-source="([^"]+)" data-target="([^"]+)">.*?<text[^>]*>([^<]*)<\/text>/g)].map((m) => `${m[1]} → ${m[2]}: ${m[3]}`);

describe("the live page's statechart", () => {
  it('draws every state of the broker machine, from its own definition', () => {
    const svg = statechartSvg(describeStatechart(brokerMachine.root));
    expect(drawnStates(svg).sort()).toEqual(stateIds(brokerMachine.root).sort());
  });

  it('draws each state-changing transition of the broker machine with its events', () => {
    const edges = drawnEdges(statechartSvg(describeStatechart(brokerMachine.root)));
    expect(edges).toEqual(
      expect.arrayContaining([
        'broker.online → broker.reconnecting: amqp.closed | amqp.failed',
        'broker.online.connecting → broker.online.connected: amqp.ready',
        'broker.reconnecting → broker.online: after reconnectDelay',
        'broker.reconnecting → broker.closed: broker.close',
      ]),
    );
    // Transitions that only run actions (broker.publish while connected, …) change no state and are not drawn.
    expect(edges.some((e) => e.includes('broker.publish'))).toBe(false);
  });

  it('shows a state added to a machine without any change to the page', () => {
    const grown = createMachine({
      id: 'broker',
      initial: 'online',
      states: {
        online: { initial: 'connecting', states: { connecting: { on: { ready: 'connected' } }, connected: { on: { drain: 'draining' } }, draining: {} } },
        reconnecting: {},
      },
    });
    const svg = statechartSvg(describeStatechart(grown.root));
    expect(drawnStates(svg)).toContain('broker.online.draining');
    expect(drawnEdges(svg)).toContain('broker.online.connected → broker.online.draining: drain');
  });
});
