import type { FastifyInstance } from 'fastify';
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

  app.get('/metrics', async (_req, reply) => {
    reply.header('content-type', deps.metrics.registry.contentType);
    return deps.metrics.registry.metrics();
  });

  app.get('/v1/meta', async () => ({
    name: 'coze-gateway',
    upstream: { mode: deps.upstream.mode, base_url: deps.upstream.baseUrl },
    visitors: deps.config.identity.visitors,
    max_message_chars: deps.config.turns.maxMessageChars,
  }));
}
