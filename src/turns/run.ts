import type { AppConfig } from '../config/index.js';
import type { CozeClient } from '../coze/index.js';
import { type GatewayError, toGatewayError } from '../errors.js';
import type { Session } from '../identity/index.js';
import type { Ledger } from '../ledger/index.js';
import type { Logger } from '../observability/index.js';
import type { Lock, Store } from '../state/index.js';
import type { ToolRunner } from '../tools/index.js';
import { TURN_LOCK_TTL_MS } from './admit.js';
import { type Answer, AnswerAccumulator } from './answer.js';
import { conversationBusy, either, type RetryClock, retry, UPSTREAM_RETRIES } from './backoff.js';
import { converse } from './converse.js';
import type { TurnEvent } from './events.js';
import type { RunningTurn } from './running-turn.js';
import { deltaEvent } from './wire.js';

/** The partial answer is written to the ledger at most this often while a turn streams. */
export const CHECKPOINT_EVERY_MS = 1000;

export interface RunDeps {
  coze: CozeClient;
  ledger: Ledger;
  store: Store;
  tools: ToolRunner;
  logger: Logger;
  clock: RetryClock;
  settings: { lockWaitMs: number; timeoutMs: number };
}

/** What a run left behind: the answer as far as it came, and what went wrong, if anything. */
export interface RunReport {
  answer: Answer;
  error?: GatewayError;
  logId?: string;
  latencyMs: number;
  firstTokenMs?: number;
}

/**
 * Runs an admitted turn against the app's target: holds the turn's lock (renewed), its timeout,
 * the checkpoints of its partial answer, and the cancel at Coze when it was canceled. Publishes
 * `delta` and `tool` events through `publish`; never throws (a failure is part of the report).
 * How the turn ended is not decided here (see ending.ts).
 */
export async function runTurn(
  d: RunDeps,
  turn: RunningTurn,
  session: Session,
  app: AppConfig,
  message: string,
  lock: Lock,
  publish: (e: TurnEvent) => void,
): Promise<RunReport> {
  const { logger, ledger, settings } = d;
  const { turnId } = turn;
  const started = performance.now();
  let firstTokenMs: number | undefined;
  let checkpointAt = Date.now();
  let checkpointing = false;
  const acc = new AnswerAccumulator((text) => {
    firstTokenMs ??= performance.now() - started;
    publish(deltaEvent(text));
    // Checkpoint: at most one write a second, never two at once; a crash loses at most that.
    if (!checkpointing && Date.now() - checkpointAt >= CHECKPOINT_EVERY_MS) {
      checkpointing = true;
      checkpointAt = Date.now();
      ledger
        .checkpoint(turnId, acc.text)
        .catch((err) => logger.warn({ err, turnId }, 'checkpoint failed'))
        .finally(() => {
          checkpointing = false;
        });
    }
  });
  const timer = setTimeout(() => turn.stop('timeout'), settings.timeoutMs);
  const renew = setInterval(() => {
    lock.extend(TURN_LOCK_TTL_MS).then(
      (held) => held || logger.warn({ turnId }, 'turn lock was lost while the turn ran'),
      (err) => logger.warn({ err, turnId }, 'turn lock could not be renewed'),
    );
  }, TURN_LOCK_TTL_MS / 3);
  let logId: string | undefined;
  let error: GatewayError | undefined;
  try {
    logId = await converse({
      ...d,
      turn,
      session,
      app,
      message,
      acc,
      publish,
      open: (call) => openChat(d, turn, call),
    });
  } catch (e) {
    error = toGatewayError(e);
    logId ??= error.logId;
  } finally {
    clearTimeout(timer);
    clearInterval(renew);
  }
  if (turn.stopReason === 'canceled' && acc.chatId && !acc.ended) {
    // Stop Coze too, so the company is not billed for an answer nobody will read.
    const { cozeUser, cozeConversationId } = turn.conversation;
    try {
      await d.coze.cancelChat({
        sessionName: cozeUser,
        conversationId: cozeConversationId,
        chatId: acc.chatId,
      });
    } catch (err) {
      logger.warn({ err, turnId }, 'canceling the Coze chat failed');
    }
  }
  return { answer: acc.answer(), error, logId, latencyMs: performance.now() - started, firstTokenMs };
}

/**
 * Opens the chat stream. A chat that failed before any event (Coze unreachable, 5xx) is retried
 * with jittered backoff, a few times; Coze's 4016 (a chat still running in this conversation,
 * e.g. one started before a restart) is retried inside the lock-wait budget. The user sees
 * GW_CONVERSATION_BUSY, never Coze's code.
 */
function openChat<T>(d: RunDeps, turn: RunningTurn, open: () => Promise<T>): Promise<T> {
  const deadline = d.clock.now() + Math.max(d.settings.lockWaitMs, 2000);
  return retry(open, either(UPSTREAM_RETRIES, conversationBusy(deadline)), d.clock, turn.signal);
}
