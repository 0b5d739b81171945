/**
 * Where a turn came from. The v1 API is the only way in today; later entry points (an
 * OpenAI-compatible request, a Stream Chat message, a voice transcript, a human agent's reply)
 * each tag their turns with their own name. It is written in the turn's log line and nowhere else.
 */
export type TurnOrigin = 'v1' | 'openai' | 'stream-chat' | 'voice' | 'agent';

/**
 * What starts a turn: everything an entry point says about the message, and nothing about how
 * it arrived. An adapter maps its request to a `TurnInput`, calls `TurnRunner.start` with the
 * caller's session and app, then `follow`s the turn and maps its events to its own wire format.
 * The runner checks the same limits, writes the same records and sends the same events for every
 * origin: an adapter adds no second copy of them, and never reaches inside the runner.
 */
export interface TurnInput {
  /** The user's text, already checked against the app's limits by the entry point. */
  message: string;
  /** Continue this conversation of the caller's; a new one when absent. */
  conversationId?: string;
  /** A retried send with the same key gets the first turn back instead of asking Coze again. */
  idempotencyKey?: string;
  /** Default `v1`. */
  origin?: TurnOrigin;
  /**
   * The entry point's own references for this message (e.g. a Stream Chat message id, a call
   * id): written in the turn's log line so the two sides can be matched; never sent to Coze.
   */
  refs?: Readonly<Record<string, string>>;
}

/** @deprecated the name before entry points other than the v1 API; use `TurnInput`. */
export type StartInput = TurnInput;

export interface StartedTurn {
  turnId: string;
  conversationId: string;
  /** True when an Idempotency-Key named an earlier turn, which is returned instead. */
  replayed: boolean;
}
