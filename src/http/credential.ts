// Whether the gateway can get a working Coze token: checked at start, remembered, re-checked in
// the background (so /ready costs no Coze call per probe). A PAT is never "exchanged", so getting
// a token proves nothing: the check makes one cheap authenticated read (a conversation that does
// not exist), which Coze refuses with an auth code when the credential is wrong.
import type { CozeClient } from '../coze/index.js';
import { isGatewayError } from '../errors.js';

/** `ok`, `checking` (the first check has not finished), or the GW_* code of the failure. */
export type CredentialStatus = 'ok' | 'checking' | string;

export interface CredentialCheckOptions {
  /** Re-check a working credential this often (default 5 minutes). */
  okTtlMs?: number;
  /** Re-check a failing one this often (default 30 s). */
  retryMs?: number;
  now?: () => number;
  /** Told of every change of status (the first result included). */
  onChange?(status: CredentialStatus, error: unknown): void;
}

export class CredentialCheck {
  private status: CredentialStatus = 'checking';
  private checkedAt = 0;
  private running: Promise<CredentialStatus> | undefined;
  private readonly okTtlMs: number;
  private readonly retryMs: number;
  private readonly now: () => number;

  constructor(
    private readonly probe: () => Promise<unknown>,
    private readonly options: CredentialCheckOptions = {},
  ) {
    this.okTtlMs = options.okTtlMs ?? 300_000;
    this.retryMs = options.retryMs ?? 30_000;
    this.now = options.now ?? Date.now;
  }

  /** Runs the check now (one at a time) and resolves its result. */
  check(): Promise<CredentialStatus> {
    this.running ??= (async () => {
      let next: CredentialStatus;
      let error: unknown;
      try {
        await this.probe();
        next = 'ok';
      } catch (e) {
        error = e;
        next = isGatewayError(e) ? e.code : 'GW_UPSTREAM_UNAVAILABLE';
      }
      this.checkedAt = this.now();
      if (next !== this.status) this.options.onChange?.(next, error);
      this.status = next;
      this.running = undefined;
      return next;
    })();
    return this.running;
  }

  /**
   * The remembered status: waits only for the very first check; a stale result is returned at
   * once while a re-check runs in the background.
   */
  async current(): Promise<CredentialStatus> {
    if (this.status === 'checking') return this.check();
    const age = this.now() - this.checkedAt;
    if (age >= (this.status === 'ok' ? this.okTtlMs : this.retryMs)) void this.check();
    return this.status;
  }
}

/**
 * The probe: read a conversation that does not exist. Coze answering "not found" (or any refusal
 * of the request itself) proves the credential works; an auth code, or no answer, does not.
 */
export function cozeCredentialProbe(coze: CozeClient): () => Promise<void> {
  return async () => {
    try {
      await coze.retrieveConversation({ sessionName: 'coze-gateway:ready', conversationId: '0' });
    } catch (e) {
      if (isGatewayError(e) && e.code === 'GW_COZE_REJECTED') return;
      throw e;
    }
  };
}
