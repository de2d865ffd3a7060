import type { Handler, WorkResult } from './runtime.ts';

export interface CrawlerOptions {
  readonly timeoutMs: number;
  readonly maxBytes: number;
}

const TITLE = /<title[^>]*>([\s\S]*?)<\/title>/i;

/** Fetches the page (with a timeout and a size cap) and reports what it found. */
async function crawl(url: string, options: CrawlerOptions): Promise<WorkResult> {
  const started = performance.now();
  let response: Response;
  try {
    response = await fetch(url, { redirect: 'follow', signal: AbortSignal.timeout(options.timeoutMs) });
  } catch (err) {
    return { error: `fetch failed: ${err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err)}` };
  }
  let bytes = 0;
  let truncated = false;
  const chunks: Buffer[] = [];
  if (response.body) {
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      const room = options.maxBytes - bytes;
      if (chunk.length > room) {
        chunks.push(Buffer.from(chunk.subarray(0, room)));
        bytes += room;
        truncated = true;
        break;
      }
      chunks.push(Buffer.from(chunk));
      bytes += chunk.length;
    }
  }
  const contentType = response.headers.get('content-type');
  const text = contentType?.includes('html') ? Buffer.concat(chunks).toString('utf8') : '';
  const title = TITLE.exec(text)?.[1]?.replace(/\s+/g, ' ').trim() ?? null;
  return {
    reply: {
      url,
      status: response.status,
      finalUrl: response.url,
      contentType,
      title,
      bytes,
      truncated,
      elapsedMs: Math.round(performance.now() - started),
    },
  };
}

/** The crawling service: `crawl` fetches the page, `ping` answers with a pong. */
export function crawlingHandler(options: CrawlerOptions): Handler {
  return async ({ body, type }) => {
    const request = (body ?? {}) as { url?: unknown; type?: unknown };
    if (type === 'ping' || request.type === 'ping') return { reply: { type: 'pong', at: new Date().toISOString() } };
    if (typeof request.url !== 'string') return { error: 'the request has no url' };
    return crawl(request.url, options);
  };
}
