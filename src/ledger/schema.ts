import type { ColumnType } from 'kysely';

/** Epoch milliseconds. Stored as BIGINT; some drivers return BIGINT as a string, so reads coerce. */
type Millis = ColumnType<number | string, number, number>;
type Count = ColumnType<number | string | null, number | null, number | null>;

export type TurnStatus = 'pending' | 'completed' | 'failed' | 'interrupted' | 'canceled';

export interface ConversationsTable {
  id: string;
  app_id: string;
  user_id: string;
  coze_conversation_id: string;
  coze_user: string;
  title: string | null;
  created_at: Millis;
  updated_at: Millis;
}

export interface TurnsTable {
  id: string;
  app_id: string;
  conversation_id: string;
  user_id: string;
  question: string;
  answer: string | null;
  status: TurnStatus;
  error_code: string | null;
  input_tokens: Count;
  output_tokens: Count;
  total_tokens: Count;
  coze_chat_id: string | null;
  coze_log_id: string | null;
  latency_ms: Count;
  first_token_ms: Count;
  created_at: Millis;
  finished_at: ColumnType<number | string | null, number | null, number | null>;
  recovery_attempts: ColumnType<number | string, number | undefined, number>;
}

export interface ToolCallsTable {
  id: string;
  turn_id: string;
  app_id: string;
  name: string;
  arguments: string;
  output: string;
  outcome: string;
  duration_ms: ColumnType<number | string, number, number>;
  created_at: ColumnType<number | string, number, number>;
}

export interface Database {
  conversations: ConversationsTable;
  turns: TurnsTable;
  tool_calls: ToolCallsTable;
}
