import { guardedGet, RefusedAddressError } from './guarded-fetch.ts';
import type { Handler, WorkResult } from './runtime.ts';

export interface CrawlerOptions {
  readonly timeoutMs: number;
  readonly maxBytes: number;
  /** CRAWLER_ALLOW_PRIVATE: crawl loopback, private, link-local and metadata addresses too. */
  readonly allowPrivate?: boolean;
}

const TITLE = /<title[^>]*>([\s\S]*?)<\/title>/i;

/**
 * Fetches the page (with a timeout and a size cap) and reports what it found. Addresses inside a
 * network are refused, after DNS resolution and on every redirect, unless `allowPrivate`.
 */
async function crawl(url: string, options: CrawlerOptions): Promise<WorkResult> {
  const started = performance.now();
  const signal = AbortSignal.timeout(options.timeoutMs);
  let bytes = 0;
  let truncated = false;
  const chunks: Buffer[] = [];
  let fetched: Awaited<ReturnType<typeof guardedGet>>;
  try {
    fetched = await guardedGet(url, { allowPrivate: options.allowPrivate ?? false, signal });
    for await (const chunk of fetched.response as AsyncIterable<Buffer>) {
      const room = options.maxBytes - bytes;
      if (chunk.length > room) {
        chunks.push(chunk.subarray(0, room));
        bytes += room;
        truncated = true;
        fetched.response.destroy();
        break;
      }
      chunks.push(chunk);
      bytes += chunk.length;
    }
  } catch (err) {
    if (err instanceof RefusedAddressError) {
      return { error: `refused to crawl ${url}: ${err.message} (the crawler only fetches public addresses; CRAWLER_ALLOW_PRIVATE=true allows others)` };
    }
    return { error: `fetch failed: ${err instanceof Error ? err.message : String(err)}` };
  }
  const { response } = fetched;
  const contentType = response.headers['content-type'] ?? null;
  const text = contentType?.includes('html') ? Buffer.concat(chunks).toString('utf8') : '';
  const title = TITLE.exec(text)?.[1]?.replace(/\s+/g, ' ').trim() ?? null;
  return {
    reply: {
      url,
      status: response.statusCode,
      finalUrl: fetched.url,
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
