import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.ts';
import { fakeApp, listen, rawRequest } from '../support/fake-relay.ts';

describe('metrics and debug endpoints switched off', () => {
  let server: Awaited<ReturnType<typeof listen>>;
  const get = (path: string) => rawRequest(server.baseUrl, { method: 'GET', path });

  beforeAll(async () => {
    server = await listen(fakeApp({ exposeMetrics: false, exposeDebug: false }).app);
  });
  afterAll(() => server.close());

  it('answers 404 NOT_FOUND on /metrics and everything under /debug', async () => {
    for (const path of ['/metrics', '/debug/actors', '/debug/inspector', '/debug/inspector/events']) {
      const res = await get(path);
      expect(res.status, path).toBe(404);
      expect(res.json.error.code, path).toBe('NOT_FOUND');
    }
  });

  it('still serves health, readiness and the OpenAPI document', async () => {
    expect((await get('/healthz')).status).toBe(200);
    expect((await get('/readyz')).status).toBe(200);
    expect((await get('/openapi.json')).status).toBe(200);
  });

  it('is read from METRICS_ENDPOINT and DEBUG_ENDPOINTS, both on by default', () => {
    expect(loadConfig({}).http).toMatchObject({ exposeMetrics: true, exposeDebug: true });
    expect(loadConfig({ METRICS_ENDPOINT: 'false', DEBUG_ENDPOINTS: 'false' }).http).toMatchObject({ exposeMetrics: false, exposeDebug: false });
  });
});

describe('metrics and debug endpoints on (the default)', () => {
  it('serves them', async () => {
    const server = await listen(fakeApp({}).app);
    try {
      expect((await rawRequest(server.baseUrl, { method: 'GET', path: '/metrics' })).status).toBe(200);
      expect((await rawRequest(server.baseUrl, { method: 'GET', path: '/debug/actors' })).status).toBe(200);
    } finally {
      await server.close();
    }
  });
});
