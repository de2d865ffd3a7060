import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { metricValue } from '../cluster/support/processes.ts';
import { type RunningRelay, postJson, startRelay, uniqueQueues, waitFor } from '../support/relay-harness.ts';
import { deleteQueues, type Script, type ScriptedWorker, startScriptedWorker } from '../support/scripted-worker.ts';

/**
 * Three relays in this process on one set of queues, a crawling worker, and a client that polls
 * every asynchronous request on the instances that did NOT accept it (a round-robin balancer): the
 * non-owner asks the owner through the broker (a lookup to the owner's reply queue).
 */

/** No poll may take longer than this: a lookup answers within 2 s, so this only catches a hang. */
const POLL_GIVE_UP_MS = 5_000;

interface Poll {
  readonly status: number | 'hung';
  readonly json: any;
  readonly ms: number;
}

async function poll(relay: RunningRelay, correlationId: string): Promise<Poll> {
  const started = performance.now();
  try {
    const res = await fetch(`${relay.baseUrl}/api/requests/${encodeURIComponent(correlationId)}`, { signal: AbortSignal.timeout(POLL_GIVE_UP_MS) });
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : undefined, ms: performance.now() - started };
  } catch {
    return { status: 'hung', json: undefined, ms: performance.now() - started };
  }
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function report(label: string, figures: Record<string, unknown>) {
  // Figures for the report; not pass/fail thresholds.
  process.stdout.write(`[lookup-cross-instance] ${label}: ${JSON.stringify(figures)}\n`);
}

/** A reply that parsing and serialising again would change: every instance must answer it as the worker wrote it. */
const AWKWARD_URL = 'https://example.com/awkward';
const AWKWARD_REPLY = '{"id": 12345678901234567891, "score": 1.0, "huge": 1e400}';

const crawler = ({ body }: { body: any }): Script => {
  if (body?.url === AWKWARD_URL) return { kind: 'raw', content: Buffer.from(AWKWARD_REPLY) };
  if (body?.type === 'ping') return body.answer === 'none' ? { kind: 'silent' } : { kind: 'reply', body: { pong: body.answer } };
  return { kind: 'reply', body: { crawled: body.url } };
};

async function accept(relay: RunningRelay, path: string, body: unknown): Promise<string> {
  const res = await postJson(relay.baseUrl, path, body, { prefer: 'respond-async' });
  expect(res.status).toBe(202);
  return res.json.correlationId as string;
}

