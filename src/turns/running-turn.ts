import type { GatewayError } from '../errors.js';
import type { ConversationRecord, TurnOutcome } from '../ledger/index.js';
import { decideEnding, type Ending, type RunFacts, type StopReason } from './ending.js';
import { TurnEventLog } from './events.js';

export type { StopReason } from './ending.js';

export interface TurnResult {
  turnId: string;
  conversationId: string;
  status: TurnOutcome['status'];
  answer: string;
  usage?: TurnOutcome['usage'];
  suggestions: string[];
  error?: GatewayError;
}

/**
 * A turn's states on this instance (it exists once admitted: question written, lock held).
 *
 *   running ──stop(reason)──▶ stopping          (cancel, shutdown, TURN_TIMEOUT_MS)
 *   running | stopping ──conclude(facts)──▶ ending   (the run returned; the ending is decided)
 *   ending ──settle(result)──▶ ended           (recorded, lock released, final event sent)
 */
export const TURN_STATES = ['running', 'stopping', 'ending', 'ended'] as const;
export type TurnState = (typeof TURN_STATES)[number];

/** One turn in flight on this instance: its state, its events (replayable) and, when it ends, its result. */
export class RunningTurn {
  readonly log = new TurnEventLog();
  readonly result: Promise<TurnResult>;
  private readonly abortController = new AbortController();
  #state: TurnState = 'running';
  #stopReason?: StopReason;
  #ending?: Ending;
  private resolve!: (r: TurnResult) => void;

  constructor(
    readonly turnId: string,
    readonly conversation: ConversationRecord,
  ) {
    this.result = new Promise((r) => {
      this.resolve = r;
    });
  }

  get state(): TurnState {
    return this.#state;
  }

  get stopReason(): StopReason | undefined {
    return this.#stopReason;
  }

  /** Aborted when the turn is stopped from our side: every call to Coze listens to it. */
  get signal(): AbortSignal {
    return this.abortController.signal;
  }

  /**
   * Stops the turn from our side (anyone may: the browser's cancel, shutdown, the turn's timer).
   * Only a running turn stops; the first reason wins; a turn already ending keeps its ending.
   */
  stop(reason: StopReason): void {
    if (this.#state !== 'running') return;
    this.#state = 'stopping';
    this.#stopReason = reason;
    this.abortController.abort(new Error(`turn stopped: ${reason}`));
  }

  /** The runner, once, when the run has returned: decides the ending (see `decideEnding`). */
  conclude(facts: Omit<RunFacts, 'stop'>): Ending {
    if (this.#state !== 'running' && this.#state !== 'stopping') {
      throw new Error(`turn ${this.turnId}: conclude in state ${this.#state}`);
    }
    this.#state = 'ending';
    this.#ending = decideEnding({ ...facts, stop: this.#stopReason });
    return this.#ending;
  }

  /** The ending decided by `conclude` (undefined before). */
  get ending(): Ending | undefined {
    return this.#ending;
  }

  /** The runner, once, when the ending is recorded and published. */
  settle(r: TurnResult): void {
    if (this.#state === 'ended') return;
    this.#state = 'ended';
    this.resolve(r);
  }
}
