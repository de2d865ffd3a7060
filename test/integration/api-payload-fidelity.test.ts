import fc from 'fast-check';
import type { ConsumeMessage } from 'amqplib';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { postJson, type RunningRelay, startRelay, uniqueQueues, waitFor } from '../support/relay-harness.ts';
import { deleteQueues, type ScriptedWorker, startScriptedWorker } from '../support/scripted-worker.ts';

/**
 * The relay never alters what a client sent: over valid bodies of every route, the worker gets a
 * body whose JSON text equals what the contract's wire section says, built from the client's own
 * values (whitespace at both ends, any unicode, escapes, awkward numbers, nested objects).
 */

const RUNS_PER_ROUTE = 25;

const anyText = fc.string({ unit: 'binary', maxLength: 12 });
const blank = fc.string({ unit: fc.constantFrom(' ', '\t', '\n', '\r', '\u00a0', '\u2003', '\ufeff'), maxLength: 3 });
const padded = fc.tuple(blank, anyText, blank).map(([a, b, c]) => a + b + c);
const nonBlank = fc.tuple(blank, anyText.filter((t) => t.trim() !== ''), blank).map(([a, b, c]) => a + b + c);
// A URL parser strips these (and only these) at both ends, so a valid URL may carry them.
const urlBlank = fc.string({ unit: fc.constantFrom(' ', '\t', '\n', '\r'), maxLength: 2 });
const paddedUrl = (url: fc.Arbitrary<string>) => fc.tuple(urlBlank, url, urlBlank).map(([a, b, c]) => a + b + c);
const awkwardNumber = fc.constantFrom(1e21, -0, 2 ** 53 + 2, 12345678901234567000, -1e-7, 0.1, 5e-324, 1.7976931348623157e308, -42);
const key = fc.oneof(padded, fc.constantFrom('__proto__', 'constructor', 'type', 'url', 'recipe_text', ''));

const { value } = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', maxDepth: 3 },
    padded,
    awkwardNumber,
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(key, tie('value'), { maxKeys: 3 }),
  ),
}));
const extras = fc.dictionary(key, value, { maxKeys: 4 });

interface Case {
  readonly path: string;
  readonly text: string;
  readonly async: boolean;
  /** The body's text the worker must get, per the wire contract, from the client's text. */
  readonly expected: (sent: string) => string;
}

/** A ping's body: `"type": "ping"` first, then the client's own text from its opening brace on (its own "type" wins, as in a spread). */
function pingOf(sent: string): string {
  const fields = JSON.parse(sent) as object;
  if (Object.hasOwn(fields, 'type')) return sent;
  if (Object.keys(fields).length === 0) return '{"type":"ping"}';
  return `{"type":"ping",${sent.slice(sent.indexOf('{') + 1)}`;
}

const crawlCase = fc
  .tuple(extras, paddedUrl(fc.webUrl({ withQueryParameters: true, withFragments: true })), fc.boolean())
  .map(([fields, url, async]): Case => ({ path: '/api/crawl', text: JSON.stringify({ ...fields, url }), async, expected: (sent) => sent }));
const pingCase = extras.map((fields): Case => ({ path: '/api/crawl/ping', text: JSON.stringify(fields), async: true, expected: pingOf }));
// Recipe and image bodies are built from the client's strings, which JSON serialises back to the same text.
const recipeCase = fc.tuple(extras, nonBlank).map(([fields, recipe_text]): Case => ({
  path: '/api/ai/recipe',
  text: JSON.stringify({ ...fields, recipe_text }),
  async: false,
  expected: (sent) => JSON.stringify({ type: 'recipe_analysis', recipe_text: JSON.parse(sent).recipe_text }),
}));
const s3Url = fc.tuple(fc.domain(), anyText).map(([bucket, name]) => `s3://${bucket}/${encodeURIComponent(name)}`);
const imageCase = fc.tuple(paddedUrl(fc.oneof(fc.webUrl(), s3Url)), fc.option(padded, { nil: undefined })).map(([s3_url, description]): Case => ({
  path: '/api/ai/image',
  text: JSON.stringify(description === undefined ? { s3_url } : { description, s3_url }),
  async: false,
  expected: (sent) => {
    const { s3_url: url, description: text } = JSON.parse(sent);
    return JSON.stringify({ type: 'image_analysis', s3_url: url, ...(text === undefined ? {} : { description: text }) });
  },
}));

/**
 * Numbers JavaScript cannot hold, and text that parsing and serialising again would change:
 * passed on as written, they reach the worker and the client exactly so.
 */
const AWKWARD_FIELDS = '"big": 12345678901234567891, "huge": 1e400, "float": 1.0, "negativeZero": -0, "exponent": 1E+2, "twice": 1, "twice": 2, "escaped": "\\u00e9\\/"';
const AWKWARD_JSON = `{ ${AWKWARD_FIELDS}, "list": [0.10, 2e-400] }\n`;
const ASK_FOR_AWKWARD_REPLY = 'reply with awkward JSON';

