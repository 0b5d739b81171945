// The bubbles of the message log: a user's message with its sending state, and a bot's answer
// (typing dots, streamed markdown, an error line with a retry control).
import { h } from './dom.js';
import type { Texts } from './i18n.js';
import { loadMarkdown, markdownRenderer } from './lazy.js';

export type SendState = 'sending' | 'sent' | 'queued' | 'failed';

function metaLine(cls: string, line: string, retry: (() => void) | undefined, t: Texts): HTMLDivElement {
  const meta = h('div', { class: cls }, h('span', {}, line));
  if (retry) {
    const b = h('button', { class: 'retry', type: 'button' }, t.retry);
    b.addEventListener('click', retry, { once: true });
    meta.append(b);
  }
  return meta;
}

export class UserMessage {
  readonly el: HTMLDivElement;
  #meta: HTMLDivElement | null = null;

  readonly #t: Texts;

  constructor(text: string, t: Texts) {
    this.#t = t;
    this.el = h('div', { class: 'msg user' }, h('div', { class: 'bubble' }, text));
  }

  /** `line` explains a queued or failed message; `retry` adds the control that sends it again. */
  setState(state: SendState, line?: string, retry?: () => void): void {
    this.el.dataset.state = state;
    this.#meta?.remove();
    this.#meta = null;
    if (line) {
      this.#meta = metaLine(state === 'failed' ? 'meta error' : 'meta', line, retry, this.#t);
      this.el.append(this.#meta);
    }
  }
}

export class BotMessage {
  readonly el: HTMLDivElement;
  readonly #bubble: HTMLDivElement;
  readonly #typing: HTMLDivElement;
  #meta: HTMLDivElement | null = null;
  #text = '';
  #waiting = false;

  readonly #t: Texts;

  constructor(t: Texts) {
    this.#t = t;
    this.#bubble = h('div', { class: 'bubble', hidden: true });
    this.#typing = h(
      'div',
      { class: 'typing', hidden: true },
      h('span', { class: 'sr' }, t.typing),
      h('i', { 'aria-hidden': 'true' }),
      h('i', { 'aria-hidden': 'true' }),
      h('i', { 'aria-hidden': 'true' }),
    );
    this.el = h('div', { class: 'msg bot' }, this.#typing, this.#bubble);
  }

  setTyping(on: boolean): void {
    this.#typing.hidden = !on;
  }

  /** While a tool runs: the typing dots with a visible "looking that up" line (CSS ::before). */
  setLooking(on: boolean): void {
    this.#typing.dataset.l = on ? this.#t.looking : '';
    if (on) this.#typing.hidden = false;
  }

  /**
   * Shows `markdown` (the whole answer so far), sanitized; as plain text until the markdown chunk
   * has arrived (then rendered again).
   */
  setText(markdown: string): void {
    this.#text = markdown;
    const b = this.#bubble;
    b.hidden = markdown === '';
    const render = markdownRenderer();
    b.classList.toggle('plain', !render);
    if (render) b.innerHTML = render(markdown);
    else {
      b.textContent = markdown;
      if (!this.#waiting) {
        this.#waiting = true;
        loadMarkdown().then(
          () => this.setText(this.#text),
          () => {},
        );
      }
    }
    if (markdown) this.#typing.hidden = true;
  }

  /** A line under the answer: an error (with a retry control), a note such as "reconnecting…", or none. */
  setLine(line: string | null, error = false, retry?: () => void): void {
    this.#meta?.remove();
    this.#meta = null;
    if (line === null) return;
    if (error) this.#typing.hidden = true;
    this.#meta = metaLine(error ? 'meta error' : 'meta', line, retry, this.#t);
    this.el.append(this.#meta);
  }

  setError(line: string, retry?: () => void): void {
    this.setLine(line, true, retry);
  }
}
