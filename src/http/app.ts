import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { GatewayError } from '../errors.js';
import { newId } from '../ids.js';
import type { AppDeps } from './context.js';
import { installCors } from './cors.js';
import { installErrorHandling } from './errors.js';
import { chatRoutes } from './routes/chat.js';
import { conversationRoutes } from './routes/conversations.js';
import { healthRoutes } from './routes/health.js';
import { pageRoutes } from './routes/pages.js';
import { sessionRoutes } from './routes/sessions.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The body as it arrived: signatures are computed over these exact bytes. */
    rawBody?: string;
  }
}

export function buildApp(deps: AppDeps): FastifyInstance {
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    bodyLimit: deps.config.server.bodyLimitBytes,
    trustProxy: deps.config.server.trustProxy,
    requestIdHeader: 'x-request-id',
    genReqId: () => newId('rq'),
    return503OnClosing: true,
  });

  // JSON bodies are kept raw too (for HMAC signatures) and parsed here so errors carry our codes.
  // Only JSON is accepted (a text/plain or form body gets 415 GW_UNSUPPORTED_MEDIA_TYPE).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    req.rawBody = body as string;
    if ((body as string).length === 0) return done(null, undefined);
    try {
      done(null, JSON.parse(body as string));
    } catch (cause) {
      done(new GatewayError('GW_INVALID_JSON', { cause }), undefined);
    }
  });

  app.addHook('onSend', async (req, reply) => {
    reply.header('x-request-id', req.id);
  });

  installErrorHandling(app, deps.metrics);
  installCors(app, deps);
  healthRoutes(app, deps);
  sessionRoutes(app, deps);
  chatRoutes(app, deps);
  conversationRoutes(app, deps);
  pageRoutes(app);
  return app;
}
