// In-memory conversations, messages and chats, and their wire shapes (protocol §3.4, §4.1).
import type { BotMemory } from './bot.js';
import { nowSec } from './ids.js';

export type ChatStatus = 'created' | 'in_progress' | 'completed' | 'failed' | 'requires_action' | 'canceled';
export type Metadata = Record<string, string>;

export interface MessageRecord {
  id: string;
  conversationId: string;
  botId: string;
  chatId: string;
  sectionId: string;
  role: 'user' | 'assistant';
  type: string;
  content: string;
  contentType: string;
  metaData: Metadata;
  createdAt: number;
  updatedAt: number;
}

export interface ConversationRecord {
  id: string;
  scope: string;
  creatorId: string;
  botId: string;
  metaData: Metadata;
  createdAt: number;
  updatedAt: number;
  messages: MessageRecord[];
  memory: BotMemory;
  /** The chat that is `created`/`in_progress` right now (one at a time: 4016). */
  activeChatId: string | null;
  /** A chatflow question waiting for the user's reply (the next chatflow call answers it). */
  pendingQuestion?: { workflowId: string; input: string };
}

export interface ToolCall {
  id: string;
  /** `reply_message` = a chatflow question node; default `function`. */
  type?: 'function' | 'reply_message';
  name: string;
  arguments: string;
}

export interface ChatRecord {
  id: string;
  conversationId: string;
  botId: string;
  scope: string;
  createdAt: number;
  completedAt?: number;
  failedAt?: number;
  status: ChatStatus;
  lastError: { code: number; msg: string };
  usage: { token_count: number; output_count: number; input_count: number };
  metaData: Metadata;
  autoSave: boolean;
  toolCalls: ToolCall[];
  /** Set on chatflow chats (they take no submit_tool_outputs). */
  workflowId?: string;
  /** Order id of a pending get_order_status call. */
  pendingOrderId?: string;
  /** Messages the chat produced (all but the user query). */
  outputs: MessageRecord[];
}

export function conversationJson(c: ConversationRecord): Record<string, unknown> {
  return {
    id: c.id,
    name: '',
    meta_data: c.metaData,
    creator_id: c.creatorId,
    connector_id: '1024',
    created_at: c.createdAt,
    updated_at: c.updatedAt,
    last_section_id: c.id,
  };
}

export function chatJson(c: ChatRecord, status: ChatStatus = c.status): Record<string, unknown> {
  const out: Record<string, unknown> = {
    id: c.id,
    conversation_id: c.conversationId,
    bot_id: c.botId,
    created_at: c.createdAt,
  };
  if (c.completedAt !== undefined && status === 'completed') out.completed_at = c.completedAt;
  if (c.failedAt !== undefined && status === 'failed') out.failed_at = c.failedAt;
  out.meta_data = c.metaData;
  out.last_error = c.lastError;
  out.status = status;
  if (status === 'requires_action') {
    out.required_action = {
      type: 'submit_tool_outputs',
      submit_tool_outputs: {
        tool_calls: c.toolCalls.map((t) => ({
          id: t.id,
          type: t.type ?? 'function',
          function: { name: t.name, arguments: t.arguments },
        })),
      },
    };
  }
  out.usage = c.usage;
  out.section_id = c.conversationId;
  return out;
}

/** Full message (completed events, lists). */
export function messageJson(m: MessageRecord): Record<string, unknown> {
  return {
    id: m.id,
    conversation_id: m.conversationId,
    bot_id: m.botId,
    role: m.role,
    type: m.type,
    content: m.content,
    content_type: m.contentType,
    chat_id: m.chatId,
    section_id: m.sectionId,
    meta_data: m.metaData,
    created_at: m.createdAt,
    updated_at: m.updatedAt,
  };
}

/** A delta: the answer message with incremental content (shape of the recorded stream). */
export function deltaJson(m: MessageRecord, content: string): Record<string, unknown> {
  return {
    id: m.id,
    conversation_id: m.conversationId,
    bot_id: m.botId,
    role: m.role,
    type: m.type,
    content,
    content_type: m.contentType,
    chat_id: m.chatId,
    section_id: m.sectionId,
  };
}

export type Lookup<T> = { ok: true; value: T } | { ok: false; why: 'not_found' | 'forbidden' };

export interface MessageListQuery {
  order: 'asc' | 'desc';
  limit: number;
  beforeId?: string;
  afterId?: string;
  chatId?: string;
  includeMiddle: boolean;
}

