import type { OutgoingHttpHeaders } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { GatewayError } from '../../errors.js';
import { principalOf } from '../../identity/index.js';
import type { RunningTurn } from '../../turns/index.js';
import { enforce } from '../apps.js';
import { type AppDeps, requireSession } from '../context.js';
import { formatEvent, SSE_HEADERS, startHeartbeat } from '../sse.js';
import { parseBody, printable } from '../validate.js';

const chatBody = z.object({
  message: z.string(),
  conversation_id: z.string().min(1).max(64).optional(),
});

async function startTurn(deps: AppDeps, req: FastifyRequest, reply: FastifyReply): Promise<RunningTurn> {
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
  const check = printable(app.maxMessageChars).safeParse(message);
  if (!check.success) {
    throw new GatewayError('GW_INVALID_REQUEST', {
      message: 'Invalid field "message": must not contain control characters',
    });
  }
  // Only a valid message from a valid session spends a token: per user, per address, per app.
  await enforce(deps, reply, [
    { name: 'user', key: `${app.id}:${principalOf(session)}`, rule: app.rateLimits.user },
    { name: 'ip', key: `${app.id}:${req.ip}`, rule: app.rateLimits.ip },
    { name: 'app', key: app.id, rule: app.rateLimits.app },
  ]);
  return deps.runner.start(session, app, { message, conversationId: body.conversation_id });
}

export function chatRoutes(app: FastifyInstance, deps: AppDeps): void {
  // Sync: waits for the whole answer and returns it as JSON.
  app.post('/v1/chat', async (req, reply) => {
    const turn = await startTurn(deps, req, reply);
    const r = await turn.result;
    const base = { conversation_id: r.conversationId, turn_id: r.turnId, status: r.status, answer: r.answer };
    if (r.error) {
      return reply.status(r.error.status).send({ ...r.error.toJSON(), ...base });
    }
    return reply.send({
      ...base,
      usage: r.usage
        ? {
            input_tokens: r.usage.inputTokens,
            output_tokens: r.usage.outputTokens,
            total_tokens: r.usage.totalTokens,
          }
        : null,
      suggestions: r.suggestions,
    });
  });

  // Streaming: `turn`, `delta`*, then `done` or `error`, each with an `id:`.
  app.post('/v1/chat/stream', async (req, reply) => {
    const turn = await startTurn(deps, req, reply);
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
    const unsubscribe = turn.log.subscribe((e) => {
      res.write(formatEvent(e));
      if (e.event === 'done' || e.event === 'error') {
        finished = true;
        stopHeartbeat();
        res.end();
      }
    });
    res.on('close', () => {
      stopHeartbeat();
      unsubscribe();
      // The browser went away. By default the turn runs on and is recorded; optionally it is
      // canceled upstream. Either way it ends with a terminal status in the ledger.
      if (!finished && deps.config.turns.cancelOnDisconnect) turn.stop('canceled');
    });
  });
}
