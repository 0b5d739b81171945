import type { AppConfig } from '../config/index.js';
import type { CozeClient } from '../coze/index.js';
import { GatewayError, isGatewayError, toGatewayError } from '../errors.js';
import { cozeIdentity, principalOf, type Session } from '../identity/index.js';
import { newId } from '../ids.js';
import type { ConversationRecord, Ledger, TurnOutcome } from '../ledger/index.js';
import type { Logger, Metrics } from '../observability/index.js';
import { acquireLock, type EventStreams, type Lock, type Store } from '../state/index.js';
import type { ToolRunner } from '../tools/index.js';
import { AnswerAccumulator } from './answer.js';
import type { CircuitBreaker } from './breaker.js';
import { converse } from './converse.js';
import type { NumberedEvent, TurnEvent, TurnEventLog } from './events.js';
import { followTurn, streamKey } from './follow.js';
import { RunningTurn } from './running-turn.js';

/**
 * The turn lock lives this long unless renewed; it is renewed every third of it while the turn
 * runs. A conversation whose instance died is free again within this time, not after a whole
 * turn timeout (and recovery may then take the turn over).
 */
export const TURN_LOCK_TTL_MS = 30_000;
/** The partial answer is written to the ledger at most this often while a turn streams. */
export const CHECKPOINT_EVERY_MS = 1000;
/** An Idempotency-Key names its first turn for this long. */
const IDEMPOTENCY_TTL_MS = 24 * 3_600_000;

export interface TurnSettings {
  lockWaitMs: number;
  timeoutMs: number;
  resumeRetentionMs: number;
  /**
   * Finished turns whose events this instance keeps in memory for resuming (the newest). Older
   * ones resume from the shared stream (Redis) or get the ledger's recorded ending.
   */
  resumeMemoryTurns: number;
  unavailableMessage?: string;
  fallbackAnswer?: string;
}

/** What a turn needs of its app: its target, tools, limits. */
export type TurnApp = AppConfig;

export interface TurnDeps {
  coze: CozeClient;
  ledger: Ledger;
  store: Store;
  /** Shared event streams (Redis), so another instance can resume this one's turns. */
  streams?: EventStreams;
  breaker: CircuitBreaker;
  tools: ToolRunner;
  logger: Logger;
  metrics: Metrics;
  settings: TurnSettings;
}

export interface StartInput {
  message: string;
  conversationId?: string;
  /** A retried send with the same key gets the first turn back instead of asking Coze again. */
  idempotencyKey?: string;
}

export interface StartedTurn {
  turnId: string;
  conversationId: string;
  /** True when an Idempotency-Key named an earlier turn, which is returned instead. */
  replayed: boolean;
}

const retryable = (e: unknown) => isGatewayError(e) && e.code === 'GW_UPSTREAM_UNAVAILABLE';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Exponential backoff with full jitter: 0..base·2^attempt. */
const backoff = (attempt: number, baseMs = 200) => Math.random() * baseMs * 2 ** attempt;

/**
 * The turn pipeline: checks the conversation belongs to the caller, takes the conversation's turn
 * lock (Coze allows one running chat per conversation), writes the question to the ledger as
 * `pending`, then streams from Coze in the background, whether or not anyone is listening, until
 * the turn reaches a terminal status.
 */
export class TurnRunner {
  private readonly running = new Map<string, RunningTurn>();
  /** Running and recently ended turns of this instance, for resuming. */
  private readonly logs = new Map<string, TurnEventLog>();
  /** Ended turns whose logs are kept, oldest first, with when each is dropped (see retire). */
  private readonly ended = new Map<string, number>();
  private sweep: NodeJS.Timeout | undefined;

  constructor(private readonly deps: TurnDeps) {}

