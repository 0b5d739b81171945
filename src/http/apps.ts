import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppConfig } from '../config/index.js';
import { GatewayError } from '../errors.js';
import { checkIdentifier, type Session } from '../identity/index.js';
import type { RateCheck } from '../state/index.js';
import type { AppDeps } from './context.js';

/** The app by id; GW_INVALID_IDENTIFIER for an id no app could have, GW_UNKNOWN_APP for one no app has. */
export function appOf(deps: AppDeps, id: unknown): AppConfig {
  if (typeof id === 'string') checkIdentifier('app', id, 64);
  const app = typeof id === 'string' ? deps.apps.get(id) : undefined;
  if (!app) throw new GatewayError('GW_UNKNOWN_APP', { message: `No app "${String(id).slice(0, 64)}".` });
  return app;
}

/** The origin this gateway is reached at (pages it serves itself are always allowed). */
export function selfOrigin(req: FastifyRequest): string {
  return `${req.protocol}://${req.headers.host ?? ''}`;
}

/**
 * A browser request (one with an Origin header) must come from a page the app allows, or from
 * the gateway's own pages; a visitor session only from the page it was made for, and never with
 * no page at all. Other requests with no Origin (a host's backend, curl) are not browser requests
 * and pass.
 */
export function checkOrigin(req: FastifyRequest, app: AppConfig, session?: Session): void {
  if (session?.origin !== undefined && pageOf(req) !== session.origin) {
    throw new GatewayError('GW_ORIGIN_FORBIDDEN', {
      message: 'This visitor session works only from the page it was made for.',
    });
  }
  const origin = req.headers.origin;
  if (origin === undefined) return;
  const allowed = origin === selfOrigin(req) || app.allowedOrigins.includes(origin);
  if (!allowed) throw new GatewayError('GW_ORIGIN_FORBIDDEN');
}

/**
 * The page a request comes from. Browsers send Origin with every cross-origin request and every
 * POST; a same-origin GET (the gateway's own pages, or a gateway served under the site's origin)
 * carries none, and is known by `Sec-Fetch-Site: same-origin` or its Referer instead.
 */
function pageOf(req: FastifyRequest): string | undefined {
  if (req.headers.origin !== undefined) return req.headers.origin;
  if (req.headers['sec-fetch-site'] === 'same-origin') return selfOrigin(req);
  try {
    return req.headers.referer === undefined ? undefined : new URL(req.headers.referer).origin;
  } catch {
    return undefined;
  }
}

/** GW_RATE_LIMITED with Retry-After when one of the rules is spent. */
export async function enforce(deps: AppDeps, reply: FastifyReply, rules: RateCheck[]): Promise<void> {
  const r = await deps.limiter.check(rules);
  if (!r.allowed) {
    reply.header('retry-after', String(r.retryAfterSeconds));
    throw new GatewayError('GW_RATE_LIMITED', {
      message: `Too many requests; try again in ${r.retryAfterSeconds} s.`,
      details: { limit: r.rule, retry_after: r.retryAfterSeconds },
    });
  }
}

/** Admin endpoints need `Authorization: Bearer <GATEWAY_ADMIN_TOKEN>`, compared in constant time. */
export function requireAdmin(deps: AppDeps, req: FastifyRequest): void {
  const expected = deps.config.adminToken;
  if (!expected) {
    throw new GatewayError('GW_ADMIN_FORBIDDEN', {
      message: 'Admin endpoints are off (GATEWAY_ADMIN_TOKEN is not set).',
    });
  }
  const given = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1] ?? '';
  // Digests have one length, so the comparison takes the same time whatever was sent.
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  if (!timingSafeEqual(a, b)) throw new GatewayError('GW_ADMIN_FORBIDDEN');
}
