import type { ErrorCode } from '../errors.js';

export interface WireUsage {
  input_tokens: number;
  output_tokens: number;
  total_tokens: number;
}

/** What a client of the turn API sees, in order: `turn`, `delta`*, then `done` or `error`. */
export type TurnEvent =
  | { event: 'turn'; data: { turn_id: string; conversation_id: string } }
  | { event: 'delta'; data: { text: string } }
  /** A tool the bot asked for runs in the gateway ("looking up…"). */
  | { event: 'tool'; data: { name: string; status: 'running' | 'done'; outcome?: string } }
  | {
      event: 'done';
      data: {
        turn_id: string;
        conversation_id: string;
        status: 'completed';
        answer: string;
        usage: WireUsage | null;
        suggestions: string[];
        /** The answer is a question; the user's next message is the reply. */
        awaiting_reply?: boolean;
      };
    }
  | {
      event: 'error';
      data: {
        turn_id: string;
        conversation_id: string;
        status: string;
        code: ErrorCode;
        message: string;
        /** What arrived of the answer before it ended (kept in the record too). */
        answer: string;
        /** While Coze is unreachable: text the operator offers instead of an answer. */
        fallback?: string;
      };
    };

export type NumberedEvent = TurnEvent & { id: number };

type Listener = (e: NumberedEvent) => void;

/**
 * The events of one turn, numbered from 1, kept while the turn lives so that a listener that
 * arrives late (or comes back) is replayed what it missed, then follows live.
 */
export class TurnEventLog {
  private readonly events: NumberedEvent[] = [];
  private readonly listeners = new Set<Listener>();
  private closed = false;

  push(e: TurnEvent): void {
    if (this.closed) return;
    const numbered = { ...e, id: this.events.length + 1 } as NumberedEvent;
    this.events.push(numbered);
    for (const l of this.listeners) l(numbered);
    if (e.event === 'done' || e.event === 'error') {
      this.closed = true;
      this.listeners.clear();
    }
  }

  /** Replays events with id > afterId, then delivers new ones. Returns the unsubscribe function. */
  subscribe(listener: Listener, afterId = 0): () => void {
    for (const e of this.events) if (e.id > afterId) listener(e);
    if (!this.closed) this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The id of the last event pushed (0 before any). */
  get lastId(): number {
    return this.events.length;
  }

  get ended(): boolean {
    return this.closed;
  }
}
