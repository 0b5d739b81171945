import type { IncomingMessage } from 'node:http';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { GatewayError } from '../errors.js';
import { addressBucket, normalizeAddress } from '../identity/index.js';
import { newId } from '../ids.js';
import type { AppDeps } from './context.js';
import { installCors } from './cors.js';
import { clientErrorHandler, frameworkErrorHandler, installErrorHandling } from './errors.js';
import { chatRoutes } from './routes/chat.js';
import { conversationRoutes } from './routes/conversations.js';
import { healthRoutes } from './routes/health.js';
import { pageRoutes } from './routes/pages.js';
import { sessionRoutes } from './routes/sessions.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The body as it arrived: signatures are computed over these exact bytes. */
    rawBody?: string;
    /** The client's address in one spelling (`::ffff:1.2.3.4` is `1.2.3.4`): for allowlists and logs. */
    readonly clientAddress: string;
    /** The client's key in per-address rate limits: its IPv4 address, or its IPv6 prefix. */
    readonly addressKey: string;
  }
}

/** A client's X-Request-Id is kept only when short and plain; otherwise the gateway makes one. */
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

function requestId(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : newId('rq');
}

export function buildApp(deps: AppDeps): FastifyInstance {
  const { server } = deps.config;
  const timeouts = server.timeouts;
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    bodyLimit: server.bodyLimitBytes,
    // Only the proxies named in TRUST_PROXY (addresses/CIDRs) may tell the client's address.
    trustProxy: server.trustProxy === false ? false : [...server.trustProxy],
    requestIdHeader: false,
    genReqId: requestId,
    // Slow clients: the whole request and its headers must arrive in time (then 408
    // GW_REQUEST_TIMEOUT); idle keep-alive and silent connections are closed.
    requestTimeout: timeouts.requestMs,
    keepAliveTimeout: timeouts.keepAliveMs,
    connectionTimeout: timeouts.idleMs,
    http: {
      headersTimeout: timeouts.headersMs,
      // Node checks the two timeouts above this often (its default, 30 s, would let them overrun).
      connectionsCheckingInterval: Math.min(5000, Math.max(100, Math.floor(timeouts.headersMs / 4))),
    },
    clientErrorHandler: clientErrorHandler(deps.metrics),
    frameworkErrors: frameworkErrorHandler(deps.metrics),
    // While closing, new requests get GW_SHUTTING_DOWN from the hook below, not fastify's own body.
    return503OnClosing: false,
  });

  app.decorateRequest('clientAddress', {
    getter(this: { ip: string }) {
      return normalizeAddress(this.ip);
    },
  });
  app.decorateRequest('addressKey', {
    getter(this: { ip: string }) {
      return addressBucket(this.ip, server.ipv6Prefix);
    },
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

  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onRequest', async (req, reply) => {
    // Set here, so streams that write their own head (SSE) carry them too.
    reply.header('x-request-id', req.id);
    reply.header('x-content-type-options', 'nosniff');
    if (closing) {
      reply.header('connection', 'close');
      throw new GatewayError('GW_SHUTTING_DOWN');
    }
  });
  installSecurityHeaders(app);

  installErrorHandling(app, deps.metrics);
  installCors(app, deps);
  healthRoutes(app, deps);
  sessionRoutes(app, deps);
  chatRoutes(app, deps);
  conversationRoutes(app, deps);
  pageRoutes(app);
  return app;
}

/**
 * The gateway's own pages (the demo pages) load only their own files: no inline script or style,
 * no framing, no plugins. The widget styles its shadow root with a constructed stylesheet, which
 * `style-src 'self'` allows.
 */
const PAGE_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: https:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * Every response: `X-Content-Type-Options: nosniff`. HTML (the demo pages): `PAGE_POLICY` and no
 * framing. `/widget.js` keeps being loadable by other sites (no CORP/CSP that blocks it there).
 */
function installSecurityHeaders(app: FastifyInstance): void {
  app.addHook('onSend', async (_req, reply, payload) => {
    reply.header('x-content-type-options', 'nosniff');
    if (!String(reply.getHeader('content-type') ?? '').startsWith('text/html')) return payload;
    reply.header('content-security-policy', PAGE_POLICY);
    reply.header('x-frame-options', 'DENY');
    reply.header('referrer-policy', 'no-referrer');
    return payload;
  });
}
