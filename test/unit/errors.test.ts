import Koa from 'koa';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_STATUS, type ErrorCode, isErrorCode, RelayError, RETRY_AFTER_SECONDS } from '../../src/errors.ts';
import type { RelayState } from '../../src/http/context.ts';
import { errorHandler } from '../../src/http/middleware/errors.ts';
import { listen, rawRequest } from '../support/fake-relay.ts';

/** The contract's error table, written out again on purpose: src/errors.ts must match it. */
const CONTRACT: Record<string, number> = {
  INVALID_REQUEST: 400,
  UNAUTHORIZED: 401,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  INTERNAL: 500,
  WORKER_ERROR: 502,
  BAD_REPLY: 502,
  BROKER_UNAVAILABLE: 503,
  NO_ROUTE: 503,
  SHUTTING_DOWN: 503,
  OVERLOADED: 503,
  TIMEOUT: 504,
};

describe('the error table', () => {
  const codes = Object.keys(ERROR_STATUS) as ErrorCode[];
  let server: Awaited<ReturnType<typeof listen>>;

  beforeAll(async () => {
    const app = new Koa<RelayState>();
    app.use(async (ctx, next) => {
      ctx.state.correlationId = 'test.1';
      await next();
    });
    app.use(errorHandler(pino({ level: 'silent' })));
    app.use((ctx) => {
      const code = ctx.path.slice(1);
      if (!isErrorCode(code)) throw new Error('not a code');
      throw new RelayError(code, `the ${code} message`);
    });
    server = await listen(app);
  });
  afterAll(() => server.close());

  it('is the contract table, code for code', () => {
    expect(ERROR_STATUS).toEqual(CONTRACT);
  });

  it.each(codes)('renders %s with its status and the contract JSON shape', async (code) => {
    const res = await rawRequest(server.baseUrl, { path: `/${code}` });
    expect(res.status).toBe(CONTRACT[code]);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.json).toEqual({ error: { code, message: `the ${code} message`, correlationId: 'test.1' } });
    if (code === 'BROKER_UNAVAILABLE' || code === 'NO_ROUTE' || code === 'SHUTTING_DOWN' || code === 'OVERLOADED') {
      expect(Number(res.headers['retry-after'])).toBe(RETRY_AFTER_SECONDS[code]);
    } else {
      expect(res.headers['retry-after']).toBeUndefined();
    }
  });

  it('renders an unknown error as 500 INTERNAL without its message or stack', async () => {
    const res = await rawRequest(server.baseUrl, { path: '/whatever' });
    expect(res.status).toBe(500);
    expect(res.json).toEqual({ error: { code: 'INTERNAL', message: 'internal error', correlationId: 'test.1' } });
    expect(res.text).not.toContain('not a code');
  });

  it('knows its codes and nothing else', () => {
    for (const code of codes) expect(isErrorCode(code)).toBe(true);
    for (const other of ['toString', '__proto__', 'timeout', '', 42, null]) expect(isErrorCode(other)).toBe(false);
    expect(new RelayError('TIMEOUT', 'x', { A: 'b' })).toMatchObject({ status: 504, code: 'TIMEOUT', headers: { A: 'b' } });
  });
});