  /**
   * Does everything that can be refused before an answer starts (404, 409, 502, 503 as coded
   * errors), then starts the turn, which goes on in the background. Read it with `follow`.
   */
  async start(session: Session, app: TurnApp, input: StartInput): Promise<StartedTurn> {
    const { ledger, store, settings, breaker } = this.deps;
    const turnId = newId('tn');
    const idemKey = input.idempotencyKey && `idem:${app.id}:${principalOf(session)}:${input.idempotencyKey}`;
    if (idemKey) {
      const key = idemKey;
      if (!(await store.setIfAbsent(key, turnId, IDEMPOTENCY_TTL_MS))) {
        const first = await store.get(key);
        const earlier = first ? await ledger.getTurn(first) : undefined;
        // The first request may still be writing its row; the key is the caller's alone.
        if (earlier) return { turnId: earlier.id, conversationId: earlier.conversationId, replayed: true };
        throw new GatewayError('GW_CONVERSATION_BUSY', {
          message: 'The first send with this key is still starting.',
        });
      }
    }
    if (!breaker.allow()) {
      if (idemKey) await store.deleteIfEquals(idemKey, turnId).catch(() => {});
      throw new GatewayError('GW_CIRCUIT_OPEN', {
        message: settings.unavailableMessage,
        details: settings.fallbackAnswer ? { fallback: settings.fallbackAnswer } : undefined,
      });
    }
    let lock: Lock | undefined;
    let conversation: ConversationRecord;
    try {
      if (input.conversationId !== undefined) {
        const found = await ledger.findConversation(
          session.appId,
          principalOf(session),
          input.conversationId,
        );
        if (!found) throw new GatewayError('GW_NOT_FOUND', { message: 'No such conversation.' });
        conversation = found;
      } else {
        conversation = await this.createConversation(session, app);
      }
      lock = await acquireLock(store, `turn-lock:${conversation.id}`, {
        ttlMs: TURN_LOCK_TTL_MS,
        waitMs: settings.lockWaitMs,
      });
      if (!lock) throw new GatewayError('GW_CONVERSATION_BUSY');
      await ledger.startTurn({
        id: turnId,
        appId: session.appId,
        conversationId: conversation.id,
        userId: principalOf(session),
        question: input.message,
      });
    } catch (e) {
      await lock?.release().catch(() => {});
      // Refused before it began: a retry with the same key must be free to try again.
      if (idemKey) await store.deleteIfEquals(idemKey, turnId).catch(() => {});
      if (retryable(e)) breaker.failure();
      else breaker.abandon();
      throw e;
    }
    const turn = new RunningTurn(turnId, conversation);
    this.running.set(turnId, turn);
    this.logs.set(turnId, turn.log);
    this.push(turn, { event: 'turn', data: { turn_id: turnId, conversation_id: conversation.id } });
    void this.run(turn, session, app, input.message, lock);
    return { turnId, conversationId: conversation.id, replayed: false };
  }

  /** A turn's events after `afterId`, then live ones, ending with `done` or `error`. */
  follow(turnId: string, afterId: number, onEvent: (e: NumberedEvent) => void): Promise<() => void> {
    const { ledger, streams, logger } = this.deps;
    return followTurn(
      { ledger, streams, logger, local: (id) => this.logs.get(id) },
      turnId,
      afterId,
      onEvent,
    );
  }

  /** The turn's terminal event (for sync answers). */
  async end(turnId: string): Promise<Extract<NumberedEvent, { event: 'done' | 'error' }>> {
    return new Promise((resolve, reject) => {
      this.follow(turnId, 0, (e) => {
        if (e.event === 'done' || e.event === 'error') resolve(e);
      }).catch(reject);
    });
  }

  /** Stops a turn running here (the browser that started it went away, CANCEL_ON_DISCONNECT). */
  cancel(turnId: string): void {
    this.running.get(turnId)?.stop('canceled');
  }

