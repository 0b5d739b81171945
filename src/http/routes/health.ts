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
    await Promise.all([probe('ledger', () => deps.ledger.ping()), probe('store', () => deps.store.ping())]);
    // Remembered from the start-up check (re-checked in the background when stale): no Coze call
    // per probe, and a wrong or unreachable credential is not ready.
    checks.coze_token = await deps.credential.current();
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
      // Where the upstream lives is the operator's business, not a visitor's.
      upstream: { mode: deps.upstream.mode },
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
