import type { ChatStream, CozeClient } from '../coze/index.js';
import { GatewayError, isGatewayError, toGatewayError } from '../errors.js';
import { cozeIdentity, principalOf, type Session } from '../identity/index.js';
import { newId } from '../ids.js';
import type { ConversationRecord, Ledger, TurnOutcome } from '../ledger/index.js';
import type { Logger, Metrics } from '../observability/index.js';
import { acquireLock, type Lock, type Store } from '../state/index.js';
import { AnswerAccumulator } from './answer.js';
import { TurnEventLog } from './events.js';

/**
 * The turn lock lives this long unless renewed; it is renewed every third of it while the turn
 * runs. A conversation whose instance died is free again within this time, not after a whole
 * turn timeout.
 */
export const TURN_LOCK_TTL_MS = 30_000;

export interface TurnSettings {
  lockWaitMs: number;
  timeoutMs: number;
}

/** What a turn needs of its app. */
export interface TurnApp {
  id: string;
  botId: string;
  maxConversationsPerUser: number;
}

export interface TurnDeps {
  coze: CozeClient;
  ledger: Ledger;
  store: Store;
  logger: Logger;
  metrics: Metrics;
  settings: TurnSettings;
}

export interface TurnResult {
  turnId: string;
  conversationId: string;
  status: TurnOutcome['status'];
  answer: string;
  usage?: TurnOutcome['usage'];
  suggestions: string[];
  error?: GatewayError;
}

/** Why a running turn was stopped from our side. */
type StopReason = 'canceled' | 'shutdown' | 'timeout';

/** One turn in flight: its events (replayable) and, when it ends, its result. */
export class RunningTurn {
  readonly log = new TurnEventLog();
  readonly result: Promise<TurnResult>;
  private readonly abortController = new AbortController();
  stopReason?: StopReason;
  private resolve!: (r: TurnResult) => void;

  constructor(
    readonly turnId: string,
    readonly conversation: ConversationRecord,
  ) {
    this.result = new Promise((r) => {
      this.resolve = r;
    });
  }

  get signal(): AbortSignal {
    return this.abortController.signal;
  }

  /** Stops the turn from our side; it still ends with a terminal status in the ledger. */
  stop(reason: StopReason): void {
    if (this.stopReason) return;
    this.stopReason = reason;
    this.abortController.abort(new Error(`turn stopped: ${reason}`));
  }

  settle(r: TurnResult): void {
    this.resolve(r);
  }
}

/**
 * The turn pipeline: checks the conversation belongs to the caller, takes the conversation's turn
 * lock (Coze allows one running chat per conversation), writes the question to the ledger as
 * `pending`, then streams from Coze in the background, whether or not anyone is listening, until
 * the turn reaches a terminal status.
 */
export class TurnRunner {
  private readonly running = new Set<RunningTurn>();

  constructor(private readonly deps: TurnDeps) {}

  /**
   * Does everything that can be refused before an answer starts (404, 409, 502, 503 as coded
   * errors), then returns the running turn. Its work continues in the background.
   */
  async start(
    session: Session,
    app: TurnApp,
    input: { message: string; conversationId?: string },
  ): Promise<RunningTurn> {
    const { ledger, store, settings } = this.deps;
    let conversation: ConversationRecord;
    if (input.conversationId !== undefined) {
      const found = await ledger.findConversation(session.appId, principalOf(session), input.conversationId);
      if (!found) throw new GatewayError('GW_NOT_FOUND', { message: 'No such conversation.' });
      conversation = found;
    } else {
      conversation = await this.createConversation(session, app);
    }

    const lock = await acquireLock(store, `turn-lock:${conversation.id}`, {
      ttlMs: TURN_LOCK_TTL_MS,
      waitMs: settings.lockWaitMs,
    });
    if (!lock) throw new GatewayError('GW_CONVERSATION_BUSY');

    const turn = new RunningTurn(newId('tn'), conversation);
    try {
      await ledger.startTurn({
        id: turn.turnId,
        appId: session.appId,
        conversationId: conversation.id,
        userId: principalOf(session),
        question: input.message,
      });
    } catch (e) {
      await lock.release();
      throw e;
    }
    this.running.add(turn);
    turn.log.push({ event: 'turn', data: { turn_id: turn.turnId, conversation_id: conversation.id } });
    void this.run(turn, session, app, input.message, lock);
    return turn;
  }

  /** Turns still running (for graceful shutdown). */
  get active(): ReadonlySet<RunningTurn> {
    return this.running;
  }

