// /v3/chat and its companions: retrieve, message list, cancel, submit_tool_outputs (§3).
import { type BotReply, reply, toolAnswer } from './bot.js';
import { runChat } from './chat-round.js';
import type { AuthedRequest, SimContext } from './context.js';
import { ownConversation, parseMessages, saveMessages, textOf } from './conversations.js';
import {
  isRecord,
  MSG_AUTH,
  MSG_BAD_CHAT_REQUEST,
  MSG_BAD_PARAM,
  readJson,
  sendError,
  sendOk,
  toMetadata,
} from './http-util.js';
import { nowSec } from './ids.js';
import { type ChatRecord, type ConversationRecord, chatJson, messageJson } from './records.js';
import { SseWriter } from './sse.js';

const MSG_BUSY =
  'There is already a chat in progress in this conversation. Wait until it has finished or cancel it.';
export const SLOW_DELTA_MS = 200;
export const MAGIC_AFTER_DELTAS = 2;

/** §3.5 legacy: a bare JSON error on an event-stream response, without a trailing newline. */
function answerLegacyBareError(ctx: SimContext, rc: AuthedRequest): boolean {
  if (!ctx.faults.takeLegacyBareJsonError()) return false;
  rc.res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'X-Tt-Logid': rc.logId });
  rc.res.end(JSON.stringify({ code: 4100, msg: MSG_AUTH }));
  return true;
}

export function busy(ctx: SimContext, rc: AuthedRequest): void {
  ctx.stats.busy4016++;
  sendError(rc.res, rc.logId, 4016, MSG_BUSY);
}

interface StartRound {
  conv: ConversationRecord;
  chat: ChatRecord;
  stream: boolean;
  reply: BotReply;
  question: string;
  continuation: boolean;
  failAfter: number | null;
  cutAfter: number | null;
  slow: boolean;
}

/** Streams the round or answers the Chat envelope and lets the round run in the background. */
function startRound(ctx: SimContext, rc: AuthedRequest, r: StartRound): Promise<void> {
  const f = ctx.faults;
  const sink = r.stream
    ? new SseWriter(
        rc.res,
        rc.logId,
        () => f.chunker(),
        () => f.current.chunkGapMs,
      )
    : null;
  if (!r.stream) {
    r.chat.status = 'in_progress';
    sendOk(rc.res, rc.logId, chatJson(r.chat));
  }
  return runChat({ records: ctx.records, chunkChars: ctx.chunkChars, sleeper: ctx.sleeper }, r.conv, r.chat, {
    sink,
    reply: r.reply,
    question: r.question,
    continuation: r.continuation,
    firstDelayMs: f.current.firstEventDelayMs,
    deltaDelayMs: r.slow ? SLOW_DELTA_MS : f.deltaDelay(ctx.deltaDelayMs),
    failAfterDeltas: r.failAfter,
    cutAfterDeltas: r.stream ? r.cutAfter : null,
  });
}

export async function createChat(ctx: SimContext, rc: AuthedRequest): Promise<void> {
  const { res, logId } = rc;
  const body = await readJson(rc.req);
  if (!body.ok || !isRecord(body.value)) return sendError(res, logId, 4000, MSG_BAD_CHAT_REQUEST);
  const b = body.value;
  if (b.user_id !== undefined && typeof b.user_id !== 'string')
    return sendError(res, logId, 4000, MSG_BAD_CHAT_REQUEST);
  const stream = b.stream === true;
  if (stream && answerLegacyBareError(ctx, rc)) return;
  if (typeof b.bot_id !== 'string' || b.bot_id === '') return sendError(res, logId, 4000, MSG_BAD_PARAM);
  if (!ctx.botIds.has(b.bot_id))
    return sendError(res, logId, 4200, `bot not found or not published: ${b.bot_id}`);
  const autoSave = b.auto_save_history !== false;
  if (!stream && !autoSave) return sendError(res, logId, 4000, MSG_BAD_PARAM);
  const messages = parseMessages(b.additional_messages);
  const last = messages?.[messages.length - 1];
  if (!messages || !last || last.role !== 'user') return sendError(res, logId, 4000, MSG_BAD_PARAM);

  const convId = rc.url.searchParams.get('conversation_id');
  let conv: ConversationRecord | null;
  if (convId) {
    conv = ownConversation(ctx, rc, convId);
    if (!conv) return;
    if (conv.activeChatId) return busy(ctx, rc);
  } else {
    conv = ctx.records.createConversation(rc.identity.scope, rc.identity.creatorId, b.bot_id, {});
    ctx.stats.conversationsCreated++;
  }
  ctx.stats.chats++;
  const question = textOf(last);
  if (autoSave) saveMessages(ctx, conv, messages.slice(0, -1));
  const chat: ChatRecord = {
    id: ctx.records.id(),
    conversationId: conv.id,
    botId: b.bot_id,
    scope: rc.identity.scope,
    createdAt: nowSec(),
    status: 'created',
    lastError: { code: 0, msg: '' },
    usage: { token_count: 0, output_count: 0, input_count: 0 },
    metaData: toMetadata(b.meta_data),
    autoSave,
    toolCalls: [],
    outputs: [],
  };
  ctx.records.chats.set(chat.id, chat);
  conv.activeChatId = chat.id;
  if (autoSave) ctx.records.addMessage(conv, { ...last, type: 'question', botId: '', chatId: chat.id });
  const lower = question.toLowerCase();
  await startRound(ctx, rc, {
    conv,
    chat,
    stream,
    reply: reply(question, conv.memory, toMetadata(b.custom_variables)),
    question,
    continuation: false,
    failAfter: lower.includes('#fail') ? MAGIC_AFTER_DELTAS : ctx.faults.takeChatFail(),
    cutAfter: lower.includes('#cut') ? MAGIC_AFTER_DELTAS : stream ? ctx.faults.takeStreamCut() : null,
    slow: lower.includes('#slow'),
  });
}

