import type { OutgoingHttpHeaders } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { AppConfig } from '../../config/index.js';
import { ERRORS, GatewayError } from '../../errors.js';
import { checkIdentifier, principalOf, type Session } from '../../identity/index.js';
import { compositeKey } from '../../keys.js';
import type { StartedTurn } from '../../turns/index.js';
import { enforce } from '../apps.js';
import { type AppDeps, requireSession } from '../context.js';
import { formatEvent, SSE_HEADERS, startHeartbeat } from '../sse.js';
import { StreamSlots } from '../stream-slots.js';
import { identifier, isPrintable, parseBody } from '../validate.js';

const chatBody = z.object({
  message: z.string(),
  conversation_id: identifier(64).optional(),
});

async function startTurn(
  deps: AppDeps,
  req: FastifyRequest,
  reply: FastifyReply,
  /** Called once the request is valid, before limits are spent (a stream takes its place here). */
  admit?: (session: Session, app: AppConfig) => void,
): Promise<StartedTurn> {
  const { session, app } = await requireSession(deps, req);
  const body = parseBody(chatBody, req.body);
  const message = body.message.trim();
  if (message.length === 0) {
    throw new GatewayError('GW_INVALID_REQUEST', { message: 'Invalid field "message": must not be empty' });
  }
  if (message.length > app.maxMessageChars) {
    throw new GatewayError('GW_MESSAGE_TOO_LONG', {
      message: `The message is too long (at most ${app.maxMessageChars} characters).`,
    });
  }
  if (!isPrintable(message)) {
    throw new GatewayError('GW_INVALID_REQUEST', {
      message: 'Invalid field "message": must not contain control characters',
    });
  }
  admit?.(session, app);
  // Only a valid message from a valid session spends a token: per user, per address, per app.
  await enforce(deps, reply, [
    { name: 'user', key: compositeKey('user', app.id, principalOf(session)), rule: app.rateLimits.user },
    { name: 'ip', key: compositeKey('ip', app.id, req.addressKey), rule: app.rateLimits.ip },
    { name: 'app', key: app.id, rule: app.rateLimits.app },
  ]);
  const raw = req.headers['idempotency-key'];
  const key = raw === undefined ? undefined : checkIdentifier('Idempotency-Key', raw);
  if (key !== undefined && !/^[\x21-\x7e]{1,128}$/.test(key)) {
    throw new GatewayError('GW_INVALID_IDENTIFIER', {
      message: 'Idempotency-Key must be 1-128 printable characters, without spaces.',
      details: { field: 'Idempotency-Key' },
    });
  }
  return deps.runner.start(session, app, {
    message,
    conversationId: body.conversation_id,
    idempotencyKey: key,
  });
}

/**
 * Writes a turn's events after `afterId` as SSE until its end: its `done` or `error`, or at once
 * when the client has seen that already (see followTurn). A browser that goes away stops only its
 * own copy: the turn runs on and is recorded (or, with CANCEL_ON_DISCONNECT, the turn it started
 * is canceled upstream). `release` gives the stream's place back when the response closes.
 */
async function streamTurn(
  deps: AppDeps,
  req: FastifyRequest,
  reply: FastifyReply,
  turnId: string,
  afterId: number,
  cancelOnClose: boolean,
  release: () => void,
): Promise<void> {
  reply.hijack();
  const res = reply.raw;
  // Headers set so far (CORS, request id) go out with the stream's own.
  res.writeHead(200, {
    ...(reply.getHeaders() as OutgoingHttpHeaders),
    ...SSE_HEADERS,
    'x-request-id': req.id,
  });
  const stopHeartbeat = startHeartbeat(res, deps.config.server.sseHeartbeatMs);
  let finished = false;
  let closed = false;
  // Events produced in one go (several deltas from one chunk of Coze's stream) leave in one write.
  let corked = false;
  const write = (chunk: string) => {
    if (!corked) {
      corked = true;
      res.cork();
      process.nextTick(() => {
        corked = false;
        res.uncork();
      });
    }
    res.write(chunk);
  };
  let unsubscribe: (() => void) | undefined;
  // 'close' comes once the response has ended, or when the client went away first (perhaps
  // already, while the turn was being looked up).
  const onClose = () => {
    if (closed) return;
    closed = true;
    release();
    stopHeartbeat();
    unsubscribe?.();
    if (!finished && cancelOnClose) deps.runner.cancel(turnId);
  };
  res.on('close', onClose);
  if (res.destroyed) onClose();
  const end = () => {
    finished = true;
    stopHeartbeat();
    if (!closed) res.end();
  };
  try {
    unsubscribe = await deps.runner.follow(
      turnId,
      afterId,
      (e) => {
        if (!closed) write(formatEvent(e));
      },
      end,
    );
    if (closed) unsubscribe();
  } catch (err) {
    // The events could not be read (e.g. Redis is away): end this stream; the client may resume.
    req.log.warn({ err, turnId }, 'following a turn failed');
    stopHeartbeat();
    res.end();
  }
}

export function chatRoutes(app: FastifyInstance, deps: AppDeps): void {
  // Open streams per user and per address, on this instance (decision 0026).
  const slots = new StreamSlots(deps.config.streams);
  const take = (req: FastifyRequest, session: Session) =>
    slots.take(session.appId, principalOf(session), req.addressKey);

  // Sync: waits for the whole answer and returns it as JSON.
  app.post('/v1/chat', async (req, reply) => {
    const started = await startTurn(deps, req, reply);
    const end = await deps.runner.end(started.turnId);
    if (end.event === 'error') {
      const { code, message, ...rest } = end.data;
      return reply.status(ERRORS[code].status).send({ error: { code, message }, ...rest });
    }
    const { turn_id, conversation_id, status, answer, usage, suggestions } = end.data;
    return reply.send({ conversation_id, turn_id, status, answer, usage, suggestions });
  });

  // Streaming: `turn`, `delta`*, then `done` or `error`, each with an `id:`.
  app.post('/v1/chat/stream', async (req, reply) => {
    let release = () => {};
    let started: StartedTurn;
    try {
      started = await startTurn(deps, req, reply, (session) => {
        release = take(req, session);
      });
    } catch (e) {
      release();
      throw e;
    }
    // A replayed Idempotency-Key gets the first turn's events from the start, never a new turn.
    await streamTurn(
      deps,
      req,
      reply,
      started.turnId,
      0,
      deps.config.turns.cancelOnDisconnect && !started.replayed,
      release,
    );
  });

  // Resume: the events after Last-Event-ID (or ?after=), then live, on any instance. It ends with
  // the turn, or at once when the turn has ended and the client has seen its ending.
  app.get<{ Params: { id: string } }>('/v1/turns/:id/events', async (req, reply) => {
    const { session } = await requireSession(deps, req);
    const raw = req.headers['last-event-id'] ?? (req.query as { after?: string }).after ?? '0';
    const afterId = Number(raw);
    if (!Number.isSafeInteger(afterId) || afterId < 0) {
      throw new GatewayError('GW_INVALID_REQUEST', {
        message: 'Last-Event-ID must be an event id of this turn.',
      });
    }
    const release = take(req, session);
    try {
      const turn = await deps.ledger.getTurn(checkIdentifier('id', req.params.id, 64));
      if (!turn || turn.appId !== session.appId || turn.userId !== principalOf(session)) {
        throw new GatewayError('GW_NOT_FOUND', { message: 'No such turn.' });
      }
      await streamTurn(deps, req, reply, turn.id, afterId, false, release);
    } catch (e) {
      release();
      throw e;
    }
  });
}