  private async createConversation(session: Session, app: TurnApp): Promise<ConversationRecord> {
    const principal = principalOf(session);
    if (
      (await this.deps.ledger.countConversations(session.appId, principal)) >= app.maxConversationsPerUser
    ) {
      throw new GatewayError('GW_TOO_MANY_CONVERSATIONS');
    }
    const { sessionName } = cozeIdentity(session);
    const { conversation } = await this.deps.coze.createConversation({ sessionName, botId: app.botId });
    return this.deps.ledger.createConversation({
      id: newId('cv'),
      appId: session.appId,
      userId: principalOf(session),
      cozeConversationId: conversation.id,
      cozeUser: sessionName,
      createdAt: Date.now(),
    });
  }

  private async run(
    turn: RunningTurn,
    session: Session,
    app: TurnApp,
    message: string,
    lock: Lock,
  ): Promise<void> {
    const { logger, metrics, settings } = this.deps;
    const started = performance.now();
    let firstTokenMs: number | undefined;
    const acc = new AnswerAccumulator((text) => {
      firstTokenMs ??= performance.now() - started;
      turn.log.push({ event: 'delta', data: { text } });
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
      logId = await this.converse(turn, session, app, message, acc);
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
    const latencyMs = performance.now() - started;
    const record: TurnOutcome = {
      ...outcome,
      answer: acc.answer,
      usage: acc.usage,
      cozeChatId: acc.chatId,
      cozeLogId: logId,
      latencyMs,
      firstTokenMs,
    };
    await this.record(turn.turnId, record);
    await lock
      .release()
      .catch((e) => logger.warn({ err: e, turnId: turn.turnId }, 'turn lock release failed'));
    this.running.delete(turn);

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
      turn.log.push({
        event: 'error',
        data: { ...base, status: outcome.status, code: outcome.error.code, message: outcome.error.message },
      });
    } else {
      logger.info(log, 'turn ended');
      turn.log.push({
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
        },
      });
    }
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

  /** Talks to Coze until the chat ends. Returns the log id of the chat's first response. */
  private async converse(
    turn: RunningTurn,
    session: Session,
    app: TurnApp,
    message: string,
    acc: AnswerAccumulator,
  ): Promise<string | undefined> {
    const { coze, ledger } = this.deps;
    // The conversation's own Coze identity: a visitor's conversation keeps it after the visitor
    // logs in, so Coze still knows the conversation and its context.
    const sessionName = turn.conversation.cozeUser;
    const userId = sessionName;
    const conversationId = turn.conversation.cozeConversationId;
    let stream = await this.openChat(turn, () =>
      coze.streamChat({
        sessionName,
        userId,
        botId: app.botId,
        conversationId,
        message,
        // Signed business context only: nothing from the browser reaches these fields.
        customVariables: session.context,
        metaData: session.context,
        signal: turn.signal,
      }),
    );
    const logId = stream.logId;
    let notedChat = false;
    for (;;) {
      for await (const event of stream) {
        acc.apply(event);
        if (!notedChat && acc.chatId) {
          notedChat = true;
          await ledger.noteCozeChat(turn.turnId, acc.chatId, logId);
        }
      }
      if (acc.ending?.kind !== 'requires_action') return logId;
      // Tool calls run inside the gateway (tools are configured per app); with none configured,
      // every call is answered with an error output the bot can explain, so the chat still ends.
      const calls = acc.ending.chat.required_action?.submit_tool_outputs?.tool_calls ?? [];
      acc.ending = undefined;
      stream = await coze.submitToolOutputs({
        sessionName,
        conversationId,
        chatId: acc.chatId!,
        toolOutputs: calls.map((c) => ({
          toolCallId: c.id,
          output: JSON.stringify({ error: `The tool "${c.function?.name}" is not available.` }),
        })),
        signal: turn.signal,
      });
    }
  }

  /**
   * Opens the chat stream. Coze's 4016 (a chat still running in this conversation, e.g. one
   * started before a restart) is retried with backoff inside the lock-wait budget; the user sees
   * GW_CONVERSATION_BUSY, never Coze's code.
   */
  private async openChat(turn: RunningTurn, open: () => Promise<ChatStream>): Promise<ChatStream> {
    const deadline = Date.now() + Math.max(this.deps.settings.lockWaitMs, 2000);
    for (let delay = 200; ; delay = Math.min(delay * 2, 2000)) {
      try {
        return await open();
      } catch (e) {
        const busy = isGatewayError(e) && e.cozeCode === 4016;
        if (!busy || Date.now() + delay > deadline || turn.signal.aborted) throw e;
        await new Promise((r) => setTimeout(r, delay));
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
        await new Promise((r) => setTimeout(r, 100 * 2 ** attempt));
      }
    }
  }
}
