import { ERRORS, type ErrorCode } from '../errors.js';
import type { TurnStatus, Usage } from '../ledger/index.js';
import type { TurnEvent, WireUsage } from './events.js';

// Every event a client of the turn API sees is built here, and only here (the runner while a
// turn runs, `follow` from the ledger's record when its events are gone): one shape per event.

type Of<K extends TurnEvent['event']> = Extract<TurnEvent, { event: K }>;

export const turnEvent = (turnId: string, conversationId: string): Of<'turn'> => ({
  event: 'turn',
  data: { turn_id: turnId, conversation_id: conversationId },
});

export const deltaEvent = (text: string): Of<'delta'> => ({ event: 'delta', data: { text } });

export const toolEvent = (name: string, status: 'running' | 'done', outcome?: string): Of<'tool'> => ({
  event: 'tool',
  data: outcome === undefined ? { name, status } : { name, status, outcome },
});

export function wireUsage(u: Usage | null | undefined): WireUsage | null {
  return u
    ? { input_tokens: u.inputTokens, output_tokens: u.outputTokens, total_tokens: u.totalTokens }
    : null;
}

/** How a turn ended, as the runner knows it or the ledger recorded it. */
export interface EndingFacts {
  turnId: string;
  conversationId: string;
  status: Exclude<TurnStatus, 'pending'>;
  answer: string;
  usage?: Usage | null;
  suggestions?: string[];
  awaitingReply?: boolean;
  /** Set unless completed; an unknown one (an old record) is shown as GW_INTERRUPTED. */
  code?: string | null;
  /** The user's message for the code (default: the table's). */
  message?: string;
  /** While Coze cannot be reached: the operator's text offered instead (COZE_FALLBACK_ANSWER). */
  fallback?: string;
}

/** The terminal event: `done` for a completed turn, `error` for every other ending. */
export function endEvent(f: EndingFacts): Of<'done'> | Of<'error'> {
  const base = { turn_id: f.turnId, conversation_id: f.conversationId };
  if (f.status === 'completed') {
    return {
      event: 'done',
      data: {
        ...base,
        status: 'completed',
        answer: f.answer,
        usage: wireUsage(f.usage),
        suggestions: f.suggestions ?? [],
        ...(f.awaitingReply && { awaiting_reply: true }),
      },
    };
  }
  const code = (f.code && f.code in ERRORS ? f.code : 'GW_INTERRUPTED') as ErrorCode;
  return {
    event: 'error',
    data: {
      ...base,
      status: f.status,
      code,
      message: f.message ?? ERRORS[code].message,
      answer: f.answer,
      ...(f.fallback !== undefined && { fallback: f.fallback }),
    },
  };
}
