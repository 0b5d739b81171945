// POST /v1/workflows/chat: the deterministic chatflow (protocol §5.4).
//
// Conversation partitioning: a conversation belongs to the identity scope that created it
// (auth.ts): `pat:<token>` per PAT, `session:<session_name>` per JWT session name (all OAuth tokens
// minted with one session_name share it). A `conversation_id` of another scope answers 4101, an
// unknown one 4200. Without `conversation_id` every call creates a NEW conversation in the caller's
// scope (its bot id is the bot_id, else the app_id, else the workflow id) — there is no shared
// "Default" conversation per app, so two end users never see each other's context.
//
// The chatflow: "my name is X" / "what is my name?" use the bot's name memory of the conversation;
// `#ask` stops at a question node ("Which city?", requires_action with a reply_message tool call);
// the next call in that conversation answers it: "Chatflow answer: <first input> in <reply>" (a
// reply may also be `{"input":"…"}`); otherwise "Chatflow answer: <input>". `#fail` fails the chat
// after 2 deltas, `#slow` spaces deltas 200 ms apart.
import { nameReply } from './bot.js';
import { busy, MAGIC_AFTER_DELTAS, SLOW_DELTA_MS } from './chat.js';
import { runChatflow } from './chatflow-runner.js';
import type { AuthedRequest, SimContext } from './context.js';
import { ownConversation, parseMessages, saveMessages, textOf } from './conversations.js';
import { chatflowFraming, debugUrl } from './framing.js';
import { isRecord, MSG_BAD_PARAM, readJson, sendError } from './http-util.js';
import { nowSec } from './ids.js';
import type { ChatRecord, ConversationRecord } from './records.js';
import { SseWriter } from './sse.js';
import { QUESTION } from './workflow-engine.js';
import { checkTarget, parseParameters } from './workflow-request.js';

/** A reply to an input node may be `{"input":"…"}`; else the text itself. */
function replyText(text: string): string {
  try {
    const v: unknown = JSON.parse(text);
    if (isRecord(v) && typeof v.input === 'string') return v.input;
  } catch {
    // plain text
  }
  return text;
}

interface Answer {
  text: string;
  interrupt: { workflowId: string; input: string } | null;
  rememberName?: string;
}

function answerFor(ctx: SimContext, conv: ConversationRecord, workflowId: string, text: string): Answer {
  const pending = conv.pendingQuestion;
  if (pending && pending.workflowId === workflowId) {
    conv.pendingQuestion = undefined;
    ctx.stats.resumes++;
    return { text: `Chatflow answer: ${pending.input} in ${replyText(text)}`, interrupt: null };
  }
  if (text.toLowerCase().includes('#ask')) return { text: QUESTION, interrupt: { workflowId, input: text } };
  const named = nameReply(text, conv.memory);
  if (named?.kind === 'answer')
    return { text: named.text, interrupt: null, rememberName: named.rememberName };
  return { text: `Chatflow answer: ${text}`, interrupt: null };
}

export async function chatflow(ctx: SimContext, rc: AuthedRequest): Promise<void> {
  const { res, logId } = rc;
  const body = await readJson(rc.req);
  if (!body.ok || !isRecord(body.value)) return sendError(res, logId, 4000, MSG_BAD_PARAM);
  const b = body.value;
  const target = checkTarget(ctx, rc, b, 'chatflow');
  if (!target) return;
  const messages = parseMessages(b.additional_messages);
  const last = messages?.[messages.length - 1];
  const convId = b.conversation_id ?? rc.url.searchParams.get('conversation_id');
  if (!messages || !last || last.role !== 'user' || !parseParameters(b.parameters))
    return sendError(res, logId, 4000, MSG_BAD_PARAM);
  if (convId !== null && convId !== '' && typeof convId !== 'string')
    return sendError(res, logId, 4000, MSG_BAD_PARAM);

  let conv: ConversationRecord | null;
  if (typeof convId === 'string' && convId !== '') {
    conv = ownConversation(ctx, rc, convId);
    if (!conv) return;
    if (conv.activeChatId) return busy(ctx, rc);
  } else {
    const owner = target.botId ?? target.appId ?? target.workflowId;
    conv = ctx.records.createConversation(rc.identity.scope, rc.identity.creatorId, owner, {});
    ctx.stats.conversationsCreated++;
  }
  ctx.stats.chatflowRuns++;
  saveMessages(ctx, conv, messages.slice(0, -1));
  const chat: ChatRecord = {
    id: ctx.records.id(),
    conversationId: conv.id,
    botId: '',
    scope: rc.identity.scope,
    createdAt: nowSec(),
    status: 'created',
    lastError: { code: 0, msg: '' },
    usage: { token_count: 0, output_count: 0, input_count: 0 },
    metaData: {},
    autoSave: true,
    toolCalls: [],
    outputs: [],
    workflowId: target.workflowId,
  };
  ctx.records.chats.set(chat.id, chat);
  conv.activeChatId = chat.id;
  ctx.records.addMessage(conv, { ...last, type: 'question', botId: '', chatId: chat.id });
  const text = textOf(last);
  const answer = answerFor(ctx, conv, target.workflowId, text);
  const lower = text.toLowerCase();
  const f = ctx.faults;
  const framing = chatflowFraming(debugUrl(ctx.records.id(), target.workflowId));
  const sink = new SseWriter(
    res,
    logId,
    () => f.chunker(),
    () => f.current.chunkGapMs,
    framing,
  );
  await runChatflow({ records: ctx.records, chunkChars: ctx.chunkChars, sleeper: ctx.sleeper }, conv, chat, {
    sink,
    text: answer.text,
    interrupt: answer.interrupt,
    rememberName: answer.rememberName,
    input: text,
    firstDelayMs: f.current.firstEventDelayMs,
    deltaDelayMs: lower.includes('#slow') ? SLOW_DELTA_MS : f.deltaDelay(ctx.deltaDelayMs),
    failAfterDeltas: lower.includes('#fail') ? MAGIC_AFTER_DELTAS : null,
  });
}
