import type { AppConfig } from '../config/index.js';
import type { CozeClient } from '../coze/index.js';
import { GatewayError } from '../errors.js';
import { cozeIdentity, principalOf, type Session } from '../identity/index.js';
import { newId } from '../ids.js';
import { compositeKey } from '../keys.js';
import type { ConversationRecord, Ledger } from '../ledger/index.js';
import { acquireLock, type Lock, type Store } from '../state/index.js';
import { type RetryClock, retry, UPSTREAM_RETRIES, upstreamUnavailable } from './backoff.js';
import type { CircuitBreaker } from './breaker.js';
import type { StartedTurn, TurnInput } from './input.js';

/**
 * The turn lock lives this long unless renewed; it is renewed every third of it while the turn
 * runs. A conversation whose instance died is free again within this time, not after a whole
 * turn timeout (and recovery may then take the turn over).
 */
export const TURN_LOCK_TTL_MS = 30_000;
/** An Idempotency-Key names its first turn for this long. */
const IDEMPOTENCY_TTL_MS = 24 * 3_600_000;

export interface AdmitDeps {
  coze: CozeClient;
  ledger: Ledger;
  store: Store;
  breaker: CircuitBreaker;
  clock: RetryClock;
  settings: { lockWaitMs: number; unavailableMessage?: string; fallbackAnswer?: string };
}

/** A turn admitted: its question is written as `pending` and its conversation's lock is held. */
export interface Admitted {
  conversation: ConversationRecord;
  lock: Lock;
}

/**
 * The Store key of an Idempotency-Key: per app and principal, length-prefixed so that no user's
 * key can name another's (`dana:order` + `42` is not `dana` + `order:42`).
 */
export const idempotencyKey = (appId: string, principal: string, key: string): string =>
  compositeKey('idem', appId, principal, key);

/**
 * Everything that can refuse a turn before its answer starts (404, 409, 502, 503 as coded
 * errors), in order: the idempotency key (a replay returns the first turn), the circuit, the
 * conversation (the caller's, or a new one under the app's cap), the conversation's turn lock,
 * and the question written as `pending`. A refusal undoes what was taken, so a retry with the
 * same key is free to try again.
 */
export async function admit(
  d: AdmitDeps,
  session: Session,
  app: AppConfig,
  input: TurnInput,
  turnId: string,
): Promise<Admitted | StartedTurn> {
  const { ledger, store, breaker, settings } = d;
  const principal = principalOf(session);
  const idemKey = input.idempotencyKey && idempotencyKey(app.id, principal, input.idempotencyKey);
  if (idemKey && !(await store.setIfAbsent(idemKey, turnId, IDEMPOTENCY_TTL_MS))) {
    const first = await store.get(idemKey);
    const earlier = first ? await ledger.getTurn(first) : undefined;
    // The first request may still be writing its row; the key is the caller's alone.
    if (earlier) return { turnId: earlier.id, conversationId: earlier.conversationId, replayed: true };
    throw new GatewayError('GW_CONVERSATION_BUSY', {
      message: 'The first send with this key is still starting.',
    });
  }
  if (!breaker.allow()) {
    if (idemKey) await store.deleteIfEquals(idemKey, turnId).catch(() => {});
    throw new GatewayError('GW_CIRCUIT_OPEN', {
      message: settings.unavailableMessage,
      details: settings.fallbackAnswer ? { fallback: settings.fallbackAnswer } : undefined,
    });
  }
  let lock: Lock | undefined;
  try {
    const conversation =
      input.conversationId === undefined
        ? await createConversation(d, session, app)
        : await ledger.findConversation(session.appId, principal, input.conversationId);
    if (!conversation) throw new GatewayError('GW_NOT_FOUND', { message: 'No such conversation.' });
    lock = await acquireLock(store, `turn-lock:${conversation.id}`, {
      ttlMs: TURN_LOCK_TTL_MS,
      waitMs: settings.lockWaitMs,
    });
    if (!lock) throw new GatewayError('GW_CONVERSATION_BUSY');
    await ledger.startTurn({
      id: turnId,
      appId: session.appId,
      conversationId: conversation.id,
      userId: principal,
      question: input.message,
    });
    return { conversation, lock };
  } catch (e) {
    await lock?.release().catch(() => {});
    // Refused before it began: a retry with the same key must be free to try again.
    if (idemKey) await store.deleteIfEquals(idemKey, turnId).catch(() => {});
    if (upstreamUnavailable(e)) breaker.failure();
    else breaker.abandon();
    throw e;
  }
}

async function createConversation(
  d: AdmitDeps,
  session: Session,
  app: AppConfig,
): Promise<ConversationRecord> {
  const principal = principalOf(session);
  if ((await d.ledger.countConversations(session.appId, principal)) >= app.maxConversationsPerUser) {
    throw new GatewayError('GW_TOO_MANY_CONVERSATIONS');
  }
  const { sessionName } = cozeIdentity(session);
  // A bot or chatflow conversation is created at Coze for this user (never Coze's default one);
  // a workflow has no conversation at Coze, only ours. Safe to retry: at worst Coze keeps an
  // empty conversation nobody uses.
  const t = app.target;
  const cozeConversationId =
    t.type === 'workflow'
      ? ''
      : (
          await retry(
            () => d.coze.createConversation({ sessionName, botId: t.botId }),
            UPSTREAM_RETRIES,
            d.clock,
          )
        ).conversation.id;
  return d.ledger.createConversation({
    id: newId('cv'),
    appId: session.appId,
    userId: principal,
    cozeConversationId,
    cozeUser: sessionName,
    createdAt: Date.now(),
    // Counted again with the insert, under a per-user lock: the check above only spares Coze a
    // conversation nobody may use; this one holds against concurrent sends.
    maxPerUser: app.maxConversationsPerUser,
  });
}
