import type { FastifyError, FastifyInstance } from 'fastify';
import { type ErrorCode, GatewayError, isGatewayError } from '../errors.js';
import type { Metrics } from '../observability/index.js';

const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'GW_BODY_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'GW_UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'GW_INVALID_JSON',
  FST_ERR_CTP_INVALID_JSON_BODY: 'GW_INVALID_JSON',
};

/** Every error leaves as `{ error: { code, message } }` with the status of the code table. */
export function installErrorHandling(app: FastifyInstance, metrics: Metrics): void {
  app.setErrorHandler((err: FastifyError | GatewayError, req, reply) => {
    let e: GatewayError;
    if (isGatewayError(err)) e = err;
    else if (err.code && FASTIFY_CODES[err.code])
      e = new GatewayError(FASTIFY_CODES[err.code], { cause: err });
    else if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
      e = new GatewayError('GW_INVALID_REQUEST', { cause: err });
    } else e = new GatewayError('GW_INTERNAL', { cause: err });

    metrics.errors.inc({ code: e.code });
    // A bug (GW_INTERNAL) is an error with its stack; an upstream failure a warning without one.
    if (e.code === 'GW_INTERNAL') req.log.error({ err: e, code: e.code }, 'request failed');
    else if (e.status >= 500) req.log.warn({ err: e, code: e.code, cozeLogId: e.logId }, 'request failed');
    else req.log.info({ code: e.code }, 'request refused');
    return reply.status(e.status).send(e.toJSON());
  });
  app.setNotFoundHandler((_req, reply) => {
    const e = new GatewayError('GW_NOT_FOUND', { message: 'No such endpoint.' });
    return reply.status(e.status).send(e.toJSON());
  });
}
