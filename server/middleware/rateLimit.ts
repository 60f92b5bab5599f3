import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context, MiddlewareHandler } from 'hono';
import { errorBody } from '../errors.ts';

export interface RateLimitOptions {
  /** Requests per client per minute; 0 turns the limit off. */
  perMinute: number;
  /** Client addresses never limited (e.g. kiosks behind one gateway). */
  exempt: string[];
  /** Take the client address from X-Forwarded-For (only behind a proxy that sets it). */
  trustProxy: boolean;
  now?: () => number;
}

/** The client's address: the socket peer, or the first X-Forwarded-For hop when the proxy is trusted. */
export function clientAddress(c: Context, trustProxy: boolean): string {
  if (trustProxy) {
    const xff = c.req.header('x-forwarded-for')?.split(',')[0]?.trim();
    if (xff) return xff;
  }
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    return 'unknown'; // in-process requests (tests) have no socket
  }
}

/**
 * A fixed-window limit per client and minute, in memory (one process serves a district; replicas behind a
 * load balancer would share it through the gateway's limit instead). 429 with Retry-After past the limit.
 */
export function rateLimit(opts: RateLimitOptions): MiddlewareHandler {
  const now = opts.now ?? Date.now;
  const windows = new Map<string, { start: number; count: number }>();
  const exempt = new Set(opts.exempt);
  return async (c, next) => {
    if (opts.perMinute <= 0) return next();
    const key = clientAddress(c, opts.trustProxy);
    if (exempt.has(key)) return next();
    const t = now();
    let w = windows.get(key);
    if (!w || t - w.start >= 60_000) {
      w = { start: t, count: 0 };
      windows.set(key, w);
      if (windows.size > 50_000) for (const [k, v] of windows) if (t - v.start >= 60_000) windows.delete(k);
    }
    w.count++;
    if (w.count > opts.perMinute) {
      c.header('Retry-After', String(Math.ceil((w.start + 60_000 - t) / 1000)));
      return c.json(errorBody('rate_limited', '您的提问太频繁了，请稍等一分钟再试。'), 429);
    }
    return next();
  };
}
