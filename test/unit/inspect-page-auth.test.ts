import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { brokerMachine } from '../../src/actors/broker/broker.machine.ts';
import { LiveInspectionHub } from '../../src/actors/live-inspection.ts';
import { describeStatechart } from '../../src/actors/live-statechart.ts';
import { fakeApp, listen } from '../support/fake-relay.ts';

describe('the live page with API_TOKENS set', () => {
  let server: Awaited<ReturnType<typeof listen>>;
  beforeAll(async () => {
    const live = new LiveInspectionHub({ statechart: describeStatechart(brokerMachine.root) });
    server = await listen(fakeApp({ apiTokens: ['tok'], live }).app);
  });
  afterAll(() => server.close());

  it('serves the page without a token: it holds no data', async () => {
    for (const path of ['/debug/inspector', '/debug/inspector/', '/DEBUG/Inspector']) {
      const res = await fetch(`${server.baseUrl}${path}`);
      expect(res.status, path).toBe(200);
      expect(await res.text()).toContain('data-state-id="broker.online.connected"');
    }
  });

  it('refuses its event stream, and every other /debug path, without a valid token', async () => {
    for (const path of ['/debug/inspector/events', '/debug/inspector/events/', '/debug/inspector/x', '/debug/actors']) {
      const res = await fetch(`${server.baseUrl}${path}`);
      expect(res.status, path).toBe(401);
      await res.arrayBuffer();
    }
    const controller = new AbortController();
    const res = await fetch(`${server.baseUrl}/debug/inspector/events`, { headers: { authorization: 'Bearer tok' }, signal: controller.signal });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    controller.abort();
  });
});
