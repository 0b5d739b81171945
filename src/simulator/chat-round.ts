// chat-round: drives one chat round through its states (§3.4, §3.9), emitting events to an optional stream.
// The round runs to its end even when the stream is gone (client disconnect or a cut), as Coze does.
import { type BotReply, chunkText, followUps } from './bot.js';
import { newToolCallId, nowSec } from './ids.js';
import {
  type ChatRecord,
  type ConversationRecord,
  chatJson,
  deltaJson,
  type MessageRecord,
  messageJson,
  type Records,
} from './records.js';
import type { Sleeper } from './sleeper.js';

/** Where events go; SseWriter implements it. */
export interface ChatSink {
  event(name: string, data: unknown): void;
  done(): void;
  cut(): void;
  readonly closed: boolean;
}

export interface RunDeps {
  records: Records;
  chunkChars: number;
  /** Sleeps that close() wakes; `closed` tells the round to stop. */
  sleeper: Sleeper;
}

export interface RunPlan {
  sink: ChatSink | null;
  reply: BotReply;
  question: string;
  /** submit_tool_outputs: the round continues, so no `chat.created`. */
  continuation: boolean;
  firstDelayMs: number;
  deltaDelayMs: number;
  failAfterDeltas: number | null;
  cutAfterDeltas: number | null;
}

export const FAILURE = { code: 5000, msg: 'event interval error' };
const VERBOSE_FINISH = JSON.stringify({
  msg_type: 'generate_answer_finish',
  data: JSON.stringify({ finish_reason: 0, FinData: '' }),
  from_module: null,
  from_unit: null,
});

/** The conversation is free for its next chat. */
export function releaseChat(conv: ConversationRecord, chat: ChatRecord): void {
  if (conv.activeChatId === chat.id) conv.activeChatId = null;
}

/** Characters, not UTF-16 units (usage counts). */
export function charCount(text: string): number {
  return Array.from(text).length;
}

interface Sink {
  readonly closed: boolean;
  event(name: string, data: unknown): void;
  done(): void;
  cut?(): void;
}

/**
 * Where a chat's events go while a client reads them: writing after the stream ended, was cut or
 * was closed by the client does nothing (the chat goes on in the background, as at Coze).
 */
export function streamOf(initial: Sink | null) {
  let sink = initial;
  return {
    emit(name: string, data: unknown): void {
      if (sink && !sink.closed) sink.event(name, data);
    },
    end(): void {
      sink?.done();
      sink = null;
    },
    cut(): void {
      sink?.cut?.();
      sink = null;
    },
  };
}

export async function runChat(
  deps: RunDeps,
  conv: ConversationRecord,
  chat: ChatRecord,
  plan: RunPlan,
): Promise<void> {
  const out = streamOf(plan.sink);
  const { emit, end: endStream } = out;
  const live = (): boolean => chat.status !== 'canceled' && !deps.sleeper.closed;
  const newMessage = (type: string, content: string): MessageRecord => {
    const now = nowSec();
    return {
      id: deps.records.id(),
      conversationId: conv.id,
      botId: chat.botId,
      chatId: chat.id,
      sectionId: conv.id,
      role: 'assistant',
      type,
      content,
      contentType: 'text',
      metaData: {},
      createdAt: now,
      updatedAt: now,
    };
  };
  const save = (m: MessageRecord): void => {
    chat.outputs.push(m);
    if (chat.autoSave) conv.messages.push(m);
  };

  await deps.sleeper.sleep(plan.firstDelayMs);
  if (!live()) return endStream();
  if (!plan.continuation) emit('conversation.chat.created', chatJson(chat, 'created'));
  chat.status = 'in_progress';
  emit('conversation.chat.in_progress', chatJson(chat));
  const inputCount = 50 + Math.ceil(charCount(plan.question) / 2);

  if (plan.reply.kind === 'tool') {
    const args = JSON.stringify({ order_id: plan.reply.orderId });
    const call = newMessage(
      'function_call',
      JSON.stringify({
        name: 'get_order_status',
        arguments: { order_id: plan.reply.orderId },
        plugin_type: 1,
      }),
    );
    save(call);
    emit('conversation.message.completed', messageJson(call));
    chat.toolCalls = [{ id: newToolCallId(), name: 'get_order_status', arguments: args }];
    chat.pendingOrderId = plan.reply.orderId;
    chat.status = 'requires_action';
    chat.usage = { token_count: inputCount + 12, output_count: 12, input_count: inputCount };
    releaseChat(conv, chat);
    emit('conversation.chat.requires_action', chatJson(chat));
    return endStream();
  }

  const text = plan.reply.text;
  const answer = newMessage('answer', text);
  let sent = 0;
  const fail = (): void => {
    chat.status = 'failed';
    chat.failedAt = nowSec();
    chat.lastError = { ...FAILURE };
    chat.outputs = [];
    releaseChat(conv, chat);
    emit('conversation.chat.failed', chatJson(chat));
    endStream();
  };
  const maybeCut = (force: boolean): void => {
    if (plan.cutAfterDeltas === null || (!force && sent < plan.cutAfterDeltas)) return;
    plan.cutAfterDeltas = null;
    out.cut();
  };

  for (const piece of chunkText(text, deps.chunkChars)) {
    await deps.sleeper.sleep(plan.deltaDelayMs);
    if (!live()) return endStream();
    emit('conversation.message.delta', deltaJson(answer, piece));
    sent++;
    if (plan.failAfterDeltas !== null && sent >= plan.failAfterDeltas) return fail();
    maybeCut(false);
  }
  if (plan.failAfterDeltas !== null) return fail();
  maybeCut(true);

  answer.updatedAt = nowSec();
  save(answer);
  emit('conversation.message.completed', messageJson(answer));
  const verbose = newMessage('verbose', VERBOSE_FINISH);
  save(verbose);
  emit('conversation.message.completed', messageJson(verbose));
  for (const question of followUps(plan.reply.zh)) {
    const fu = newMessage('follow_up', question);
    save(fu);
    emit('conversation.message.completed', messageJson(fu));
  }
  if (plan.reply.rememberName) conv.memory.name = plan.reply.rememberName;
  const outputCount = 1 + Math.ceil(charCount(text) / 4);
  chat.usage = { token_count: inputCount + outputCount, output_count: outputCount, input_count: inputCount };
  chat.status = 'completed';
  chat.completedAt = nowSec();
  conv.updatedAt = chat.completedAt;
  releaseChat(conv, chat);
  emit('conversation.chat.completed', chatJson(chat));
  endStream();
}
