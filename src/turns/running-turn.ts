import type { GatewayError } from '../errors.js';
import type { ConversationRecord, TurnOutcome } from '../ledger/index.js';
import { TurnEventLog } from './events.js';

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
export type StopReason = 'canceled' | 'shutdown' | 'timeout';

/** One turn in flight on this instance: its events (replayable) and, when it ends, its result. */
export class RunningTurn {
  readonly log = new TurnEventLog();
  readonly result: Promise<TurnResult>;
  private readonly abortController = new AbortController();
  stopReason?: StopReason;
  /** Set once mirroring its events to Redis has failed (logged once). */
  mirrorFailed = false;
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
