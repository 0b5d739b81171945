import type { TurnEventLog } from './events.js';

/**
 * The event logs this instance keeps for resuming: every running turn's, and the newest `keep`
 * finished ones, each for at most `retentionMs` after it ended. At a thousand turns a second, ten
 * minutes of every turn's events would be gigabytes of heap, and the collector's pauses grow
 * with it (a resume of an older turn reads Redis, or gets the ledger's ending, which carries the
 * whole answer). One timer for all, due when the oldest is.
 */
export class ResumeMemory {
  private readonly logs = new Map<string, TurnEventLog>();
  /** Ended turns whose logs are kept, oldest first, with when each is dropped. */
  private readonly ended = new Map<string, number>();
  private sweep: NodeJS.Timeout | undefined;

  constructor(
    private readonly retentionMs: number,
    private readonly keep: number,
    private readonly now: () => number = Date.now,
  ) {}

  get(turnId: string): TurnEventLog | undefined {
    return this.logs.get(turnId);
  }

  /** A turn began here: its log is kept while it runs. */
  open(turnId: string, log: TurnEventLog): void {
    this.logs.set(turnId, log);
  }

  /** The turn ended: its log stays for the retention window (or until newer ones push it out). */
  retire(turnId: string): void {
    this.ended.set(turnId, this.now() + this.retentionMs);
    this.drop();
  }

  /** Forgets a log at once (recovery changed how its turn ended). */
  forget(turnId: string): void {
    this.logs.delete(turnId);
  }

  /** Drops kept logs past their time or over the count (all end times are in order: one window). */
  private drop(): void {
    const now = this.now();
    for (const [turnId, until] of this.ended) {
      if (until > now && this.ended.size <= this.keep) break;
      this.ended.delete(turnId);
      this.logs.delete(turnId);
    }
    const oldest = this.ended.values().next();
    if (this.sweep || oldest.done) return;
    this.sweep = setTimeout(
      () => {
        this.sweep = undefined;
        this.drop();
      },
      Math.max(0, oldest.value - now) + 10,
    );
    this.sweep.unref();
  }
}
