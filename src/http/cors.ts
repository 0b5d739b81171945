import type { FastifyInstance } from 'fastify';
import { GatewayError } from '../errors.js';
import { selfOrigin } from './apps.js';
import type { AppDeps } from './context.js';

const ALLOW_HEADERS = 'authorization, content-type, idempotency-key, last-event-id, x-request-id';

/**
 * CORS for pages of the apps' allowed origins. A preflight is answered for an origin some app
 * allows (the app of the actual request is checked again by the route, once it is known); any
 * request from an origin no app allows is refused with 403 GW_ORIGIN_FORBIDDEN.
 */
export function installCors(app: FastifyInstance, deps: AppDeps): void {
  const known = new Set([...deps.apps.values()].flatMap((a) => a.allowedOrigins));
  app.addHook('onRequest', async (req, reply) => {
    const origin = req.headers.origin;
    if (origin === undefined) return;
    if (origin !== selfOrigin(req) && !known.has(origin)) throw new GatewayError('GW_ORIGIN_FORBIDDEN');
    reply.header('access-control-allow-origin', origin);
    reply.header('vary', 'Origin');
    reply.header('access-control-expose-headers', 'retry-after, x-request-id');
    if (req.method === 'OPTIONS') {
      reply.header('access-control-allow-methods', 'GET, POST, OPTIONS');
      reply.header('access-control-allow-headers', ALLOW_HEADERS);
      reply.header('access-control-max-age', '600');
      return reply.status(204).send();
    }
  });
}
