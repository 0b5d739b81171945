import type { Chat, ChatEvent, ToolCall } from '../coze/index.js';
import type { Usage } from '../ledger/index.js';

/** How Coze ended the chat, as far as the stream said. */
export type Verdict =
  | { kind: 'completed' }
  | { kind: 'failed'; cozeCode?: number; cozeMsg?: string }
  | { kind: 'canceled' };

/** What a target's stream gave: read by the ending's decision, the record and the final event. */
export interface Answer {
  readonly text: string;
  readonly suggestions: readonly string[];
  readonly usage?: Usage;
  /** Coze's chat id, once a chat began (a workflow has none). */
  readonly chatId?: string;
  /** Undefined when the stream stopped before Coze said how the chat ended. */
  readonly verdict?: Verdict;
  /** The answer is a question (a workflow question node, a chatflow input node): the next message replies. */
  readonly awaitingReply: boolean;
}

/**
 * Folds a target's events into an `Answer`: the text (emitted through `onText` as it comes),
 * usage, follow-up suggestions, Coze's chat id, and how the chat ended. Its state changes only
 * through the methods below; `answer()` is what it came to.
 */
export class AnswerAccumulator {
  #text = '';
  readonly #suggestions: string[] = [];
  #usage?: Usage;
  #chatId?: string;
  #verdict?: Verdict;
  #toolCalls?: ToolCall[];
  #awaitingReply = false;
  readonly #streamedMessages = new Set<string>();

  constructor(private readonly onText: (text: string) => void) {}

  /** Applies one event of a chat or chatflow stream. */
  apply(e: ChatEvent): void {
    switch (e.type) {
      case 'chat':
        this.applyChat(e.event, e.chat);
        break;
      case 'message': {
        const m = e.message;
        if (m.role !== 'assistant') break;
        if (e.event === 'conversation.message.delta' && m.type === 'answer' && m.content) {
          this.#streamedMessages.add(m.id);
          this.addText(m.content);
        } else if (e.event === 'conversation.message.completed') {
          // An answer that came whole, with no deltas before it, still reaches the user.
          if (m.type === 'answer' && m.content && !this.#streamedMessages.has(m.id)) {
            this.addText(this.#text ? `\n\n${m.content}` : m.content);
          } else if (m.type === 'follow_up' && m.content) {
            this.#suggestions.push(m.content);
          }
        }
        break;
      }
      case 'error':
        this.fail(e.code, e.msg);
        break;
      default:
        break;
    }
  }

  private applyChat(event: string, chat: Chat): void {
    this.#chatId ??= chat.id;
    if (chat.usage) {
      this.#usage = {
        inputTokens: chat.usage.input_count ?? 0,
        outputTokens: chat.usage.output_count ?? 0,
        totalTokens: chat.usage.token_count ?? 0,
      };
    }
    switch (event) {
      case 'conversation.chat.completed':
        this.#verdict = { kind: 'completed' };
        break;
      case 'conversation.chat.failed':
        this.fail(chat.last_error?.code, chat.last_error?.msg);
        break;
      case 'conversation.chat.canceled':
        this.#verdict = { kind: 'canceled' };
        break;
      case 'conversation.chat.requires_action':
        this.#toolCalls = chat.required_action?.submit_tool_outputs?.tool_calls ?? [];
        break;
    }
  }

  /** Adds answer text (a delta, or a workflow node's output). */
  addText(t: string): void {
    this.#text += t;
    this.onText(t);
  }

  /** The stream ended the chat with an error. */
  fail(cozeCode?: number, cozeMsg?: string): void {
    this.#verdict = { kind: 'failed', cozeCode, cozeMsg };
  }

  /** The target finished (a workflow's `done`): completed, unless it already said otherwise. */
  finish(): void {
    this.#verdict ??= { kind: 'completed' };
  }

  /** The target stopped at a question (a workflow question node, a chatflow input node). */
  askUser(): void {
    this.#awaitingReply = true;
    this.#verdict = { kind: 'completed' };
  }

  /** The tools the bot asked for in the stream just drained (once), or undefined. */
  takeToolCalls(): ToolCall[] | undefined {
    const calls = this.#toolCalls;
    this.#toolCalls = undefined;
    return calls;
  }

  get text(): string {
    return this.#text;
  }

  get chatId(): string | undefined {
    return this.#chatId;
  }

  get ended(): boolean {
    return this.#verdict !== undefined;
  }

  answer(): Answer {
    return {
      text: this.#text,
      suggestions: [...this.#suggestions],
      usage: this.#usage,
      chatId: this.#chatId,
      verdict: this.#verdict,
      awaitingReply: this.#awaitingReply,
    };
  }
}