export interface MessagePage {
  data: MessageRecord[];
  firstId: string;
  lastId: string;
  hasMore: boolean;
}

const MIDDLE_TYPES = new Set([
  'function_call',
  'tool_output',
  'tool_response',
  'follow_up',
  'verbose',
  'knowledge',
]);
const idLess = (a: string, b: string): boolean => BigInt(a) < BigInt(b);

/** The simulator's Coze account data: conversations, their messages and chats, in memory. */
export class Records {
  readonly conversations = new Map<string, ConversationRecord>();
  readonly chats = new Map<string, ChatRecord>();

  constructor(private readonly newId: () => string) {}

  id(): string {
    return this.newId();
  }

  createConversation(
    scope: string,
    creatorId: string,
    botId: string,
    metaData: Metadata,
  ): ConversationRecord {
    const now = nowSec();
    const c: ConversationRecord = {
      id: this.newId(),
      scope,
      creatorId,
      botId,
      metaData,
      createdAt: now,
      updatedAt: now,
      messages: [],
      memory: {},
      activeChatId: null,
    };
    this.conversations.set(c.id, c);
    return c;
  }

  /**
   * A conversation of another identity answers `forbidden` (the caller maps it to 4101, the
   * documented "token lacks permission for the resource"), an unknown id `not_found` (4200).
   */
  conversation(id: string | null | undefined, scope: string): Lookup<ConversationRecord> {
    const c = id ? this.conversations.get(id) : undefined;
    if (!c) return { ok: false, why: 'not_found' };
    if (c.scope !== scope) return { ok: false, why: 'forbidden' };
    return { ok: true, value: c };
  }

  chat(conversationId: string, chatId: string | null | undefined): ChatRecord | null {
    const chat = chatId ? this.chats.get(chatId) : undefined;
    return chat && chat.conversationId === conversationId ? chat : null;
  }

  addMessage(
    c: ConversationRecord,
    m: Omit<MessageRecord, 'id' | 'conversationId' | 'sectionId' | 'createdAt' | 'updatedAt'>,
  ): MessageRecord {
    const now = nowSec();
    const msg: MessageRecord = {
      ...m,
      id: this.newId(),
      conversationId: c.id,
      sectionId: c.id,
      createdAt: now,
      updatedAt: now,
    };
    c.messages.push(msg);
    c.updatedAt = now;
    return msg;
  }

  listConversations(
    scope: string,
    botId: string,
    pageNum: number,
    pageSize: number,
    desc: boolean,
  ): { hasMore: boolean; items: ConversationRecord[] } {
    const all = [...this.conversations.values()].filter((c) => c.scope === scope && c.botId === botId);
    all.sort((a, b) => (idLess(a.id, b.id) ? -1 : 1));
    if (desc) all.reverse();
    const start = (pageNum - 1) * pageSize;
    return { items: all.slice(start, start + pageSize), hasMore: start + pageSize < all.length };
  }

  /**
   * Cursor paging over the conversation in creation order: `before_id` = messages older than it,
   * `after_id` = newer than it; `order` only decides the output order. first_id/last_id are the
   * ids of the first/last returned item ("" when empty).
   */
  listMessages(c: ConversationRecord, q: MessageListQuery): MessagePage {
    let items = c.messages.filter((m) => q.includeMiddle || !MIDDLE_TYPES.has(m.type));
    items.sort((a, b) => (idLess(a.id, b.id) ? -1 : 1));
    if (q.chatId) items = items.filter((m) => m.chatId === q.chatId);
    const before = q.beforeId && q.beforeId !== '0' ? q.beforeId : undefined;
    const after = q.afterId && q.afterId !== '0' ? q.afterId : undefined;
    if (before) items = items.filter((m) => idLess(m.id, before));
    if (after) items = items.filter((m) => idLess(after, m.id));
    // Newest first unless paging forwards from a cursor or asked for ascending order.
    const fromOldest = after !== undefined || (q.order === 'asc' && before === undefined);
    const window = fromOldest ? items.slice(0, q.limit) : items.slice(Math.max(0, items.length - q.limit));
    const hasMore = items.length > window.length;
    const data = q.order === 'desc' ? [...window].reverse() : window;
    return { data, firstId: data[0]?.id ?? '', lastId: data[data.length - 1]?.id ?? '', hasMore };
  }
}
