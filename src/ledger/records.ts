import type { Selectable } from 'kysely';
import type { Database, TurnStatus } from './schema.js';

export interface ConversationRecord {
  id: string;
  appId: string;
  userId: string;
  cozeConversationId: string;
  /** The Coze `session_name` and `user_id` this conversation lives under at Coze. */
  cozeUser: string;
  title: string | null;
  createdAt: number;
  updatedAt: number;
}

export interface Usage {
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
}

export interface TurnRecord {
  id: string;
  appId: string;
  conversationId: string;
  userId: string;
  question: string;
  answer: string | null;
  status: TurnStatus;
  errorCode: string | null;
  usage: Usage | null;
  cozeChatId: string | null;
  cozeLogId: string | null;
  latencyMs: number | null;
  firstTokenMs: number | null;
  createdAt: number;
  finishedAt: number | null;
}

export interface TurnOutcome {
  status: Exclude<TurnStatus, 'pending'>;
  answer: string;
  errorCode?: string;
  usage?: Usage;
  cozeChatId?: string;
  cozeLogId?: string;
  latencyMs: number;
  firstTokenMs?: number;
}

/**
 * The columns a turn's ending writes: the one place an outcome becomes columns (finishTurn and
 * recoverTurn both use it). The Coze ids and timings are written only for a turn that ran here
 * (`latencyMs` known); recovery keeps what the row already has.
 */
export function outcomeColumns(
  o: Omit<TurnOutcome, 'latencyMs'> & { latencyMs?: number },
  finishedAt: number,
): OutcomeColumns {
  const ending = {
    status: o.status,
    answer: o.answer,
    error_code: o.errorCode ?? null,
    input_tokens: o.usage?.inputTokens ?? null,
    output_tokens: o.usage?.outputTokens ?? null,
    total_tokens: o.usage?.totalTokens ?? null,
    finished_at: finishedAt,
  };
  if (o.latencyMs === undefined) return ending;
  return {
    ...ending,
    coze_chat_id: o.cozeChatId ?? null,
    coze_log_id: o.cozeLogId ?? null,
    latency_ms: Math.round(o.latencyMs),
    first_token_ms: o.firstTokenMs === undefined ? null : Math.round(o.firstTokenMs),
  };
}

export interface OutcomeColumns {
  status: Exclude<TurnStatus, 'pending'>;
  answer: string;
  error_code: string | null;
  input_tokens: number | null;
  output_tokens: number | null;
  total_tokens: number | null;
  finished_at: number;
  coze_chat_id?: string | null;
  coze_log_id?: string | null;
  latency_ms?: number;
  first_token_ms?: number | null;
}

const num = (v: number | string | null): number | null => (v === null ? null : Number(v));

/** A conversation's title: the start of its first question, cut between characters (not inside an emoji). */
export function titleOf(question: string): string {
  return Array.from(question.slice(0, 160)).slice(0, 80).join('');
}

export function toConversation(r: Selectable<Database['conversations']>): ConversationRecord {
  return {
    id: r.id,
    appId: r.app_id,
    userId: r.user_id,
    cozeConversationId: r.coze_conversation_id,
    cozeUser: r.coze_user,
    title: r.title,
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}

export function toTurn(r: Selectable<Database['turns']>): TurnRecord {
  const total = num(r.total_tokens);
  return {
    id: r.id,
    appId: r.app_id,
    conversationId: r.conversation_id,
    userId: r.user_id,
    question: r.question,
    answer: r.answer,
    status: r.status,
    errorCode: r.error_code,
    usage:
      total === null
        ? null
        : {
            inputTokens: num(r.input_tokens) ?? 0,
            outputTokens: num(r.output_tokens) ?? 0,
            totalTokens: total,
          },
    cozeChatId: r.coze_chat_id,
    cozeLogId: r.coze_log_id,
    latencyMs: num(r.latency_ms),
    firstTokenMs: num(r.first_token_ms),
    createdAt: Number(r.created_at),
    finishedAt: num(r.finished_at),
  };
}
