// Drives one chatflow round (§5.4): chat v3 events, Chat objects and messages without bot_id.
//   answer:   chat.created, chat.in_progress, message.delta×N, message.completed (answer),
//             message.completed (verbose generate_answer_finish 0), chat.completed, done
//   question: chat.created, chat.in_progress, message.delta×N, message.completed (the question as
//             an answer), message.completed (verbose interrupt), message.completed (verbose
//             generate_answer_finish 1), chat.requires_action (tool call type reply_message), done
//   #fail:    chat.created, chat.in_progress, message.delta×2, chat.failed, done
import { chunkText } from './bot.js';
import { charCount, FAILURE, type RunDeps, releaseChat, streamOf } from './chat-round.js';
import { newToolCallId, nowSec } from './ids.js';
import {
  type ChatRecord,
  type ChatStatus,
  type ConversationRecord,
  chatJson,
  deltaJson,
  type MessageRecord,
  messageJson,
} from './records.js';

export interface ChatflowSink {
  event(name: string, data: unknown): void;
  /** Writes `done` {"debug_url":…} and ends. */
  done(): void;
  readonly closed: boolean;
}

export interface ChatflowPlan {
  sink: ChatflowSink | null;
  /** The answer, or the question when `interrupt` is set (it is kept on the conversation). */
  text: string;
  interrupt: { workflowId: string; input: string } | null;
  rememberName?: string;
  /** The user's input (for usage counts). */
  input: string;
  firstDelayMs: number;
  deltaDelayMs: number;
  failAfterDeltas: number | null;
}

const without = (o: Record<string, unknown>, ...keys: string[]): Record<string, unknown> => {
  const out = { ...o };
  for (const k of keys) delete out[k];
  return out;
};

const chatflowChatJson = (c: ChatRecord, status?: ChatStatus): Record<string, unknown> =>
  without(chatJson(c, status), 'bot_id', 'meta_data');
const messageOut = (m: MessageRecord): Record<string, unknown> =>
  without(messageJson(m), 'bot_id', 'meta_data');
const deltaOut = (m: MessageRecord, piece: string): Record<string, unknown> =>
  without(deltaJson(m, piece), 'bot_id');

function verbose(msgType: string, data: string): string {
  return JSON.stringify({ msg_type: msgType, data, from_module: null, from_unit: null });
}

const finish = (reason: number): string =>
  verbose('generate_answer_finish', JSON.stringify({ finish_reason: reason, FinData: '' }));

export async function runChatflow(
  deps: RunDeps,
  conv: ConversationRecord,
  chat: ChatRecord,
  plan: ChatflowPlan,
): Promise<void> {
  const { emit, end: endStream } = streamOf(plan.sink);
  const release = (): void => releaseChat(conv, chat);
  const live = (): boolean => chat.status !== 'canceled' && !deps.sleeper.closed;
  const newMessage = (type: string, content: string): MessageRecord => {
    const now = nowSec();
    const m: MessageRecord = {
      id: deps.records.id(),
      conversationId: conv.id,
      botId: '',
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
    return m;
  };
  const complete = (m: MessageRecord): void => {
    chat.outputs.push(m);
    conv.messages.push(m);
    emit('conversation.message.completed', messageOut(m));
  };

  await deps.sleeper.sleep(plan.firstDelayMs);
  if (!live()) return endStream();
  emit('conversation.chat.created', chatflowChatJson(chat, 'created'));
  chat.status = 'in_progress';
  emit('conversation.chat.in_progress', chatflowChatJson(chat));

  const answer = newMessage('answer', plan.text);
  let sent = 0;
  for (const piece of chunkText(plan.text, deps.chunkChars)) {
    await deps.sleeper.sleep(plan.deltaDelayMs);
    if (!live()) return endStream();
    emit('conversation.message.delta', deltaOut(answer, piece));
    sent++;
    if (plan.failAfterDeltas !== null && sent >= plan.failAfterDeltas) break;
  }
  if (plan.failAfterDeltas !== null) {
    chat.status = 'failed';
    chat.failedAt = nowSec();
    chat.lastError = { ...FAILURE };
    chat.outputs = [];
    release();
    emit('conversation.chat.failed', chatflowChatJson(chat));
    return endStream();
  }

  complete(answer);
  const inputCount = 20 + Math.ceil(charCount(plan.input) / 2);
  const outputCount = 1 + Math.ceil(charCount(plan.text) / 4);
  chat.usage = { token_count: inputCount + outputCount, output_count: outputCount, input_count: inputCount };
  if (plan.interrupt) {
    const question = JSON.stringify({ content_type: 'text', content: plan.text });
    complete(newMessage('verbose', verbose('interrupt', question)));
    complete(newMessage('verbose', finish(1)));
    chat.toolCalls = [
      {
        id: newToolCallId(),
        type: 'reply_message',
        name: 'Question',
        arguments: JSON.stringify({ question: plan.text }),
      },
    ];
    chat.status = 'requires_action';
    conv.pendingQuestion = plan.interrupt;
    release();
    emit('conversation.chat.requires_action', chatflowChatJson(chat));
    return endStream();
  }
  complete(newMessage('verbose', finish(0)));
  if (plan.rememberName) conv.memory.name = plan.rememberName;
  chat.status = 'completed';
  chat.completedAt = nowSec();
  conv.updatedAt = chat.completedAt;
  release();
  emit('conversation.chat.completed', chatflowChatJson(chat));
  endStream();
}
