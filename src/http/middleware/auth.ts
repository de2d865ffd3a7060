import { timingSafeEqual } from 'node:crypto';
import type { Middleware } from 'koa';
import { RelayError } from '../../errors.ts';
import type { RelayState } from '../context.ts';

// Case-insensitive, as the routers match paths: /API/crawl must not slip past the check.
const PROTECTED = /^\/(?:api|metrics|debug)(?:\/|$)/i;
// The live page holds no data (its event stream does, and stays protected).
const PUBLIC_PAGE = /^\/debug\/inspector\/?$/i;

function matches(candidate: string, tokens: readonly Buffer[]): boolean {
  const given = Buffer.from(candidate);
  let ok = false;
  for (const token of tokens) ok = (given.length === token.length && timingSafeEqual(given, token)) || ok;
  return ok;
}

/** With API_TOKENS set, /api, /metrics and /debug need a bearer token; checked before any body is read. */
export function bearerAuth(tokens: readonly string[]): Middleware<RelayState> {
  const accepted = tokens.map((t) => Buffer.from(t));
  return async (ctx, next) => {
    const route = ctx.state.route;
    if (accepted.length > 0 && !PUBLIC_PAGE.test(ctx.path) && (PROTECTED.test(ctx.path) || (route !== undefined && PROTECTED.test(route)))) {
      const header = ctx.get('authorization');
      const token = /^Bearer\s+(.+)$/i.exec(header)?.[1]?.trim();
      if (!token || !matches(token, accepted)) {
        throw new RelayError('UNAUTHORIZED', 'a valid bearer token is required', { 'WWW-Authenticate': 'Bearer' });
      }
    }
    await next();
  };
}
