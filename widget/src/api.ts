// Requests to the gateway with the session token; one renewal and retry on an expired session.
import { errorOf, networkError, sessionProblem } from './errors.js';
import type { Sessions } from './session.js';

export class GatewayClient {
  readonly #base: string;
  readonly sessions: Sessions;

  constructor(base: string, sessions: Sessions) {
    this.#base = base;
    this.sessions = sessions;
  }

  /** A successful response, or a ChatError (status 0 for a network failure). */
  async request(path: string, init: RequestInit = {}): Promise<Response> {
    let token = this.sessions.current();
    for (let attempt = 0; ; attempt++) {
      const headers = new Headers(init.headers);
      headers.set('authorization', `Bearer ${await token}`);
      const res = await fetch(this.#base + path, { ...init, headers }).catch(() =>
        Promise.reject(networkError()),
      );
      if (res.ok) return res;
      const err = await errorOf(res);
      if (!sessionProblem(err) || attempt > 0) throw err;
      token = this.sessions.renew();
    }
  }

  async json<T>(path: string): Promise<T> {
    return (await this.request(path)).json().catch(() => Promise.reject(networkError())) as Promise<T>;
  }
}
