import type Router from '@koa/router';
import { RelayError } from '../errors.ts';
import type { RelayState } from './context.ts';

interface RouteLayer {
  readonly path: string | RegExp;
  readonly methods: readonly string[];
  readonly paramNames: readonly unknown[];
  match(path: string): boolean;
}

/**
 * What the edge needs to know about the routes before any of them runs, computed once at start:
 * the route template of a path (for labels and the token check) and, on a 404, the methods a
 * known path does allow (405 with Allow).
 */
export class RouteTable {
  private readonly exact = new Map<string, string>();
  private readonly patterns: RouteLayer[] = [];

  constructor(private readonly routers: readonly Router<RelayState>[]) {
    for (const router of routers) {
      const layers: readonly RouteLayer[] = router.stack;
      for (const layer of layers) {
        if (layer.methods.length === 0) continue;
        if (layer.paramNames.length === 0 && typeof layer.path === 'string') {
          if (!this.exact.has(layer.path.toLowerCase())) this.exact.set(layer.path.toLowerCase(), layer.path);
        } else {
          this.patterns.push(layer);
        }
      }
    }
  }

  /** The route template serving `path` (case and a trailing slash ignored, as the routers match), if any. */
  routeOf(path: string): string | undefined {
    const key = path.length > 1 && path.endsWith('/') ? path.slice(0, -1).toLowerCase() : path.toLowerCase();
    const exact = this.exact.get(key);
    if (exact !== undefined) return exact;
    for (const layer of this.patterns) if (layer.match(path)) return String(layer.path);
    return undefined;
  }

  /**
   * After no route answered: a known path with a method it does not serve is 405 with Allow (an
   * OPTIONS request is answered 204 with Allow); an unknown path is 404.
   */
  refuse(ctx: { method: string; path: string; status: number; set(field: string, value: string): void }): void {
    const allowed = new Set<string>();
    for (const router of this.routers) {
      for (const layer of router.match(ctx.path, ctx.method).path) for (const m of layer.methods) allowed.add(m);
    }
    if (allowed.size === 0) throw new RelayError('NOT_FOUND', `no route for ${ctx.method} ${ctx.path}`);
    const allow = [...allowed].join(', ');
    if (ctx.method === 'OPTIONS') {
      ctx.status = 204;
      ctx.set('Allow', allow);
      return;
    }
    throw new RelayError('METHOD_NOT_ALLOWED', `${ctx.method} is not allowed on ${ctx.path}`, { Allow: allow });
  }
}
