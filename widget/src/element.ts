// <coze-chat>: the custom element. Builds the view in an open shadow root, wires it to a Chat,
// and is the JavaScript API: open(), close(), toggle(), send(), newConversation(), setToken(),
// the `token` and `getToken` properties.
import { GatewayClient } from './api.js';
import { BrowserStorage } from './browser-storage.js';
import { Chat } from './chat.js';
import { type Texts, textsFor } from './i18n.js';
import { chunks, loadMarkdown } from './lazy.js';
import { readOptions } from './options.js';
import { Sessions, type TokenProvider } from './session.js';
import { buildView, type View } from './view.js';

const DARK = matchMedia('(prefers-color-scheme: dark)');
/** Where the open panel covers the whole page (the breakpoint of styles.ts). */
const SMALL = matchMedia('(max-width:520px)');

export class CozeChatElement extends HTMLElement {
  static scriptBase: string | null = null;
  static get observedAttributes(): string[] {
    return ['token', 'theme', 'position', 'welcome'];
  }

  #view: View | null = null;
  #chat: Chat | null = null;
  #sessions: Sessions | null = null;
  #texts: Texts = textsFor('en', []);
  #provider: TokenProvider | null = null;

  /** The host's callback for a fresh session token (identified mode). */
  get getToken(): TokenProvider | null {
    return this.#provider;
  }
  set getToken(fn: TokenProvider | null) {
    this.#provider = typeof fn === 'function' ? fn : null;
    if (this.#sessions) {
      this.#sessions.provider = this.#provider;
      if (this.#provider) this.#sessions.identified = true;
    }
  }

  set token(value: string) {
    this.setToken(value);
  }

  setToken(token: string): void {
    this.#sessions?.setToken(token);
  }

  connectedCallback(): void {
    // Properties a page set before the element was defined shadow the class's accessors.
    for (const prop of ['getToken', 'token'] as const) {
      if (Object.hasOwn(this, prop)) {
        const value: unknown = Reflect.get(this, prop);
        Reflect.deleteProperty(this, prop);
        Reflect.set(this, prop, value);
      }
    }
    if (this.#view) return;
    this.#mountView();
  }

  attributeChangedCallback(name: string, _old: string | null, value: string | null): void {
    if (name === 'token' && value) this.setToken(value);
    else if (name === 'welcome') this.#view?.log.setAttribute('data-hi', value || this.#texts.welcome);
    else this.#applyLooks();
  }

  #mountView(): void {
    const o = readOptions(this, CozeChatElement.scriptBase);
    const t = textsFor(o.lang, navigator.languages ?? [navigator.language]);
    this.#texts = t;
    const store = new BrowserStorage(`coze-chat:${o.gateway}:${o.app}:${o.identified ? 'user' : 'visitor'}:`);
    const sessions = new Sessions(o.gateway, o.app, store, o.identified || this.#provider !== null);
    sessions.provider = this.#provider;
    if (o.token) sessions.setToken(o.token);
    this.#sessions = sessions;
    const shadow = this.shadowRoot ?? this.attachShadow({ mode: 'open' });
    chunks.base = CozeChatElement.scriptBase ?? o.gateway;
    const view = buildView(shadow, t, {
      title: o.title || t.title,
      avatar: o.avatar,
      brand: o.brand,
      welcome: o.welcome || t.welcome,
    });
    this.#view = view;
    this.#chat = new Chat(new GatewayClient(o.gateway, sessions), store, view, t);
    this.#chat.onUnread = (n) => this.#showUnread(n);
    this.#wire(view);
    DARK.addEventListener('change', () => this.#applyLooks());
    this.#applyLooks();
    // Opened by the page, not by the visitor: no focus taken, and not on a small screen, where the
    // panel would hide the whole page the visitor came to read.
    if (o.startOpen && !SMALL.matches) this.#show(false);
  }

  /** Light or dark (the `theme` attribute, else the system's), left or right. */
  #applyLooks(): void {
    const root = this.#view?.root;
    if (!root) return;
    const theme = this.getAttribute('theme');
    root.classList.toggle('dark', theme === 'dark' || (theme !== 'light' && DARK.matches));
    root.classList.toggle('left', this.getAttribute('position') === 'left');
  }

  #wire(v: View): void {
    v.launcher.addEventListener('click', () => this.toggle());
    v.closeButton.addEventListener('click', () => this.close());
    v.newButton.addEventListener('click', () => {
      this.#chat?.newConversation();
      v.input.focus();
    });
    v.panel.addEventListener('keydown', (e) => {
      if (e.key === 'Escape') this.close();
    });
    v.form.addEventListener('submit', (e) => {
      e.preventDefault();
      this.send(v.input.value);
      v.input.value = '';
      this.#grow();
    });
    v.input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        v.form.requestSubmit();
      }
    });
    v.input.addEventListener('input', () => this.#grow());
  }

  #grow(): void {
    const input = this.#view?.input;
    if (!input) return;
    input.style.height = 'auto';
    // scrollHeight has the padding but not the 1 px borders (the box is border-box).
    input.style.height = `${Math.min(input.scrollHeight + 2, 120)}px`;
  }

  #showUnread(n: number): void {
    const v = this.#view;
    if (!v) return;
    v.badge.hidden = n === 0;
    v.badge.textContent = String(n);
    v.launcher.setAttribute('aria-label', n ? this.#texts.unread(n) : this.#texts.open);
  }

  open(): void {
    this.#show(true);
  }

  #show(focus: boolean): void {
    const v = this.#view;
    if (!v || !this.#chat) return;
    this.#chat.isOpen = true;
    this.#chat.unreadCount = 0;
    this.#showUnread(0);
    v.panel.hidden = false;
    v.root.classList.add('open');
    v.launcher.setAttribute('aria-expanded', 'true');
    void this.#chat.restore();
    loadMarkdown(true).catch(() => {});
    if (focus) v.input.focus();
  }

  close(): void {
    const v = this.#view;
    if (!v || !this.#chat) return;
    this.#chat.isOpen = false;
    v.panel.hidden = true;
    v.root.classList.remove('open');
    v.launcher.setAttribute('aria-expanded', 'false');
    v.launcher.focus();
  }

  toggle(): void {
    if (this.#chat?.isOpen) this.close();
    else this.open();
  }

  /** Sends `text` as the user (opens the panel first). */
  send(text: string): void {
    if (!this.#chat?.isOpen) this.open();
    this.#chat?.send(text);
  }

  newConversation(): void {
    this.#chat?.newConversation();
  }
}
