import { describe, expect, it } from 'vitest';
import { ResultStore } from '../../src/http/async-results.ts';
import type { RequestOutcome } from '../../src/actors/request/outcome.ts';
import { toJsonText } from '../../src/requests/json-text.ts';

function deferred() {
  let resolve!: (o: RequestOutcome) => void;
  const promise = new Promise<RequestOutcome>((r) => (resolve = r));
  return { promise, resolve };
}

const route = '/api/crawl/ping';
const settled = () => new Promise((r) => setImmediate(r));

describe('the async result store', () => {
  it('forgets the oldest finished result first once more than the bound are finished', async () => {
    const store = new ResultStore(60_000, 2);
    const requests = ['a', 'b', 'c', 'd'].map((id) => {
      const d = deferred();
      store.accept(id, d.promise, route);
      return { id, ...d };
    });
    // Finished in the order b, a, d: b is the oldest finished one.
    for (const id of ['b', 'a', 'd']) requests.find((r) => r.id === id)!.resolve({ ok: true, reply: toJsonText(id) });
    await settled();
    expect(store.get('b')).toBeUndefined();
    expect(store.get('a')).toEqual({ status: 'done', result: '"a"' });
    expect(store.get('d')).toEqual({ status: 'done', result: '"d"' });
    expect(store.get('c')).toEqual({ status: 'pending' });
  });

  it('never forgets a pending result, however many are pending', async () => {
    const store = new ResultStore(60_000, 1);
    for (let i = 0; i < 100; i++) store.accept(`p${i}`, new Promise(() => {}), route);
    const done = deferred();
    store.accept('f1', done.promise, route);
    done.resolve({ ok: false, code: 'TIMEOUT', message: 'late' });
    const other = deferred();
    store.accept('f2', other.promise, route);
    other.resolve({ ok: true, reply: toJsonText(1) });
    await settled();
    for (let i = 0; i < 100; i++) expect(store.get(`p${i}`)).toEqual({ status: 'pending' });
    expect(store.get('f1')).toBeUndefined();
    expect(store.get('f2')).toEqual({ status: 'done', result: '1' });
    expect(store.size).toBe(101);
  });

  it('still forgets a finished result after its time to live', async () => {
    const store = new ResultStore(20, 10);
    store.accept('x', Promise.resolve({ ok: true, reply: toJsonText('x') } as const), route);
    await settled();
    expect(store.get('x')).toEqual({ status: 'done', result: '"x"' });
    await new Promise((r) => setTimeout(r, 60));
    expect(store.get('x')).toBeUndefined();
  });

  it('tells its observer the final outcome of each request once, with its route', async () => {
    const seen: [string, string][] = [];
    const store = new ResultStore(60_000, 10, (r, outcome) => seen.push([r, outcome]));
    const done = deferred();
    const failed = deferred();
    store.accept('a', done.promise, route);
    store.accept('b', failed.promise, '/api/crawl');
    store.accept('c', new Promise(() => {}), route);
    await settled();
    expect(seen).toEqual([]);
    failed.resolve({ ok: false, code: 'TIMEOUT', message: 'no reply in time' });
    done.resolve({ ok: true, reply: toJsonText(1) });
    await settled();
    expect(seen).toEqual([['/api/crawl', 'TIMEOUT'], [route, 'ok']]);
  });
});