describe('payload fidelity: the worker gets every field exactly as the client sent it', () => {
  const url = inject('amqpUrl');
  const queues = uniqueQueues('fidelity');
  let relay: RunningRelay;
  let workers: ScriptedWorker[] = [];

  beforeAll(async () => {
    relay = await startRelay({ amqpUrl: url, env: { ...queues, CRAWL_TIMEOUT_MS: '5000', AI_TIMEOUT_MS: '5000' } });
    workers = await Promise.all(
      [queues.RABBITMQ_CRAWLING_REQUEST_QUEUE!, queues.AI_QUEUE_NAME!, queues.AI_IMAGE_QUEUE_NAME!].map((q) =>
        startScriptedWorker(url, q, ({ body, message }) =>
          body?.recipe_text === ASK_FOR_AWKWARD_REPLY || body?.reply === 'awkward'
            ? { kind: 'raw', content: Buffer.from(AWKWARD_JSON) }
            : { kind: 'reply', body: { echo: body, type: message.properties.type } },
        ),
      ),
    );
  });
  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    await relay?.stop();
    await deleteQueues(url, [...Object.values(queues), relay.config.queues.reply]);
  });

  const receivedBy = async (correlationId: string): Promise<ConsumeMessage> => {
    let found: ConsumeMessage | undefined;
    await waitFor(
      () => (found = workers.flatMap((w) => w.received).find((m) => m.properties.correlationId === correlationId)) !== undefined,
      5_000,
      `the worker to receive ${correlationId}`,
    );
    return found!;
  };

  const check = async (c: Case) => {
    const res = await postJson(relay.baseUrl, c.path, c.text, c.async ? { prefer: 'respond-async' } : {});
    expect(res.status, res.text).toBe(c.async ? 202 : 200);
    const message = await receivedBy(res.headers.get('x-correlation-id')!);
    expect(message.content.toString('utf8')).toBe(c.expected(c.text));
  };

  it.each([
    ['crawl', crawlCase],
    ['ping', pingCase],
    ['recipe', recipeCase],
    ['image', imageCase],
  ] as const)('%s', async (_route, cases) => {
    await fc.assert(fc.asyncProperty(cases, check), { numRuns: RUNS_PER_ROUTE });
  }, 60_000);

  it('passes a recipe text with whitespace at both ends through untrimmed, and still refuses a blank one', async () => {
    await check({ path: '/api/ai/recipe', text: JSON.stringify({ recipe_text: '  two eggs\n' }), async: false, expected: (sent) => JSON.stringify({ type: 'recipe_analysis', ...JSON.parse(sent) }) });
    for (const blankText of ['', ' ', '\n\t', '\u00a0']) {
      const res = await postJson(relay.baseUrl, '/api/ai/recipe', { recipe_text: blankText });
      expect(res.status).toBe(400);
      expect(res.json.error.code).toBe('INVALID_REQUEST');
    }
  });

  it('passes an own "__proto__" field of a crawl through', async () => {
    await check({ path: '/api/crawl', text: '{"url":"https://example.com/","__proto__":{"x":1}}', async: false, expected: (sent) => sent });
  });

  it('passes a crawl and a ping on as the client wrote them: numbers JavaScript cannot hold, spacing, repeated fields', async () => {
    const crawl = `  { "url" : "https://example.com/a" , ${AWKWARD_FIELDS} }  `;
    await check({ path: '/api/crawl', text: crawl, async: false, expected: (sent) => sent });
    await check({ path: '/api/crawl/ping', text: `{ ${AWKWARD_FIELDS} }`, async: true, expected: () => `{"type":"ping", ${AWKWARD_FIELDS} }` });
  });

  it("passes a worker's reply on to the client as the worker wrote it, answered at once or asked for later", async () => {
    const sync = await postJson(relay.baseUrl, '/api/ai/recipe', { recipe_text: ASK_FOR_AWKWARD_REPLY });
    expect(sync.status).toBe(200);
    expect(sync.text).toBe(AWKWARD_JSON);

    const accepted = await postJson(relay.baseUrl, '/api/crawl', { url: 'https://example.com/', reply: 'awkward' }, { prefer: 'respond-async' });
    expect(accepted.status).toBe(202);
    let result = '';
    await waitFor(
      async () => (result = (await fetch(`${relay.baseUrl}${accepted.headers.get('location')}`).then((r) => r.text()))) !== '{"status":"pending"}',
      5_000,
      'the async result',
    );
    expect(result).toBe(`{"status":"done","result":${AWKWARD_JSON}}`);
  });
});
