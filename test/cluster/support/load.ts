import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Mixed crawl / recipe / image load whose replies can be checked against the request that caused them. */

export type Kind = 'crawl' | 'recipe' | 'image';
const KINDS: readonly Kind[] = ['crawl', 'recipe', 'image'];

export interface Outcome {
  readonly index: number;
  readonly kind: Kind;
  readonly target: string;
  /** HTTP status, or 'connection' (refused/reset) or 'hung' (no answer before the client gave up). */
  readonly status: number | 'connection' | 'hung';
  /** 200 and the body is the answer to this very request. */
  readonly matches: boolean;
  readonly correlationId: string | null;
  readonly code: string | null;
  readonly ms: number;
}

/** A tiny site for the reference crawler: /page/<n> has the title "page <n>". */
export async function startSite(): Promise<{ base: string; server: Server; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const n = /^\/page\/(\d+)$/.exec(req.url ?? '')?.[1];
    if (!n) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(`<html><head><title>page ${n}</title></head><body>${n}</body></html>`);
  });
  server.keepAliveTimeout = 1_000;
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

function requestFor(kind: Kind, index: number, site: string, tag: string): { path: string; body: unknown; check: (reply: any) => boolean } {
  switch (kind) {
    case 'crawl': {
      const url = `${site}/page/${index}`;
      return { path: '/api/crawl', body: { url }, check: (r) => r?.url === url && r?.title === `page ${index}` && r?.status === 200 };
    }
    case 'recipe': {
      const text = `${tag} request ${index}: 2 eggs and 100 g flour. Bake 20 min.`;
      return { path: '/api/ai/recipe', body: { recipe_text: text }, check: (r) => r?.type === 'recipe_analysis' && r?.inputSha256 === sha256(text) };
    }
    case 'image': {
      const s3 = `https://bucket.example/${tag}/${index}.jpg`;
      return { path: '/api/ai/image', body: { s3_url: s3, description: `plate ${index}` }, check: (r) => r?.type === 'image_analysis' && r?.s3Url === s3 };
    }
  }
}

export async function sendOne(baseUrl: string, kind: Kind, index: number, site: string, tag: string, giveUpMs: number): Promise<Outcome> {
  const { path, body, check } = requestFor(kind, index, site, tag);
  const started = performance.now();
  const base = { index, kind, target: baseUrl };
  try {
    const res = await fetch(`${baseUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(giveUpMs),
    });
    const json: any = await res.json().catch(() => undefined);
    return {
      ...base,
      status: res.status,
      matches: res.status === 200 && check(json),
      correlationId: res.headers.get('x-correlation-id'),
      code: json?.error?.code ?? null,
      ms: performance.now() - started,
    };
  } catch (err) {
    const hung = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
    return { ...base, status: hung ? 'hung' : 'connection', matches: false, correlationId: null, code: null, ms: performance.now() - started };
  }
}

export interface LoadOptions {
  readonly total: number;
  readonly concurrency: number;
  /** Which relay the i-th request goes to. */
  readonly targetOf: (index: number) => string | undefined;
  readonly site: string;
  readonly tag: string;
  readonly giveUpMs: number;
  readonly firstIndex?: number;
  /** The kinds sent, in turn (default: crawl, recipe, image). */
  readonly kinds?: readonly Kind[];
  /** Called after each answer (e.g. to kill something half-way). */
  readonly onAnswer?: (done: number) => void;
  /** Checked before each request: true stops sending (what was sent is still awaited). */
  readonly stop?: () => boolean;
}

/** Sends `total` requests, kinds in turn, at most `concurrency` at a time. */
export async function runLoad(options: LoadOptions): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  let next = 0;
  const first = options.firstIndex ?? 0;
  const kinds = options.kinds ?? KINDS;
  const lane = async () => {
    while (next < options.total && !options.stop?.()) {
      const index = first + next++;
      const target = options.targetOf(index);
      if (!target) continue;
      const kind = kinds[index % kinds.length]!;
      outcomes.push(await sendOne(target, kind, index, options.site, options.tag, options.giveUpMs));
      options.onAnswer?.(outcomes.length);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, lane));
  return outcomes;
}

/** sent / 200 / 503 / 504 / other / connection / hung, as the chaos reports show them. */
export function tally(outcomes: readonly Outcome[]): Record<string, number> {
  const counts: Record<string, number> = { sent: outcomes.length, ok: 0, mismatched: 0, s503: 0, s504: 0, other: 0, connection: 0, hung: 0 };
  for (const o of outcomes) {
    if (o.status === 200) counts[o.matches ? 'ok' : 'mismatched']!++;
    else if (o.status === 503) counts.s503!++;
    else if (o.status === 504) counts.s504!++;
    else if (o.status === 'connection') counts.connection!++;
    else if (o.status === 'hung') counts.hung!++;
    else counts.other!++;
    if (o.code) counts[`code:${o.code}`] = (counts[`code:${o.code}`] ?? 0) + 1;
  }
  return counts;
}
