import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
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
    else if (err.statusCode === 408) e = new GatewayError('GW_REQUEST_TIMEOUT', { cause: err });
    else if (err.statusCode === 413) e = new GatewayError('GW_BODY_TOO_LARGE', { cause: err });
    else if (err.statusCode === 415) e = new GatewayError('GW_UNSUPPORTED_MEDIA_TYPE', { cause: err });
    else if (err.statusCode === 431) e = new GatewayError('GW_HEADERS_TOO_LARGE', { cause: err });
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

/**
 * What fastify answers before routing (a URL that does not decode, a path parameter too long):
 * the same envelope. Passed to fastify as `frameworkErrors`; these skip the hooks, so the
 * headers every response carries are set here.
 */
export function frameworkErrorHandler(metrics: Metrics) {
  return (err: FastifyError, req: FastifyRequest, reply: FastifyReply): void => {
    const e = new GatewayError(err.statusCode === 404 ? 'GW_NOT_FOUND' : 'GW_INVALID_REQUEST', {
      cause: err,
    });
    metrics.errors.inc({ code: e.code });
    req.log.info({ code: e.code, reason: err.code }, 'request refused');
    void reply
      .status(e.status)
      .header('x-request-id', req.id)
      .header('x-content-type-options', 'nosniff')
      .send(e.toJSON());
  };
}

/**
 * Errors node:http raises on the socket before fastify sees a request (a request or its headers
 * too slow, headers too large, bytes that are not HTTP): answered with the same envelope, then the
 * connection is closed. Passed to fastify as `clientErrorHandler`.
 */
export function clientErrorHandler(metrics: Metrics) {
  return function onClientError(this: FastifyInstance, err: NodeJS.ErrnoException, socket: Socket): void {
    if (err.code === 'ECONNRESET' || socket.destroyed) return;
    const code: ErrorCode =
      err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? 'GW_REQUEST_TIMEOUT'
        : err.code === 'HPE_HEADER_OVERFLOW'
          ? 'GW_HEADERS_TOO_LARGE'
          : 'GW_INVALID_REQUEST';
    const e = new GatewayError(code);
    metrics.errors.inc({ code });
    this.log.debug({ code, reason: err.code }, 'client error on the connection');
    // Node's rule: answer only if no response on this socket has started.
    const inFlight = (socket as Socket & { _httpMessage?: { headersSent: boolean } })._httpMessage;
    if (socket.writable && !inFlight?.headersSent) {
      const body = JSON.stringify(e.toJSON());
      socket.end(
        `HTTP/1.1 ${e.status} ${STATUS_CODES[e.status]}\r\n` +
          'Content-Type: application/json; charset=utf-8\r\n' +
          `Content-Length: ${Buffer.byteLength(body)}\r\n` +
          'X-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n' +
          body,
      );
      // The client may still be sending: give the answer a moment to leave, then drop the socket.
      setTimeout(() => socket.destroy(), 1000).unref();
    } else socket.destroy();
  };
}
