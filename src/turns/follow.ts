import type { Ledger, TurnRecord } from '../ledger/index.js';
import type { Logger } from '../observability/index.js';
import type { EventStreams, Following } from '../state/index.js';
import type { NumberedEvent, TurnEvent, TurnEventLog } from './events.js';
import { type EndingFacts, endEvent } from './wire.js';

export const streamKey = (turnId: string) => `turn-events:${turnId}`;

export interface FollowSources {
  ledger: Ledger;
  /** Shared streams (Redis): turns of other instances. */
  streams?: EventStreams;
  /** This instance's running and recently ended turns. */
  local(turnId: string): TurnEventLog | undefined;
  logger: Logger;
  /**
   * While no live source will end a turn, the ledger is read for its ending: once per turn on
   * this instance, shared by all its followers, after `pollMs`, then twice as long each time up
   * to `maxPollMs`. With a live stream the ledger is only a safety net (its instance may die),
   * first read after `5 × pollMs`.
   */
  pollMs?: number;
  maxPollMs?: number;
}

const isEnd = (e: { event: string }) => e.event === 'done' || e.event === 'error';

/** The terminal event of a turn as the ledger records it (for a turn whose events are gone). */
export function endOf(t: TurnRecord): TurnEvent {
  const { id: turnId, conversationId, errorCode: code, usage } = t;
  return endEvent({
    turnId,
    conversationId,
    status: t.status as EndingFacts['status'],
    answer: t.answer ?? '',
    usage,
    code,
  });
}

/**
 * Delivers a turn's events after `afterId`, then live ones, from wherever they are: this
 * instance's log, the shared stream of another instance, or, when the events are gone (the turn
 * ended long ago, or its instance died and recovery ends it), the ledger's record of how it ended.
 *
 * Every follower ends, and `onEnd` is called once when it does: after the turn's `done` or
 * `error` when its id is above `afterId`, else at once (the client has seen the ending, or names
 * an id beyond it). The ledger keeps no event ids: a turn known only from the ledger ends with its
 * recorded ending, numbered `afterId + 1`. Returns the function that stops following.
 */
export async function followTurn(
  src: FollowSources,
  turnId: string,
  afterId: number,
  onEvent: (e: NumberedEvent) => void,
  onEnd?: () => void,
): Promise<() => void> {
  let seen = afterId;
  let ended = false;
  const stops: (() => void)[] = [];
  const stop = () => {
    if (ended) return;
    ended = true;
    for (const s of stops) s();
  };
  const finish = () => {
    if (ended) return;
    stop();
    onEnd?.();
  };
  /** Keeps a source's stop function, or calls it when following has already ended. */
  const hold = (s: () => void) => (ended ? s() : stops.push(s));
  const deliver = (e: NumberedEvent) => {
    if (ended) return;
    if (e.id > seen) {
      seen = e.id;
      onEvent(e);
    }
    if (isEnd(e)) finish();
  };

  const local = src.local(turnId);
  if (local) {
    hold(local.subscribe(deliver, afterId));
    // Its ending was replayed just now, or it is at or before afterId: nothing more will come.
    if (local.ended) finish();
    return stop;
  }

  let following: Following | undefined;
  if (src.streams) {
    following = await src.streams.follow(streamKey(turnId), afterId, (id, data) =>
      deliver({ ...(JSON.parse(data) as TurnEvent), id } as NumberedEvent),
    );
    if (following) {
      hold(following.stop);
      const newest = following.newest && (JSON.parse(following.newest.data) as TurnEvent);
      // The stream had ended at or before afterId (after it, the ending was replayed).
      if (newest && isEnd(newest)) finish();
      if (ended) return stop;
    }
  }
  const pollMs = src.pollMs ?? 1000;
  const live = following !== undefined;
  hold(
    ledgerWatch(src.ledger, src.logger).watch(
      turnId,
      { firstMs: live ? 5 * pollMs : 0, pollMs, maxPollMs: src.maxPollMs ?? 15_000 },
      (t) => {
        // The turn is gone from the ledger (retention): nothing more will come.
        if (!t) return finish();
        const ending = () => deliver({ ...endOf(t), id: seen + 1 } as NumberedEvent);
        if (!live) return ending();
        // Its instance records the ending just before sending it: let the stream bring it first.
        const grace = setTimeout(ending, pollMs);
        hold(() => clearTimeout(grace));
      },
    ),
  );
  return stop;
}

interface Watched {
  /** Each follower's callback, called once with the ended turn (undefined: the turn is gone). */
  waiters: Set<(t: TurnRecord | undefined) => void>;
  timer?: NodeJS.Timeout;
  delayMs: number;
  pollMs: number;
  maxPollMs: number;
}

/**
 * The ledger reads of one instance's followers: for each turn at most one read at a time, shared
 * by every follower of it here, with backoff. (A read per follower made 200 resumes of one turn
 * 200 database transactions a second; decision 0025.)
 */
export class LedgerWatch {
  private readonly turns = new Map<string, Watched>();

  constructor(
    private readonly ledger: Ledger,
    private readonly logger: Logger,
  ) {}

  /** Calls `onEnd` once the ledger records the turn ended (or has no such turn). Returns the way to leave. */
  watch(
    turnId: string,
    timing: { firstMs: number; pollMs: number; maxPollMs: number },
    onEnd: (t: TurnRecord | undefined) => void,
  ): () => void {
    let w = this.turns.get(turnId);
    if (!w) {
      w = { waiters: new Set(), delayMs: timing.firstMs, pollMs: timing.pollMs, maxPollMs: timing.maxPollMs };
      this.turns.set(turnId, w);
      this.schedule(turnId, w);
    }
    const watched = w;
    // Each follower its own entry, even two that pass the same function.
    const waiter = (t: TurnRecord | undefined) => onEnd(t);
    watched.waiters.add(waiter);
    return () => {
      watched.waiters.delete(waiter);
      if (watched.waiters.size === 0 && this.turns.get(turnId) === watched) {
        clearTimeout(watched.timer);
        this.turns.delete(turnId);
      }
    };
  }

  /** Turns watched now (for tests and metrics). */
  get size(): number {
    return this.turns.size;
  }

  private schedule(turnId: string, w: Watched): void {
    w.timer = setTimeout(() => void this.read(turnId, w), w.delayMs);
    w.delayMs = Math.min(Math.max(w.delayMs * 2, w.pollMs), w.maxPollMs);
  }

  private async read(turnId: string, w: Watched): Promise<void> {
    let t: TurnRecord | undefined;
    let failed = false;
    try {
      t = await this.ledger.getTurn(turnId);
    } catch (err) {
      failed = true;
      this.logger.warn({ err, turnId }, 'reading a followed turn from the ledger failed');
    }
    // Every follower left while the read ran.
    if (this.turns.get(turnId) !== w) return;
    if (!failed && t?.status !== 'pending') {
      this.turns.delete(turnId);
      for (const waiter of w.waiters) waiter(t);
      return;
    }
    this.schedule(turnId, w);
  }
}

/** One watch per ledger, i.e. per instance: what makes the reads shared by all its followers. */
const watches = new WeakMap<Ledger, LedgerWatch>();

export function ledgerWatch(ledger: Ledger, logger: Logger): LedgerWatch {
  let w = watches.get(ledger);
  if (!w) {
    w = new LedgerWatch(ledger, logger);
    watches.set(ledger, w);
  }
  return w;
}
