import type { Chat, ChatEvent } from '../coze/index.js';
import type { Usage } from '../ledger/index.js';

/**
 * Folds Coze chat events into what the gateway records: the answer text, usage, follow-up
 * suggestions, Coze's chat id, and how the chat ended. Emits answer text through `onText`.
 */
export class AnswerAccumulator {
  answer = '';
  suggestions: string[] = [];
  usage?: Usage;
  chatId?: string;
  /** How Coze ended the chat, once it has. */
  ending?:
    | { kind: 'completed' }
    | { kind: 'failed'; cozeCode?: number; cozeMsg?: string }
    | { kind: 'canceled' }
    | { kind: 'requires_action'; chat: Chat };
  sawDone = false;
  /** The answer is a question (a workflow question node, a chatflow input node): the next message replies. */
  awaitingReply = false;
  private readonly streamedMessages = new Set<string>();

  constructor(private readonly onText: (text: string) => void) {}

  /** Applies one event. */
  apply(e: ChatEvent): void {
    switch (e.type) {
      case 'chat':
        this.applyChat(e.event, e.chat);
        break;
      case 'message': {
        const m = e.message;
        if (m.role !== 'assistant') break;
        if (e.event === 'conversation.message.delta' && m.type === 'answer' && m.content) {
          this.streamedMessages.add(m.id);
          this.text(m.content);
        } else if (e.event === 'conversation.message.completed') {
          // An answer that came whole, with no deltas before it, still reaches the user.
          if (m.type === 'answer' && m.content && !this.streamedMessages.has(m.id)) {
            this.text(this.answer ? `\n\n${m.content}` : m.content);
          } else if (m.type === 'follow_up' && m.content) {
            this.suggestions.push(m.content);
          }
        }
        break;
      }
      case 'error':
        this.ending = { kind: 'failed', cozeCode: e.code, cozeMsg: e.msg };
        break;
      case 'done':
        this.sawDone = true;
        break;
      default:
        break;
    }
  }

  private applyChat(event: string, chat: Chat): void {
    this.chatId ??= chat.id;
    if (chat.usage) {
      this.usage = {
        inputTokens: chat.usage.input_count ?? 0,
        outputTokens: chat.usage.output_count ?? 0,
        totalTokens: chat.usage.token_count ?? 0,
      };
    }
    switch (event) {
      case 'conversation.chat.completed':
        this.ending = { kind: 'completed' };
        break;
      case 'conversation.chat.failed':
        this.ending = { kind: 'failed', cozeCode: chat.last_error?.code, cozeMsg: chat.last_error?.msg };
        break;
      case 'conversation.chat.canceled':
        this.ending = { kind: 'canceled' };
        break;
      case 'conversation.chat.requires_action':
        this.ending = { kind: 'requires_action', chat };
        break;
    }
  }

  /** Adds answer text that did not come as a chat event (workflow output). */
  addText(t: string): void {
    this.text(t);
  }

  private text(t: string): void {
    this.answer += t;
    this.onText(t);
  }
}
