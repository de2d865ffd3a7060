import { timingSafeEqual } from 'node:crypto';
import { RelayError } from '../../errors.ts';

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

/** True for the paths that need a bearer token when API_TOKENS is set (also what /openapi.json marks with `security`). */
export function requiresToken(path: string, route?: string): boolean {
  return !PUBLIC_PAGE.test(path) && (PROTECTED.test(path) || (route !== undefined && PROTECTED.test(route)));
}

/** With API_TOKENS set, /api, /metrics and /debug need a bearer token: throws UNAUTHORIZED otherwise. */
export function bearerCheck(tokens: readonly string[]): (path: string, route: string | undefined, authorization: string) => void {
  const accepted = tokens.map((t) => Buffer.from(t));
  return (path, route, authorization) => {
    if (accepted.length === 0 || !requiresToken(path, route)) return;
    const token = /^Bearer\s+(.+)$/i.exec(authorization)?.[1]?.trim();
    if (!token || !matches(token, accepted)) {
      throw new RelayError('UNAUTHORIZED', 'a valid bearer token is required', { 'WWW-Authenticate': 'Bearer' });
    }
  };
}
