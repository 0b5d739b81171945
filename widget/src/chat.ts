// The conversation: sends messages one at a time (queued while offline), shows answers as they
// stream, restores the history, counts answers that arrive while the panel is closed.
import type { GatewayClient } from './api.js';
import type { BrowserStorage } from './browser-storage.js';
import { h } from './dom.js';
import { asChatError, ChatError, type Code, describe } from './errors.js';
import type { Texts } from './i18n.js';
import { BotMessage, UserMessage } from './messages.js';
import { followTurn, runTurn, type TurnResult } from './turn.js';
import type { View } from './view.js';

interface Outgoing {
  text: string;
  key: string;
  user: UserMessage;
}

interface Recorded {
  turn_id: string;
  role: 'user' | 'assistant';
  content: string;
  status?: string;
  error_code?: string | null;
}

/** An Idempotency-Key (randomUUID exists only on https and localhost pages). */
const newKey = () => crypto.randomUUID?.() ?? Math.random().toString(36).slice(2) + Date.now().toString(36);

export class Chat {
  #conversationId: string | undefined;
  readonly #queue: Outgoing[] = [];
  #busy = false;
  /** Bumped by "new conversation": answers of the old one no longer touch the state. */
  #generation = 0;
  #restored: Promise<void> | null = null;
  unreadCount = 0;
  isOpen = false;
  onUnread: (n: number) => void = () => {};

  readonly #api: GatewayClient;
  readonly #store: BrowserStorage;
  readonly #view: View;
  readonly #t: Texts;

  constructor(api: GatewayClient, store: BrowserStorage, view: View, t: Texts) {
    this.#api = api;
    this.#store = store;
    this.#view = view;
    this.#t = t;
    const saved = store.get('conversation');
    this.#conversationId = saved || undefined;
    api.sessions.onNewVisitor = () => this.#forgetConversation();
    addEventListener('online', () => this.#onNetwork());
    addEventListener('offline', () => this.#onNetwork());
    this.#onNetwork();
  }

  /** Loads the history once (on first open). */
  restore(): Promise<void> {
    this.#restored ??= this.#loadHistory().catch((e: unknown) => {
      asChatError(e); // a bug is logged; a network failure only means no history this time
    });
    return this.#restored;
  }

  send(text: string): void {
    const trimmed = text.trim();
    if (!trimmed) return;
    this.#hideChips();
    const user = new UserMessage(trimmed, this.#t);
    this.#addToLog(user.el);
    this.#queue.push({ text: trimmed, key: newKey(), user });
    user.setState('sending');
    void this.#pump();
  }

  newConversation(): void {
    this.#generation++;
    this.#forgetConversation();
    this.#store.set('conversation', '');
    this.#queue.length = 0;
    this.#busy = false;
    this.#hideChips();
    this.#view.log.replaceChildren();
  }

  #forgetConversation(): void {
    this.#conversationId = undefined;
    this.#store.remove('conversation');
  }

  #onNetwork(): void {
    this.#view.banner.hidden = navigator.onLine;
    if (navigator.onLine) void this.#pump();
    else for (const m of this.#queue) m.user.setState('queued', this.#t.queued);
  }

