import { compositeKey } from '../keys.js';
import type { ConversationRecord } from './records.js';

/** How long, and how many, found conversations are remembered (see Ledger.findConversation). */
export const OWNED_CACHE_MS = 60_000;
const OWNED_CACHE_SIZE = 10_000;

/**
 * Conversations found by (app, user, id), remembered for a while: every turn asks whether its
 * conversation is the caller's (docs/decisions/0017). Keys are length-prefixed (`compositeKey`), so
 * no two different (app, user, id) ever share an entry, whatever characters the parts hold.
 */
export class OwnedConversations {
  readonly #entries = new Map<string, { record: ConversationRecord; until: number }>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly ttlMs = OWNED_CACHE_MS,
    private readonly size = OWNED_CACHE_SIZE,
  ) {}

  get(appId: string, userId: string, id: string): ConversationRecord | undefined {
    const hit = this.#entries.get(keyOf(appId, userId, id));
    return hit && hit.until > this.now() ? hit.record : undefined;
  }

  /** Remembers a found conversation under its own app, user and id (the oldest entry makes room). */
  remember(record: ConversationRecord): void {
    const key = keyOf(record.appId, record.userId, record.id);
    this.#entries.delete(key);
    if (this.#entries.size >= this.size) this.#entries.delete(this.#entries.keys().next().value as string);
    this.#entries.set(key, { record, until: this.now() + this.ttlMs });
  }

  forget(appId: string, userId: string, id: string): void {
    this.#entries.delete(keyOf(appId, userId, id));
  }

  /** Forgets every conversation of one user (they moved to another). */
  forgetOwner(appId: string, userId: string): void {
    // Length-prefixed parts: only this user's keys start with this (another user's never does).
    const prefix = `${compositeKey('conv', appId, userId)}:`;
    for (const key of this.#entries.keys()) if (key.startsWith(prefix)) this.#entries.delete(key);
  }
}

const keyOf = (appId: string, userId: string, id: string) => compositeKey('conv', appId, userId, id);
