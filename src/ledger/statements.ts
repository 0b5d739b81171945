import { type Kysely, type Selectable, sql } from 'kysely';
import { precompile } from './precompiled.js';
import type { OutcomeColumns } from './records.js';
import type { Database } from './schema.js';

type Row<T extends keyof Database> = Selectable<Database[T]>;

/** The statements every turn runs, built and compiled once (see precompile, docs/decisions/0017). */
export function turnStatements(db: Kysely<Database>) {
  return {
    findConversation: precompile<{ id: string; appId: string; userId: string }, Row<'conversations'>>(
      db,
      (p) =>
        db
          .selectFrom('conversations')
          .selectAll()
          .where('id', '=', p('id'))
          .where('app_id', '=', p('appId'))
          .where('user_id', '=', p('userId')),
    ),
    insertTurn: precompile<{
      id: string;
      appId: string;
      conversationId: string;
      userId: string;
      question: string;
      now: number;
    }>(db, (p) =>
      db.insertInto('turns').values({
        id: p('id'),
        app_id: p('appId'),
        conversation_id: p('conversationId'),
        user_id: p('userId'),
        question: p('question'),
        answer: null,
        status: 'pending',
        error_code: null,
        input_tokens: null,
        output_tokens: null,
        total_tokens: null,
        coze_chat_id: null,
        coze_log_id: null,
        latency_ms: null,
        first_token_ms: null,
        created_at: p('now'),
        finished_at: null,
      }),
    ),
    touchConversation: precompile<{ id: string; now: number; title: string }>(db, (p) =>
      db
        .updateTable('conversations')
        .set({ updated_at: p('now'), title: sql<string>`coalesce(title, ${p('title')})` })
        .where('id', '=', p('id')),
    ),
    noteCozeChat: precompile<{ id: string; cozeChatId: string; cozeLogId: string | null }>(db, (p) =>
      db
        .updateTable('turns')
        .set({ coze_chat_id: p('cozeChatId'), coze_log_id: p('cozeLogId') })
        .where('id', '=', p('id')),
    ),
    // Its values are outcomeColumns(…) by column name.
    finishTurn: precompile<{ id: string } & Required<OutcomeColumns>>(db, (p) =>
      db
        .updateTable('turns')
        .set({
          status: p('status'),
          answer: p('answer'),
          error_code: p('error_code'),
          input_tokens: p('input_tokens'),
          output_tokens: p('output_tokens'),
          total_tokens: p('total_tokens'),
          coze_chat_id: p('coze_chat_id'),
          coze_log_id: p('coze_log_id'),
          latency_ms: p('latency_ms'),
          first_token_ms: p('first_token_ms'),
          finished_at: p('finished_at'),
        })
        .where('id', '=', p('id'))
        .where('status', '=', 'pending'),
    ),
    checkpoint: precompile<{ id: string; answer: string }>(db, (p) =>
      db
        .updateTable('turns')
        .set({ answer: p('answer') })
        .where('id', '=', p('id'))
        .where('status', '=', 'pending'),
    ),
    getTurn: precompile<{ id: string }, Row<'turns'>>(db, (p) =>
      db.selectFrom('turns').selectAll().where('id', '=', p('id')),
    ),
  };
}

export type TurnStatements = ReturnType<typeof turnStatements>;
