import { GatewayError } from '../errors.js';
import type { Logger } from '../observability/index.js';
import type { Lock } from '../state/index.js';
import type { Answer } from './answer.js';
import type { CircuitBreaker } from './breaker.js';
import { breakerVerdict, type Ending, unreachable } from './ending.js';
import type { TurnInput } from './input.js';
import type { TurnPublisher } from './publish.js';
import type { ResumeMemory } from './resume-memory.js';
import type { RunReport } from './run.js';
import type { RunningTurn } from './running-turn.js';
import { endEvent } from './wire.js';

export interface EndDeps {
  publisher: TurnPublisher;
  memory: ResumeMemory;
  breaker: CircuitBreaker;
  logger: Logger;
  settings: { resumeRetentionMs: number; fallbackAnswer?: string };
  /** Gives the conversation's lock back; the turn no longer runs here. Never throws. */
  release(turn: RunningTurn, lock: Lock): Promise<void>;
}

/**
 * The run returned: the turn decides its ending (once), then it is counted by the breaker,
 * recorded, unlocked, reported and published, in that order (a follower that sees the ending
 * can read it in the ledger, and can start the next turn of the conversation).
 */
export async function endTurn(
  d: EndDeps,
  turn: RunningTurn,
  appId: string,
  input: TurnInput,
  lock: Lock,
  run: RunReport,
): Promise<void> {
  const ending = turn.conclude(run);
  const { answer } = run;
  d.breaker[breakerVerdict(ending, answer, turn.stopReason)]();
  await d.publisher.record(turn.turnId, {
    status: ending.status,
    errorCode: ending.error?.code,
    answer: answer.text,
    usage: answer.usage,
    cozeChatId: answer.chatId,
    cozeLogId: run.logId,
    latencyMs: run.latencyMs,
    firstTokenMs: run.firstTokenMs,
  });
  await d.release(turn, lock);
  d.publisher.report(turn, appId, input, ending, run);
  const { fallbackAnswer } = d.settings;
  const fallback = fallbackAnswer !== undefined && unreachable(ending, answer) ? fallbackAnswer : undefined;
  publishEnd(d, turn, answer, ending, fallback);
}

/**
 * Something threw that should not have (a bug, a metric, a logger): the turn still ends. It is
 * recorded failed (GW_INTERNAL) unless its ending was already recorded, its lock is released,
 * its followers get an ending, and whoever waits for it (shutdown) is not left waiting.
 */
export async function faultTurn(
  d: EndDeps,
  turn: RunningTurn,
  lock: Lock,
  run: RunReport | undefined,
  err: unknown,
): Promise<void> {
  try {
    d.logger.error({ err, turnId: turn.turnId, state: turn.state }, 'a turn failed unexpectedly');
  } catch {}
  const ending: Ending = turn.ending ?? {
    status: 'failed',
    error: new GatewayError('GW_INTERNAL', { cause: err }),
  };
  const answer = run?.answer ?? { text: '', suggestions: [], awaitingReply: false };
  try {
    // A turn already recorded keeps its record (finishTurn leaves an ended turn as it is).
    await d.publisher.record(turn.turnId, {
      status: ending.status,
      errorCode: ending.error?.code,
      answer: answer.text,
      latencyMs: run?.latencyMs ?? 0,
    });
  } catch {}
  await d.release(turn, lock);
  try {
    publishEnd(d, turn, answer, ending);
  } catch {
    const { turnId, conversation } = turn;
    const { status, error } = ending;
    turn.settle({
      turnId,
      conversationId: conversation.id,
      status,
      answer: answer.text,
      suggestions: [],
      error,
    });
  }
}

/** The last step of every turn: the final event, the log kept for resuming, the result. */
function publishEnd(d: EndDeps, turn: RunningTurn, answer: Answer, ending: Ending, fallback?: string): void {
  const facts = { turnId: turn.turnId, conversationId: turn.conversation.id, status: ending.status };
  const suggestions = [...answer.suggestions];
  if (!turn.log.ended) {
    d.publisher.push(
      turn,
      endEvent({
        ...facts,
        answer: answer.text,
        usage: answer.usage,
        suggestions,
        awaitingReply: answer.awaitingReply,
        code: ending.error?.code,
        message: ending.error?.message,
        fallback,
      }),
    );
  }
  d.publisher.expire(turn.turnId, d.settings.resumeRetentionMs);
  d.memory.retire(turn.turnId);
  turn.settle({ ...facts, answer: answer.text, usage: answer.usage, suggestions, error: ending.error });
}
