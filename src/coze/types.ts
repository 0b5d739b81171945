// Coze wire objects, typed with the wire's own snake_case field names (coze-protocol.md §3.4, §4.1).
// Only the fields the gateway relies on are required; everything else is optional because real
// streams omit fields freely (e.g. `bot_id` in chatflows, `created_at` in older streams).

export type ChatStatus = 'created' | 'in_progress' | 'completed' | 'failed' | 'requires_action' | 'canceled';

export interface ChatUsage {
  token_count: number;
  output_count: number;
  input_count: number;
}

/** §3.4 tool call object: `function.arguments` is a JSON string. */
export interface ToolCall {
  id: string;
  type: string; // 'function' | 'reply_message'
  function: { name: string; arguments: string };
}

export interface RequiredAction {
  type: string; // 'submit_tool_outputs', or '' in placeholder objects
  submit_tool_outputs: { tool_calls: ToolCall[] };
}

/** §3.4 Chat object. */
export interface Chat {
  id: string;
  conversation_id: string;
  status: ChatStatus;
  bot_id?: string;
  created_at?: number;
  completed_at?: number;
  failed_at?: number;
  meta_data?: Record<string, string>;
  last_error?: { code: number; msg: string } | null;
  required_action?: RequiredAction;
  usage?: ChatUsage;
  section_id?: string;
  inserted_additional_messages?: { id: string }[];
}

export type MessageType =
  | 'question'
  | 'answer'
  | 'function_call'
  | 'tool_output'
  | 'tool_response'
  | 'follow_up'
  | 'verbose'
  | 'knowledge'
  | '';

/** §3.4 Message object. `content` is text, JSON, a serialized object_string array, or base64 audio. */
export interface Message {
  id: string;
  conversation_id: string;
  role: 'user' | 'assistant';
  type: MessageType;
  content: string;
  content_type: 'text' | 'object_string' | 'card' | 'audio';
  bot_id?: string;
  chat_id?: string;
  section_id?: string;
  reasoning_content?: string;
  meta_data?: Record<string, string>;
  created_at?: number | string; // §1.3: some responses send timestamps as strings
  updated_at?: number | string;
}

/** §4.1 Conversation object. */
export interface Conversation {
  id: string;
  created_at: number;
  meta_data?: Record<string, string>;
  last_section_id?: string;
  name?: string;
  creator_id?: string;
  connector_id?: string;
  updated_at?: number | string;
}

export type ChatEventName =
  | 'conversation.chat.created'
  | 'conversation.chat.in_progress'
  | 'conversation.chat.completed'
  | 'conversation.chat.failed'
  | 'conversation.chat.requires_action'
  | 'conversation.chat.canceled';

export type MessageEventName =
  | 'conversation.message.delta'
  | 'conversation.message.completed'
  | 'conversation.audio.delta';

/** One event of a chat (§3.4) or chatflow (§5.4) stream. */
export type ChatEvent =
  | { type: 'chat'; event: ChatEventName; chat: Chat }
  | { type: 'message'; event: MessageEventName; message: Message }
  | { type: 'error'; code: number; msg: string } // the in-stream `error` event
  | { type: 'done'; debugUrl?: string } // chat: "[DONE]"; chatflow: {debug_url}
  | { type: 'unknown'; event: string; data: unknown };

export interface ChatStream extends AsyncIterable<ChatEvent> {
  readonly logId?: string;
  /** Stops reading: the connection is closed and iteration ends quietly. */
  abort(): void;
}
