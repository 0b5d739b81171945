import type { FastifyInstance } from 'fastify';
import { appAsWritten } from '../../config/index.js';
import { appOf, requireAdmin } from '../apps.js';
import type { AppDeps } from '../context.js';

type Check = 'ok' | string;

/** Liveness, readiness (database, state store, a Coze token), metrics, and what the upstream is. */
export function healthRoutes(app: FastifyInstance, deps: AppDeps): void {
  app.get('/health', async () => ({ status: 'ok' }));

  app.get('/ready', async (_req, reply) => {
    const checks: Record<string, Check> = {};
    const probe = async (name: string, fn: () => Promise<unknown>) => {
      try {
        await fn();
        checks[name] = 'ok';
      } catch (e) {
        const code = (e as { code?: string }).code;
        checks[name] = typeof code === 'string' ? code : 'unavailable';
      }
    };
    await Promise.all([
      probe('ledger', () => deps.ledger.ping()),
      probe('store', () => deps.store.ping()),
      // A token for a fixed session name: cached, so a ready probe costs one exchange per TTL.
      probe('coze_token', () => deps.tokens.getToken('coze-gateway:ready')),
    ]);
    const ready = Object.values(checks).every((c) => c === 'ok');
    return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', checks });
  });

  // With GATEWAY_ADMIN_TOKEN set, metrics need it (Prometheus: `authorization.credentials`).
  app.get('/metrics', async (req, reply) => {
    if (deps.config.adminToken) requireAdmin(deps, req);
    reply.header('content-type', deps.metrics.registry.contentType);
    return deps.metrics.registry.metrics();
  });

  // What a page needs to know of an app before it has a session (?app=, default `default`).
  app.get('/v1/meta', async (req) => {
    const target = appOf(deps, (req.query as { app?: string }).app ?? 'default');
    return {
      name: 'coze-gateway',
      app: target.id,
      upstream: { mode: deps.upstream.mode, base_url: deps.upstream.baseUrl },
      visitors: target.visitors,
      max_message_chars: target.maxMessageChars,
    };
  });

  // Admin: the apps as the apps file writes them, secrets masked.
  app.get('/admin/apps', async (req) => {
    requireAdmin(deps, req);
    return { apps: [...deps.apps.values()].map(appAsWritten) };
  });
}
