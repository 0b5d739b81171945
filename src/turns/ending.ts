import { GatewayError } from '../errors.js';
import type { TurnStatus } from '../ledger/index.js';
import type { Answer } from './answer.js';

/** Why a running turn was stopped from our side. */
export type StopReason = 'canceled' | 'shutdown' | 'timeout';

/** How a turn ended: its terminal status, and for every status but `completed`, the error. */
export type Ending =
  | { status: 'completed'; error?: undefined }
  | { status: Exclude<TurnStatus, 'pending' | 'completed'>; error: GatewayError };

/** What the run left behind, from which the ending is decided. */
export interface RunFacts {
  /** Set when the turn was stopped from our side (first reason wins). */
  stop?: StopReason;
  answer: Answer;
  /** What the target's call threw, if it threw. */
  error?: GatewayError;
}

const ended = (status: Exclude<Ending['status'], 'completed'>, error: GatewayError): Ending => ({
  status,
  error,
});

/**
 * The one place that decides how a turn ended: the table "How a turn ends" in
 * docs/architecture.md, row by row. Our own stop wins over what the stream said (it cut the
 * stream); then Coze's word; then the failure of the call; a stream that just stopped is cut.
 */
export function decideEnding({ stop, answer, error }: RunFacts): Ending {
  if (stop === 'canceled') return ended('canceled', new GatewayError('GW_CANCELED'));
  if (stop === 'shutdown') return ended('interrupted', new GatewayError('GW_INTERRUPTED'));
  if (stop === 'timeout') return ended('interrupted', new GatewayError('GW_UPSTREAM_TIMEOUT'));
  const v = answer.verdict;
  if (v?.kind === 'completed') return { status: 'completed' };
  if (v?.kind === 'canceled') return ended('canceled', new GatewayError('GW_CANCELED'));
  if (v?.kind === 'failed') {
    return ended(
      'failed',
      new GatewayError('GW_CHAT_FAILED', {
        cozeCode: v.cozeCode,
        cause: new Error(`Coze chat failed: ${v.cozeCode} ${v.cozeMsg ?? ''}`),
      }),
    );
  }
  // Coze refused before the chat began: failed. Something had begun: what arrived is kept and
  // the turn is interrupted, never completed.
  if (error) return ended(answer.chatId ? 'interrupted' : 'failed', error);
  // The stream ended cleanly but Coze never said how the chat ended.
  return ended('interrupted', new GatewayError('GW_UPSTREAM_TRUNCATED'));
}

/**
 * Coze could not be reached for this turn (nothing began, and the call failed as unreachable or
 * slow): the breaker counts it, and the user is offered the fallback answer.
 */
export function unreachable(e: Ending, answer: Answer): boolean {
  return (
    e.error !== undefined &&
    !answer.chatId &&
    (e.error.code === 'GW_UPSTREAM_UNAVAILABLE' || e.error.code === 'GW_UPSTREAM_TIMEOUT')
  );
}

/**
 * What the circuit breaker learns from an ending: it counts whether Coze could be reached, not
 * whether the bot answered well; a turn cut by our shutdown tells it nothing.
 */
export function breakerVerdict(
  e: Ending,
  answer: Answer,
  stop?: StopReason,
): 'failure' | 'success' | 'abandon' {
  if (unreachable(e, answer)) return 'failure';
  return stop === 'shutdown' ? 'abandon' : 'success';
}
