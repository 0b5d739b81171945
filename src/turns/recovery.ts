import type { CozeClient } from '../coze/index.js';
import { isGatewayError } from '../errors.js';
import type { Ledger, RecoveryCandidate, TurnOutcome } from '../ledger/index.js';
import type { Logger } from '../observability/index.js';
import { acquireLock, type Store } from '../state/index.js';
import { TURN_LOCK_TTL_MS } from './runner.js';

export interface RecoveryDeps {
  coze: CozeClient;
  ledger: Ledger;
  store: Store;
  logger: Logger;
  /** Whether this instance is running the turn (it is then not abandoned). */
  isRunningHere(turnId: string): boolean;
  /** A chat Coze reports as still running after this long is given up as interrupted. */
  turnTimeoutMs: number;
  /** The turn's record changed: its old event log (ending in an error) must not be replayed. */
  onRecovered(turnId: string): void;
}

export interface RecoveryReport {
  recovered: number;
  interrupted: number;
  waiting: number;
}

/** Recovery gives a turn this many tries at reading Coze before leaving it as it is. */
const MAX_ATTEMPTS = 5;
/** A pending turn this old whose conversation lock is free has lost its instance. */
const PENDING_AFTER_MS = 3000;

type Ending = Omit<TurnOutcome, 'latencyMs'>;

/**
 * Ends turns left unfinished: pending ones whose instance died (their conversation lock expired)
 * and ones cut off by a broken stream while Coze went on answering. Each is read from Coze's own
 * record (`/v3/chat/retrieve`, then `/v3/chat/message/list`) and completed with the full answer,
 * or marked `interrupted` with the reason. Holding the conversation's turn lock while doing so
 * means two instances never recover the same turn, and never one that is still running.
 */
export async function recoverTurns(deps: RecoveryDeps): Promise<RecoveryReport> {
  const report: RecoveryReport = { recovered: 0, interrupted: 0, waiting: 0 };
  const candidates = await deps.ledger.recoveryCandidates({
    pendingAfterMs: PENDING_AFTER_MS,
    maxAttempts: MAX_ATTEMPTS,
    limit: 100,
  });
  for (const c of candidates) {
    if (deps.isRunningHere(c.turnId)) continue;
    const lock = await acquireLock(deps.store, `turn-lock:${c.conversationId}`, {
      ttlMs: TURN_LOCK_TTL_MS,
      waitMs: 0,
    });
    if (!lock) {
      report.waiting++;
      continue;
    }
    try {
      const ending = await readEnding(deps, c);
      if (ending === 'wait') {
        report.waiting++;
        continue;
      }
      if (await deps.ledger.recoverTurn(c.turnId, ending)) {
        if (ending) deps.onRecovered(c.turnId);
        if (ending?.status === 'completed') report.recovered++;
        else if (ending) report.interrupted++;
        deps.logger.info(
          { turnId: c.turnId, from: c.status, to: ending?.status ?? 'retry later' },
          'turn recovery',
        );
      }
    } finally {
      await lock.release().catch(() => {});
    }
  }
  return report;
}

/**
 * How Coze says the turn's chat ended: an ending, 'wait' (Coze is still answering), or undefined
 * (Coze could not be read now; the attempt is counted).
 */
async function readEnding(deps: RecoveryDeps, c: RecoveryCandidate): Promise<Ending | 'wait' | undefined> {
  const partial = c.answer ?? '';
  if (!c.cozeChatId) {
    // The process died before Coze said anything about the chat: nothing to read back.
    return { status: 'interrupted', answer: partial, errorCode: 'GW_INTERRUPTED' };
  }
  const ref = { sessionName: c.cozeUser, conversationId: c.cozeConversationId, chatId: c.cozeChatId };
  try {
    const chat = await deps.coze.retrieveChat(ref);
    switch (chat.status) {
      case 'created':
      case 'in_progress':
        if (Date.now() - c.createdAt < deps.turnTimeoutMs) return 'wait';
        return { status: 'interrupted', answer: partial, errorCode: 'GW_UPSTREAM_TIMEOUT' };
      case 'completed': {
        const messages = await deps.coze.listChatMessages(ref);
        const answer = messages
          .filter((m) => m.role === 'assistant' && m.type === 'answer')
          .map((m) => m.content)
          .join('\n\n');
        const u = chat.usage;
        return {
          status: 'completed',
          answer,
          usage: u && {
            inputTokens: u.input_count ?? 0,
            outputTokens: u.output_count ?? 0,
            totalTokens: u.token_count ?? 0,
          },
        };
      }
      case 'failed':
        return { status: 'failed', answer: partial, errorCode: 'GW_CHAT_FAILED' };
      case 'canceled':
        return { status: 'canceled', answer: partial, errorCode: 'GW_CANCELED' };
      default:
        // requires_action: the tool round cannot be taken up again.
        return { status: 'interrupted', answer: partial, errorCode: 'GW_INTERRUPTED' };
    }
  } catch (err) {
    deps.logger.warn(
      { err, turnId: c.turnId, code: isGatewayError(err) ? err.code : undefined },
      'reading Coze for recovery failed',
    );
    return undefined;
  }
}