describe('any instance answers any asynchronous request', () => {
  const url = inject('amqpUrl');
  const queues = uniqueQueues('lookup');
  const env = { ...queues, CRAWL_TIMEOUT_MS: '10000' };
  let relays: RunningRelay[] = [];
  const stopped = new Set<RunningRelay>();
  let worker: ScriptedWorker;

  beforeAll(async () => {
    relays = await Promise.all([1, 2, 3].map(() => startRelay({ amqpUrl: url, env })));
    worker = await startScriptedWorker(url, queues.RABBITMQ_CRAWLING_REQUEST_QUEUE!, crawler);
  });

  afterAll(async () => {
    await worker?.stop();
    await Promise.all(relays.filter((r) => !stopped.has(r)).map((r) => r.stop()));
    await deleteQueues(url, [...Object.values(queues), ...relays.map((r) => r.config.queues.reply)]);
  });

  it('300 crawls, each accepted on one instance and polled on the others until done: each done with its own reply', async () => {
    const lookups: number[] = [];
    const statuses = new Map<string, number>();
    const failures: string[] = [];
    const started = performance.now();
    let next = 0;
    const ids: string[] = [];
    const one = async (i: number) => {
      const owner = relays[i % 3]!;
      const others = [relays[(i + 1) % 3]!, relays[(i + 2) % 3]!];
      const page = `https://example.com/page/${i}`;
      const correlationId = await accept(owner, '/api/crawl', { url: page });
      ids[i] = correlationId;
      const giveUp = Date.now() + 15_000;
      for (let n = 0; ; n++) {
        const answer = await poll(others[n % 2]!, correlationId);
        statuses.set(String(answer.status), (statuses.get(String(answer.status)) ?? 0) + 1);
        if (answer.status !== 200) return failures.push(`${correlationId}: ${answer.status} ${JSON.stringify(answer.json)}`);
        lookups.push(answer.ms);
        if (answer.json.status === 'done') {
          if (JSON.stringify(answer.json.result) !== JSON.stringify({ crawled: page })) failures.push(`${correlationId}: ${JSON.stringify(answer.json)}`);
          return;
        }
        if (answer.json.status !== 'pending') return failures.push(`${correlationId}: ${JSON.stringify(answer.json)}`);
        if (Date.now() > giveUp) return failures.push(`${correlationId}: still pending after 15 s`);
        await new Promise((r) => setTimeout(r, 10));
      }
    };
    await Promise.all(
      Array.from({ length: 30 }, async () => {
        while (next < 300) await one(next++);
      }),
    );
    const sorted = [...lookups].sort((a, b) => a - b);
    report('300 async crawls polled on non-owners', {
      polls: lookups.length,
      statuses: Object.fromEntries(statuses),
      lookupP50Ms: Number(percentile(sorted, 50).toFixed(2)),
      lookupP99Ms: Number(percentile(sorted, 99).toFixed(2)),
      lookupMaxMs: Number(sorted.at(-1)!.toFixed(2)),
      wallMs: Math.round(performance.now() - started),
    });
    expect(failures).toEqual([]);
    expect(next).toBe(300);

    // The same lookups one at a time, on a quiet relay: the cost of one forwarded lookup.
    const quiet: number[] = [];
    for (let i = 0; i < 300; i++) {
      const answer = await poll(relays[(i + 1) % 3]!, ids[i]!);
      expect(answer.json.status).toBe('done');
      quiet.push(answer.ms);
    }
    quiet.sort((a, b) => a - b);
    report('300 lookups one at a time', { lookupP50Ms: Number(percentile(quiet, 50).toFixed(2)), lookupP99Ms: Number(percentile(quiet, 99).toFixed(2)) });
  }, 120_000);

  it("answers a result with the worker's reply as it was written, on the owner and through the others", async () => {
    const [owner, other] = relays as [RunningRelay, RunningRelay];
    const id = await accept(owner, '/api/crawl', { url: AWKWARD_URL });
    const expected = `{"status":"done","result":${AWKWARD_REPLY}}`;
    const text = async (relay: RunningRelay) => (await fetch(`${relay.baseUrl}/api/requests/${encodeURIComponent(id)}`)).text();
    let onOwner = '';
    await waitFor(async () => (onOwner = await text(owner)) !== '{"status":"pending"}', 5_000, 'the result on its owner');
    expect(onOwner).toBe(expected);
    expect(await text(other)).toBe(expected);
  });

  it('answers pending across instances, for a crawl still running and for a ping nobody answers yet', async () => {
    const [a, b, c] = relays as [RunningRelay, RunningRelay, RunningRelay];
    const ping = await accept(a, '/api/crawl/ping', { answer: 'none' });
    expect((await poll(b, ping)).json).toEqual({ status: 'pending' });
    expect((await poll(c, ping)).json).toEqual({ status: 'pending' });
    const answered = await accept(b, '/api/crawl/ping', { answer: 'hello' });
    await waitFor(async () => (await poll(c, answered)).json?.status === 'done', 10_000, 'the ping to be answered');
    expect((await poll(a, answered)).json).toEqual({ status: 'done', result: { pong: 'hello' } });
  });

  it('answers 404 within the lookup deadline for results of an owner that is gone, never a hang or a 5xx', async () => {
    const victim = relays[2]!;
    const survivors = relays.slice(0, 2);
    const ids = await Promise.all(Array.from({ length: 10 }, (_, i) => accept(victim, '/api/crawl', { url: `https://example.com/gone/${i}` })));
    for (const id of ids) await waitFor(async () => (await poll(survivors[0]!, id)).json?.status === 'done', 10_000, `${id} to be done`);
    await victim.stop();
    stopped.add(victim);

    // Its reply queue is still there (until it expires) and nobody consumes it: the lookup waits out its deadline.
    const waiting = poll(survivors[1]!, ids[0]!);
    await waitFor(
      async () => ((await fetch(`${survivors[1]!.baseUrl}/debug/actors`).then((r) => r.json())) as any).requests.some((r: any) => r.kind === 'lookup'),
      2_000,
      'the lookup to show on /debug/actors',
    );
    const afterStop = [await waiting, ...(await Promise.all(ids.slice(1).map((id, i) => poll(survivors[i % 2]!, id))))];
    report('owner stopped, reply queue left', { polls: afterStop.length, statuses: [...new Set(afterStop.map((p) => p.status))], maxMs: Math.round(Math.max(...afterStop.map((p) => p.ms))) });
    expect(afterStop.map((p) => p.status)).toEqual(afterStop.map(() => 404));
    expect(afterStop.map((p) => p.json.error.code)).toEqual(afterStop.map(() => 'NOT_FOUND'));

    // Its reply queue gone (expired): the lookup comes back unroutable.
    await deleteQueues(url, [victim.config.queues.reply]);
    const returned = () => Promise.all(survivors.map((r) => metricValue(r.baseUrl, 'relay_publishes_total{outcome="returned"}'))).then(([x, y]) => x! + y!);
    const before = await returned();
    const afterExpiry = await Promise.all(ids.map((id, i) => poll(survivors[i % 2]!, id)));
    report('owner stopped, reply queue gone', { polls: afterExpiry.length, statuses: [...new Set(afterExpiry.map((p) => p.status))], maxMs: Math.round(Math.max(...afterExpiry.map((p) => p.ms))) });
    expect(afterExpiry.map((p) => p.status)).toEqual(afterExpiry.map(() => 404));
    expect((await returned()) - before).toBe(ids.length);
    const lookups = (outcome: string) => Promise.all(survivors.map((r) => metricValue(r.baseUrl, `relay_lookups_total{outcome="${outcome}"}`))).then(([x, y]) => x! + y!);
    expect(await lookups('noAnswer')).toBe(ids.length);
    expect(await lookups('ownerGone')).toBe(ids.length);
  }, 60_000);

  it('answers 404 at once for an id whose prefix names no instance, and asks nobody when it is no queue name', async () => {
    const asker = relays[0]!;
    const sample = (outcome: string) => metricValue(asker.baseUrl, `relay_publishes_total{outcome="${outcome}"}`);
    const never = `never-${randomBytes(4).toString('hex')}.1`;
    const returnedBefore = await sample('returned');
    const forged = await poll(asker, never);
    expect(forged.status).toBe(404);
    expect((await sample('returned')) - returnedBefore).toBe(1);

    const published = async () => (await sample('returned')) + (await sample('confirmed')) + (await sample('nacked'));
    const before = await published();
    const invalid = await Promise.all(['a b.1', 'relay/x.1', '✓.1', `${'x'.repeat(240)}.1`, 'no-dot'].map((id) => poll(asker, id)));
    report('forged prefixes', { neverExistedMs: Math.round(forged.ms), invalidMaxMs: Math.round(Math.max(...invalid.map((p) => p.ms))) });
    expect(invalid.map((p) => p.status)).toEqual(invalid.map(() => 404));
    expect((await published()) - before).toBe(0);
  });
});
