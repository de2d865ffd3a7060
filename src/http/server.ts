import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { ReleasingMap } from '../releasing-map.ts';

export interface HttpServerOptions {
  /** A connection that has not sent a request's complete headers in this time is closed. */
  readonly headersTimeoutMs: number;
  /** A connection that has not sent a complete request (headers and body) in this time is closed. */
  readonly requestTimeoutMs: number;
}

export interface HttpServer {
  readonly server: Server;
  /**
   * Resolves true once every response begun so far has been written out (event streams aside:
   * they never end by themselves), or false after `timeoutMs`.
   */
  answered(timeoutMs: number): Promise<boolean>;
}

/**
 * Node checks both timeouts only every `connectionsCheckingInterval` (30 s by default, so a
 * 2 s headers timeout fired after 30 s): check often enough that they fire about on time.
 */
function connectionsCheckingInterval(options: HttpServerOptions): number {
  return Math.min(1_000, Math.max(50, Math.floor(Math.min(options.headersTimeoutMs, options.requestTimeoutMs) / 4)));
}

/** The HTTP server of the relay, with its slow-client timeouts, and knowing which answers are still unwritten. */
export function createHttpServer(handler: (req: IncomingMessage, res: ServerResponse) => void, options: HttpServerOptions): HttpServer {
  // Keyed by a number, not by the response: a Map's superseded tables keep their keys (releasing-map.ts).
  const open = new ReleasingMap<number, ServerResponse>();
  let opened = 0;
  const server = createServer(
    {
      headersTimeout: options.headersTimeoutMs,
      requestTimeout: options.requestTimeoutMs,
      connectionsCheckingInterval: connectionsCheckingInterval(options),
    },
    (req, res) => {
      const key = opened++;
      open.set(key, res);
      const done = () => open.delete(key);
      res.once('finish', done);
      res.once('close', done);
      handler(req, res);
    },
  );
  const unwritten = () => {
    for (const res of open.values()) if (!String(res.getHeader('content-type') ?? '').startsWith('text/event-stream')) return true;
    return false;
  };
  return {
    server,
    answered: async (timeoutMs) => {
      const deadline = Date.now() + timeoutMs;
      while (unwritten()) {
        if (Date.now() >= deadline) return false;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      return true;
    },
  };
}