  /**
   * Forgets a finished turn's events (here and in the shared stream): recovery has changed how it
   * ended, and followers must read the ledger's record instead.
   */
  forget(turnId: string): void {
    if (this.running.has(turnId)) return;
    this.logs.delete(turnId);
    this.deps.streams?.expire(streamKey(turnId), 1).catch(() => {});
  }

  /** Whether this instance is running the turn. */
  isRunning(turnId: string): boolean {
    return this.running.has(turnId);
  }

  /** Turns still running (for graceful shutdown). */
  get active(): RunningTurn[] {
    return [...this.running.values()];
  }

  private push(turn: RunningTurn, e: TurnEvent): void {
    turn.log.push(e);
    const { streams, logger } = this.deps;
    if (!streams) return;
    const numbered = turn.log.lastId;
    // Mirrored in order on one connection; a failure only costs resuming from another instance.
    streams.append(streamKey(turn.turnId), numbered, JSON.stringify(e)).catch((err) => {
      if (!turn.mirrorFailed)
        logger.warn({ err, turnId: turn.turnId }, 'could not mirror turn events to Redis');
      turn.mirrorFailed = true;
    });
  }

  private async createConversation(session: Session, app: TurnApp): Promise<ConversationRecord> {
    const principal = principalOf(session);
    if (
      (await this.deps.ledger.countConversations(session.appId, principal)) >= app.maxConversationsPerUser
    ) {
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
        : (await this.withRetries(() => this.deps.coze.createConversation({ sessionName, botId: t.botId })))
            .conversation.id;
    return this.deps.ledger.createConversation({
      id: newId('cv'),
      appId: session.appId,
      userId: principal,
      cozeConversationId,
      cozeUser: sessionName,
      createdAt: Date.now(),
      maxPerUser: app.maxConversationsPerUser,
    });
  }

  private async run(
    turn: RunningTurn,
    session: Session,
    app: TurnApp,
    message: string,
    lock: Lock,
  ): Promise<void> {
    const { logger, metrics, settings, ledger, breaker } = this.deps;
    const started = performance.now();
    let firstTokenMs: number | undefined;
    let checkpointAt = Date.now();
    let checkpointing = false;
    const acc = new AnswerAccumulator((text) => {
      firstTokenMs ??= performance.now() - started;
      this.push(turn, { event: 'delta', data: { text } });
      // Checkpoint: at most one write a second, never two at once; a crash loses at most that.
      if (!checkpointing && Date.now() - checkpointAt >= CHECKPOINT_EVERY_MS) {
        checkpointing = true;
        checkpointAt = Date.now();
        ledger
          .checkpoint(turn.turnId, acc.answer)
          .catch((err) => logger.warn({ err, turnId: turn.turnId }, 'checkpoint failed'))
          .finally(() => {
            checkpointing = false;
          });
      }
    });
    const timer = setTimeout(() => turn.stop('timeout'), settings.timeoutMs);
    const renew = setInterval(() => {
      lock.extend(TURN_LOCK_TTL_MS).then(
        (held) => held || logger.warn({ turnId: turn.turnId }, 'turn lock was lost while the turn ran'),
        (err) => logger.warn({ err, turnId: turn.turnId }, 'turn lock could not be renewed'),
      );
    }, TURN_LOCK_TTL_MS / 3);
    let logId: string | undefined;
    let error: GatewayError | undefined;
    try {
      const { coze, ledger, store, tools } = this.deps;
      logId = await converse({
        coze,
        ledger,
        store,
        tools,
        turn,
        session,
        app,
        message,
        acc,
        push: (e) => this.push(turn, e),
        open: (call) => this.openChat(turn, call),
      });
    } catch (e) {
      error = toGatewayError(e);
      logId ??= error.logId;
    } finally {
      clearTimeout(timer);
      clearInterval(renew);
    }
    if (turn.stopReason === 'canceled' && acc.chatId && !acc.ending) {
      // Stop Coze too, so the company is not billed for an answer nobody will read.
      const sessionName = turn.conversation.cozeUser;
      await this.deps.coze
        .cancelChat({ sessionName, conversationId: turn.conversation.cozeConversationId, chatId: acc.chatId })
        .catch((e) => logger.warn({ err: e, turnId: turn.turnId }, 'canceling the Coze chat failed'));
    }

    const outcome = this.outcome(turn, acc, error);
    // The breaker counts whether Coze could be reached, not whether the bot answered well.
    if (
      outcome.error &&
      !acc.chatId &&
      ['GW_UPSTREAM_UNAVAILABLE', 'GW_UPSTREAM_TIMEOUT'].includes(outcome.error.code)
    ) {
      breaker.failure();
    } else if (turn.stopReason === 'shutdown') breaker.abandon();
    else breaker.success();

    const latencyMs = performance.now() - started;
    await this.record(turn.turnId, {
      ...outcome,
      answer: acc.answer,
      usage: acc.usage,
      cozeChatId: acc.chatId,
      cozeLogId: logId,
      latencyMs,
      firstTokenMs,
    });
    await lock
      .release()
      .catch((e) => logger.warn({ err: e, turnId: turn.turnId }, 'turn lock release failed'));
    this.running.delete(turn.turnId);

    const appLabel = { app: app.id };
    metrics.turns.inc({ ...appLabel, status: outcome.status });
    metrics.turnSeconds.observe(appLabel, latencyMs / 1000);
    if (firstTokenMs !== undefined) metrics.firstTokenSeconds.observe(appLabel, firstTokenMs / 1000);
    const base = { turn_id: turn.turnId, conversation_id: turn.conversation.id };
    const log = {
      turnId: turn.turnId,
      app: app.id,
      status: outcome.status,
      cozeLogId: logId,
      ms: Math.round(latencyMs),
    };
    if (outcome.error) {
      metrics.errors.inc({ code: outcome.error.code });
      logger.warn(
        { ...log, code: outcome.error.code, cozeCode: outcome.error.cozeCode, err: outcome.error },
        'turn ended',
      );
      this.push(turn, {
        event: 'error',
        data: {
          ...base,
          status: outcome.status,
          code: outcome.error.code,
          message: outcome.error.message,
          answer: acc.answer,
        },
      });
    } else {
      logger.info(log, 'turn ended');
      this.push(turn, {
        event: 'done',
        data: {
          ...base,
          status: 'completed',
          answer: acc.answer,
          usage: acc.usage
            ? {
                input_tokens: acc.usage.inputTokens,
                output_tokens: acc.usage.outputTokens,
                total_tokens: acc.usage.totalTokens,
              }
            : null,
          suggestions: acc.suggestions,
          ...(acc.awaitingReply && { awaiting_reply: true }),
        },
      });
    }
    this.retire(turn);
    turn.settle({
      turnId: turn.turnId,
      conversationId: turn.conversation.id,
      status: outcome.status,
      answer: acc.answer,
      usage: acc.usage,
      suggestions: acc.suggestions,
      error: outcome.error,
    });
  }

  /**
   * A finished turn's events stay resumable for the retention window, then go. In memory only the
   * newest `resumeMemoryTurns` are kept: at a thousand turns a second, ten minutes of every turn's
   * events would be gigabytes of heap, and the collector's pauses grow with it (a resume of an
   * older turn reads Redis, or gets the ledger's ending, which carries the whole answer).
   */
  private retire(turn: RunningTurn): void {
    const ms = this.deps.settings.resumeRetentionMs;
    this.deps.streams?.expire(streamKey(turn.turnId), ms).catch(() => {});
    this.ended.set(turn.turnId, Date.now() + ms);
    this.dropEnded();
  }

  /** Drops kept logs past their time or over the count (all end times are in order: one window). */
  private dropEnded(): void {
    const now = Date.now();
    const keep = this.deps.settings.resumeMemoryTurns;
    for (const [turnId, until] of this.ended) {
      if (until > now && this.ended.size <= keep) break;
      this.ended.delete(turnId);
      if (!this.running.has(turnId)) this.logs.delete(turnId);
    }
    // One timer for all of them, due when the oldest is (a later turn never expires sooner).
    const oldest = this.ended.values().next();
    if (this.sweep || oldest.done) return;
    this.sweep = setTimeout(
      () => {
        this.sweep = undefined;
        this.dropEnded();
      },
      Math.max(0, oldest.value - now) + 10,
    );
    this.sweep.unref();
  }

  /**
   * Opens the chat stream. A chat that failed before any event (Coze unreachable, 5xx) is retried
   * with jittered backoff, a few times; Coze's 4016 (a chat still running in this conversation,
   * e.g. one started before a restart) is retried inside the lock-wait budget. The user sees
   * GW_CONVERSATION_BUSY, never Coze's code.
   */
  private async openChat<T>(turn: RunningTurn, open: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + Math.max(this.deps.settings.lockWaitMs, 2000);
    for (let attempt = 0, delay = 200; ; attempt++, delay = Math.min(delay * 2, 2000)) {
      try {
        return await open();
      } catch (e) {
        if (turn.signal.aborted) throw e;
        if (retryable(e) && attempt < 3) {
          await sleep(backoff(attempt));
          continue;
        }
        const busy = isGatewayError(e) && e.cozeCode === 4016;
        if (!busy || Date.now() + delay > deadline) throw e;
        await sleep(delay);
      }
    }
  }

  /** Retries an idempotent call on GW_UPSTREAM_UNAVAILABLE, with jittered backoff. */
  private async withRetries<T>(call: () => Promise<T>, attempts = 3): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await call();
      } catch (e) {
        if (!retryable(e) || attempt >= attempts) throw e;
        await sleep(backoff(attempt));
      }
    }
  }

  private outcome(
    turn: RunningTurn,
    acc: AnswerAccumulator,
    error: GatewayError | undefined,
  ): { status: TurnOutcome['status']; error?: GatewayError; errorCode?: string } {
    const fail = (status: TurnOutcome['status'], e: GatewayError) => ({
      status,
      error: e,
      errorCode: e.code,
    });
    if (turn.stopReason === 'canceled') return fail('canceled', new GatewayError('GW_CANCELED'));
    if (turn.stopReason === 'shutdown') return fail('interrupted', new GatewayError('GW_INTERRUPTED'));
    if (turn.stopReason === 'timeout') return fail('interrupted', new GatewayError('GW_UPSTREAM_TIMEOUT'));
    const ending = acc.ending;
    if (ending?.kind === 'completed') return { status: 'completed' };
    if (ending?.kind === 'canceled') return fail('canceled', new GatewayError('GW_CANCELED'));
    if (ending?.kind === 'failed') {
      return fail(
        'failed',
        new GatewayError('GW_CHAT_FAILED', {
          cozeCode: ending.cozeCode,
          cause: new Error(`Coze chat failed: ${ending.cozeCode} ${ending.cozeMsg ?? ''}`),
        }),
      );
    }
    if (error) {
      // Something had started: what arrived is kept and the turn is interrupted, never completed.
      return fail(acc.chatId ? 'interrupted' : 'failed', error);
    }
    // The stream ended cleanly but Coze never said how the chat ended.
    return fail('interrupted', new GatewayError('GW_UPSTREAM_TRUNCATED'));
  }

  /** Writes the terminal status, retrying briefly so a blip of the database does not lose it. */
  private async record(turnId: string, outcome: TurnOutcome): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.deps.ledger.finishTurn(turnId, outcome);
        return;
      } catch (e) {
        if (attempt >= 5) {
          this.deps.logger.error(
            { err: e, turnId, status: outcome.status },
            'could not record the end of a turn',
          );
          return;
        }
        await sleep(100 * 2 ** attempt);
      }
    }
  }
}
