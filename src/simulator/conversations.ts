// /v1/conversation/create, /v1/conversation/retrieve, /v1/conversations, /v1/conversation/message/list (§4).
import { nameIn } from './bot.js';
import type { AuthedRequest, SimContext } from './context.js';
import {
  intParam,
  isRecord,
  MSG_BAD_PARAM,
  MSG_FORBIDDEN,
  readJson,
  sendError,
  sendOk,
  toMetadata,
} from './http-util.js';
import { type ConversationRecord, conversationJson, messageJson } from './records.js';

export const DEFAULT_BOT_ID = '7500000000000000001';

/** Resolves `conversation_id` for the caller, answering 4101/4200 itself when it fails. */
export function ownConversation(
  ctx: SimContext,
  rc: AuthedRequest,
  id: string | null,
): ConversationRecord | null {
  const found = ctx.records.conversation(id, rc.identity.scope);
  if (found.ok) return found.value;
  if (found.why === 'forbidden') sendError(rc.res, rc.logId, 4101, MSG_FORBIDDEN);
  else sendError(rc.res, rc.logId, 4200, `conversation not found: ${id ?? ''}`);
  return null;
}

export interface EnterMessage {
  role: 'user' | 'assistant';
  type: string;
  content: string;
  contentType: string;
  metaData: Record<string, string>;
}

/** Parses EnterMessage[]; null when malformed. */
export function parseMessages(v: unknown): EnterMessage[] | null {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) return null;
  const out: EnterMessage[] = [];
  for (const m of v) {
    if (!isRecord(m) || (m.role !== 'user' && m.role !== 'assistant') || typeof m.content !== 'string')
      return null;
    const contentType = typeof m.content_type === 'string' ? m.content_type : 'text';
    const type = typeof m.type === 'string' ? m.type : m.role === 'user' ? 'question' : 'answer';
    out.push({ role: m.role, type, content: m.content, contentType, metaData: toMetadata(m.meta_data) });
  }
  return out;
}

/** The plain text of a message (text items of an object_string array). */
export function textOf(m: EnterMessage): string {
  if (m.contentType !== 'object_string') return m.content;
  try {
    const items: unknown = JSON.parse(m.content);
    if (!Array.isArray(items)) return m.content;
    return items
      .filter(
        (i): i is { type: string; text: string } =>
          isRecord(i) && i.type === 'text' && typeof i.text === 'string',
      )
      .map((i) => i.text)
      .join('\n');
  } catch {
    return m.content;
  }
}

/** Saves context messages; user name statements in them also teach the bot. */
export function saveMessages(ctx: SimContext, conv: ConversationRecord, messages: EnterMessage[]): void {
  for (const m of messages) {
    ctx.records.addMessage(conv, { ...m, botId: m.role === 'assistant' ? conv.botId : '', chatId: '' });
    const told = m.role === 'user' ? nameIn(textOf(m)) : null;
    if (told) conv.memory.name = told.name;
  }
}

export async function createConversation(ctx: SimContext, rc: AuthedRequest): Promise<void> {
  const body = await readJson(rc.req);
  if (!body.ok || !isRecord(body.value)) return sendError(rc.res, rc.logId, 4000, MSG_BAD_PARAM);
  const b = body.value;
  const botId = typeof b.bot_id === 'string' && b.bot_id !== '' ? b.bot_id : DEFAULT_BOT_ID;
  const messages = parseMessages(b.messages);
  if (!messages) return sendError(rc.res, rc.logId, 4000, MSG_BAD_PARAM);
  const conv = ctx.records.createConversation(
    rc.identity.scope,
    rc.identity.creatorId,
    botId,
    toMetadata(b.meta_data),
  );
  ctx.stats.conversationsCreated++;
  saveMessages(ctx, conv, messages);
  sendOk(rc.res, rc.logId, conversationJson(conv));
}

export function retrieveConversation(ctx: SimContext, rc: AuthedRequest): void {
  const conv = ownConversation(ctx, rc, rc.url.searchParams.get('conversation_id'));
  if (conv) sendOk(rc.res, rc.logId, conversationJson(conv));
}

export function listConversations(ctx: SimContext, rc: AuthedRequest): void {
  const q = rc.url.searchParams;
  const botId = q.get('bot_id');
  const pageNum = intParam(q.get('page_num'), 1, 1, 1_000_000);
  const pageSize = intParam(q.get('page_size'), 50, 1, 50);
  const sort = (q.get('sort_order') ?? 'DESC').toUpperCase();
  if (!botId || pageNum === null || pageSize === null || (sort !== 'ASC' && sort !== 'DESC')) {
    sendError(rc.res, rc.logId, 4000, MSG_BAD_PARAM);
    return;
  }
  const page = ctx.records.listConversations(rc.identity.scope, botId, pageNum, pageSize, sort === 'DESC');
  sendOk(rc.res, rc.logId, { has_more: page.hasMore, conversations: page.items.map(conversationJson) });
}

export async function listMessages(ctx: SimContext, rc: AuthedRequest): Promise<void> {
  const body = await readJson(rc.req);
  if (!body.ok || !isRecord(body.value)) return sendError(rc.res, rc.logId, 4000, MSG_BAD_PARAM);
  const conv = ownConversation(ctx, rc, rc.url.searchParams.get('conversation_id'));
  if (!conv) return;
  const b = body.value;
  const order = b.order ?? 'desc';
  const limit = b.limit ?? 50;
  const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
  if ((order !== 'asc' && order !== 'desc') || typeof limit !== 'number' || !Number.isInteger(limit)) {
    return sendError(rc.res, rc.logId, 4000, MSG_BAD_PARAM);
  }
  if (limit < 1 || limit > 50) return sendError(rc.res, rc.logId, 4000, MSG_BAD_PARAM);
  const page = ctx.records.listMessages(conv, {
    order,
    limit,
    beforeId: str(b.before_id),
    afterId: str(b.after_id),
    chatId: str(b.chat_id),
    includeMiddle: b.include_middle_message === true,
  });
  sendOk(rc.res, rc.logId, page.data.map(messageJson), {
    first_id: page.firstId,
    last_id: page.lastId,
    has_more: page.hasMore,
  });
}