  async #pump(): Promise<void> {
    if (this.#busy || this.#queue.length === 0) return;
    if (!navigator.onLine) {
      for (const m of this.#queue) m.user.setState('queued', this.#t.queued);
      return;
    }
    await this.#restored;
    const item = this.#queue.shift();
    if (!item) return;
    this.#busy = true;
    const generation = this.#generation;
    try {
      await this.#deliver(item, generation);
    } finally {
      if (generation === this.#generation) {
        this.#busy = false;
        void this.#pump();
      }
    }
  }

  async #deliver(item: Outgoing, generation: number): Promise<void> {
    item.user.setState('sending');
    const bot = new BotMessage(this.#t);
    bot.setTyping(true);
    this.#addToLog(bot.el);
    const handlers = {
      onTurn: (_turn: string, conversation: string) => {
        item.user.setState('sent'); // the gateway has it, whatever happens to the answer
        if (generation !== this.#generation) return;
        this.#conversationId = conversation;
        this.#store.set('conversation', conversation);
      },
      onText: (text: string) => {
        bot.setText(text);
        this.#scrollDown();
      },
      onTool: (running: boolean) => bot.setLooking(running),
      // A cut, not a failure: the partial answer stays, marked, while the turn is followed again.
      onCut: () => bot.setLine(this.#t.reconnecting),
    };
    try {
      const result = await runTurn(
        this.#api,
        { message: item.text, conversationId: this.#conversationId, key: item.key },
        handlers,
      );
      item.user.setState('sent');
      this.#showResult(bot, result, generation, item.text);
    } catch (e) {
      bot.el.remove();
      const err = asChatError(e);
      if (err.status === 0 && !navigator.onLine) {
        this.#queue.unshift(item);
        item.user.setState('queued', this.#t.queued);
        return;
      }
      item.user.setState('failed', describe(err, this.#t), () => {
        if (generation !== this.#generation) return;
        this.#queue.push(item);
        void this.#pump();
      });
    }
  }

  #showResult(bot: BotMessage, r: TurnResult, generation: number, question: string): void {
    bot.setText(r.answer);
    bot.setLine(null);
    if (r.error) {
      bot.setError(describe(r.error, this.#t), question ? () => this.send(question) : undefined);
    } else if (generation === this.#generation) {
      this.#showChips(r.suggestions);
    }
    if (!this.isOpen && generation === this.#generation) this.onUnread(++this.unreadCount);
    this.#scrollDown();
  }

  async #loadHistory(): Promise<void> {
    let id = this.#conversationId;
    if (id === undefined && this.#store.get('conversation') === null) {
      const { conversations } = await this.#api.json<{ conversations: { id: string }[] }>(
        '/v1/conversations?limit=1',
      );
      id = conversations[0]?.id;
    }
    if (!id) return;
    let messages: Recorded[];
    try {
      ({ messages } = await this.#api.json<{ messages: Recorded[] }>(
        `/v1/conversations/${encodeURIComponent(id)}/messages`,
      ));
    } catch (e) {
      if (e instanceof ChatError && e.status === 404) this.#forgetConversation();
      return;
    }
    if (this.#view.log.querySelector('.msg.user')) return; // the user started typing meanwhile
    this.#conversationId = id;
    this.#store.set('conversation', id);
    for (const m of messages) this.#showRecorded(m, id);
    this.#scrollDown();
  }

  #showRecorded(m: Recorded, conversationId: string): void {
    if (m.role === 'user') {
      const user = new UserMessage(m.content, this.#t);
      user.setState('sent');
      this.#addToLog(user.el);
      return;
    }
    const bot = new BotMessage(this.#t);
    bot.setText(m.content);
    this.#addToLog(bot.el);
    if (m.status === 'pending') {
      bot.setTyping(!m.content);
      const generation = this.#generation;
      followTurn(this.#api, m.turn_id, conversationId, { onTurn: () => {}, onText: (x) => bot.setText(x) })
        .then((r) => this.#showResult(bot, r, generation, ''))
        .catch((e: unknown) => bot.setError(describe(asChatError(e), this.#t)));
    } else if (m.status && m.status !== 'completed') {
      bot.setError(describe(new ChatError(502, (m.error_code ?? 'GW_CHAT_FAILED') as Code), this.#t));
    }
  }

  #showChips(suggestions: string[]): void {
    const chips = this.#view.chips;
    chips.replaceChildren();
    for (const s of suggestions.slice(0, 4)) {
      const b = h('button', { class: 'chip', type: 'button' }, s);
      b.addEventListener('click', () => this.send(s));
      chips.append(b);
    }
    chips.hidden = suggestions.length === 0;
  }

  #hideChips(): void {
    this.#view.chips.hidden = true;
    this.#view.chips.replaceChildren();
  }

  #addToLog(el: HTMLElement): void {
    this.#view.log.append(el);
    this.#scrollDown();
  }

  #scrollDown(): void {
    const log = this.#view.log;
    log.scrollTop = log.scrollHeight;
  }
}
