// Timers that close() can cut short all at once. A Set keeps add/remove O(1) with thousands of
// concurrent streams (one AbortSignal listener per sleep would make each removal O(n)).
export class Sleeper {
  private readonly pending = new Set<() => void>();
  private stopped = false;

  get closed(): boolean {
    return this.stopped;
  }

  /** Resolves after `ms` (at once when ≤ 0 or after stop()). */
  sleep(ms: number): Promise<void> {
    if (ms <= 0 || this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.pending.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.pending.add(wake);
    });
  }

  /** Wakes every sleeper; later sleeps return at once. */
  stop(): void {
    this.stopped = true;
    for (const wake of [...this.pending]) wake();
  }
}
