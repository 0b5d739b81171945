import type { FastifyInstance } from 'fastify';
import { GatewayError } from '../../errors.js';
import { checkIdentifier, principalOf } from '../../identity/index.js';
import type { TurnRecord } from '../../ledger/index.js';
import { type AppDeps, requireSession } from '../context.js';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function limitOf(raw: unknown, fallback: number, max: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > max) {
    throw new GatewayError('GW_INVALID_REQUEST', {
      message: `limit must be a whole number from 1 to ${max}.`,
    });
  }
  return n;
}

/** A turn as the two messages a chat shows: the question, then the answer with its status. */
function messagesOf(t: TurnRecord) {
  return [
    { id: `${t.id}.q`, turn_id: t.id, role: 'user', content: t.question, created_at: iso(t.createdAt) },
    {
      id: `${t.id}.a`,
      turn_id: t.id,
      role: 'assistant',
      content: t.answer ?? '',
      status: t.status,
      error_code: t.errorCode,
      created_at: iso(t.finishedAt ?? t.createdAt),
    },
  ];
}

export function conversationRoutes(app: FastifyInstance, deps: AppDeps): void {
  app.get('/v1/conversations', async (req) => {
    const { session } = await requireSession(deps, req);
    const limit = limitOf((req.query as Record<string, unknown>).limit, 20, 100);
    const list = await deps.ledger.listConversations(session.appId, principalOf(session), limit);
    return {
      conversations: list.map((c) => ({
        id: c.id,
        title: c.title,
        created_at: iso(c.createdAt),
        updated_at: iso(c.updatedAt),
      })),
    };
  });

  app.get<{ Params: { id: string } }>('/v1/conversations/:id/messages', async (req) => {
    const { session } = await requireSession(deps, req);
    const limit = limitOf((req.query as Record<string, unknown>).limit, 50, 200);
    // Scoped by app and user: someone else's conversation id is simply not found.
    const id = checkIdentifier('id', req.params.id, 64);
    const c = await deps.ledger.findConversation(session.appId, principalOf(session), id);
    if (!c) throw new GatewayError('GW_NOT_FOUND', { message: 'No such conversation.' });
    const turns = await deps.ledger.listTurns(c.id, limit);
    return { conversation_id: c.id, messages: turns.flatMap(messagesOf) };
  });
}