/** conversation_id + chat_id from the query (retrieve, message list, submit) or the body (cancel). */
function findChat(ctx: SimContext, rc: AuthedRequest, convId: unknown, chatId: unknown) {
  const conv = ownConversation(ctx, rc, typeof convId === 'string' ? convId : null);
  if (!conv) return null;
  const chat = ctx.records.chat(conv.id, typeof chatId === 'string' ? chatId : null);
  if (!chat) {
    sendError(rc.res, rc.logId, 4200, `chat not found: ${String(chatId ?? '')}`);
    return null;
  }
  return { conv, chat };
}

export function retrieveChat(ctx: SimContext, rc: AuthedRequest): void {
  const q = rc.url.searchParams;
  const found = findChat(ctx, rc, q.get('conversation_id'), q.get('chat_id'));
  if (found) sendOk(rc.res, rc.logId, chatJson(found.chat));
}

export function listChatMessages(ctx: SimContext, rc: AuthedRequest): void {
  const q = rc.url.searchParams;
  const found = findChat(ctx, rc, q.get('conversation_id'), q.get('chat_id'));
  if (found) sendOk(rc.res, rc.logId, found.chat.outputs.map(messageJson));
}

export async function cancelChat(ctx: SimContext, rc: AuthedRequest): Promise<void> {
  const body = await readJson(rc.req);
  if (!body.ok || !isRecord(body.value)) return sendError(rc.res, rc.logId, 4000, MSG_BAD_PARAM);
  const found = findChat(ctx, rc, body.value.conversation_id, body.value.chat_id);
  if (!found) return;
  const { conv, chat } = found;
  if (chat.status !== 'created' && chat.status !== 'in_progress') {
    return sendError(rc.res, rc.logId, 4104, `chat in status ${chat.status} cannot be canceled`);
  }
  chat.status = 'canceled';
  chat.outputs = [];
  if (conv.activeChatId === chat.id) conv.activeChatId = null;
  sendOk(rc.res, rc.logId, chatJson(chat));
}

export async function submitToolOutputs(ctx: SimContext, rc: AuthedRequest): Promise<void> {
  const { res, logId } = rc;
  const body = await readJson(rc.req);
  if (!body.ok || !isRecord(body.value)) return sendError(res, logId, 4000, MSG_BAD_PARAM);
  const b = body.value;
  const stream = b.stream === true;
  if (stream && answerLegacyBareError(ctx, rc)) return;
  const q = rc.url.searchParams;
  const found = findChat(ctx, rc, q.get('conversation_id'), q.get('chat_id'));
  if (!found) return;
  const { conv, chat } = found;
  if (chat.workflowId) {
    const msg = 'Chatflows do not support submit_tool_outputs: call /v1/workflows/chat again with the reply';
    return sendError(res, logId, 4000, msg);
  }
  if (!chat.autoSave) return sendError(res, logId, 5000, 'submit_tool_outputs needs auto_save_history=true');
  if (chat.status !== 'requires_action' || !chat.pendingOrderId) {
    return sendError(res, logId, 4000, `chat in status ${chat.status} does not wait for tool outputs`);
  }
  const outputs = Array.isArray(b.tool_outputs) ? b.tool_outputs : null;
  const parsed = outputs?.map((o) =>
    isRecord(o) && typeof o.tool_call_id === 'string' && typeof o.output === 'string'
      ? { id: o.tool_call_id, output: o.output }
      : null,
  );
  const expected = chat.toolCalls.map((t) => t.id).sort();
  const given = parsed?.map((p) => p?.id ?? '').sort() ?? [];
  const first = parsed?.[0];
  if (!parsed || !first || JSON.stringify(expected) !== JSON.stringify(given)) {
    return sendError(res, logId, 4000, 'tool_outputs must answer every tool_call_id of the chat');
  }
  if (conv.activeChatId) return busy(ctx, rc);
  conv.activeChatId = chat.id;
  const orderId = chat.pendingOrderId;
  chat.pendingOrderId = undefined;
  chat.status = 'in_progress';
  await startRound(ctx, rc, {
    conv,
    chat,
    stream,
    reply: { kind: 'answer', zh: false, text: toolAnswer(orderId, first.output) },
    question: first.output,
    continuation: true,
    failAfter: null,
    cutAfter: null,
    slow: false,
  });
}
