// Where the widget's session token comes from: a visitor session it makes itself (kept in
// localStorage), or, in identified mode, a token the host page hands over, renewed through the
// host's callback when the gateway says it has expired.

import type { BrowserStorage } from './browser-storage.js';
import { ChatError, errorOf, networkError } from './errors.js';

export type TokenProvider = () => string | Promise<string>;

interface Saved {
  token: string;
  expires_at: string;
}

export class Sessions {
  /** The token in use (identified mode: the host's; visitor mode: ours). */
  #token: string | null = null;
  #pending: Promise<string> | null = null;
  /** Called when a visitor session is replaced: the old visitor's conversations are gone. */
  onNewVisitor: () => void = () => {};
  provider: TokenProvider | null = null;

  readonly #base: string;
  readonly #app: string;
  readonly #store: BrowserStorage;
  /** Identified mode: never falls back to a visitor session. */
  identified: boolean;

  constructor(base: string, app: string, store: BrowserStorage, identified: boolean) {
    this.#base = base;
    this.#app = app;
    this.#store = store;
    this.identified = identified;
  }

  /** A token handed over by the host page (attribute or JS API). */
  setToken(token: string): void {
    this.identified = true;
    this.#token = token;
  }

  /** The token to use now; makes or fetches one when there is none. */
  current(): Promise<string> {
    if (this.#token) return Promise.resolve(this.#token);
    if (!this.identified) {
      const saved = this.#loadVisitor();
      if (saved) {
        this.#token = saved;
        return Promise.resolve(saved);
      }
    }
    return this.renew();
  }

  /** A fresh token (after a 401): the host's callback, or a new visitor session. One at a time. */
  renew(): Promise<string> {
    this.#token = null;
    this.#pending ??= this.#fetchToken().finally(() => {
      this.#pending = null;
    });
    return this.#pending;
  }

  async #fetchToken(): Promise<string> {
    if (this.identified) {
      const provider = this.provider;
      if (!provider) throw new ChatError(401, 'GW_SESSION_EXPIRED');
      // The host's callback failing is a session it could not renew, not a broken connection.
      const token = await Promise.resolve()
        .then(provider)
        .catch((e: unknown) => {
          console.error('coze-chat: getToken failed', e);
          return '';
        });
      if (typeof token !== 'string' || token === '') throw new ChatError(401, 'GW_SESSION_EXPIRED');
      this.#token = token;
      return token;
    }
    this.#store.remove('session');
    const res = await fetch(`${this.#base}/v1/sessions/visitor`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ app: this.#app }),
    }).catch(() => Promise.reject(networkError()));
    if (!res.ok) throw await errorOf(res);
    const s = (await res.json().catch(() => Promise.reject(networkError()))) as Saved;
    this.#store.set('session', JSON.stringify({ token: s.token, expires_at: s.expires_at }));
    this.onNewVisitor();
    this.#token = s.token;
    return s.token;
  }

  #loadVisitor(): string | null {
    try {
      const s = JSON.parse(this.#store.get('session') ?? 'null') as Saved | null;
      return s && Date.parse(s.expires_at) > Date.now() + 60_000 ? s.token : null;
    } catch {
      return null;
    }
  }
}
