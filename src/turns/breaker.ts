/**
 * A circuit breaker for the upstream. After `threshold` consecutive failures it opens: turns fail
 * at once instead of each waiting for Coze's timeouts. After `cooldownMs` one probe turn is let
 * through (half-open); its success closes the circuit, its failure opens it again.
 */
export class CircuitBreaker {
  private failures = 0;
  private openedAt: number | undefined;
  private probing = false;
  /** When the circuit last opened and closed (for logs and metrics). */
  lastOpened?: number;
  lastClosed?: number;

  constructor(
    private readonly threshold: number,
    private readonly cooldownMs: number,
    private readonly onChange: (state: 'open' | 'closed') => void = () => {},
    private readonly now: () => number = Date.now,
  ) {}

  get state(): 'closed' | 'open' | 'half-open' {
    if (this.openedAt === undefined) return 'closed';
    return this.now() - this.openedAt >= this.cooldownMs ? 'half-open' : 'open';
  }

  /** Whether a call may go upstream now. In half-open, only one probe at a time. */
  allow(): boolean {
    const s = this.state;
    if (s === 'closed') return true;
    if (s === 'open' || this.probing) return false;
    this.probing = true;
    return true;
  }

  success(): void {
    this.failures = 0;
    this.probing = false;
    if (this.openedAt !== undefined) {
      this.openedAt = undefined;
      this.lastClosed = this.now();
      this.onChange('closed');
    }
  }

  /** The call allowed by `allow` never reached the upstream: a probe slot is given back. */
  abandon(): void {
    this.probing = false;
  }

  failure(): void {
    this.failures++;
    const wasProbe = this.probing;
    this.probing = false;
    if (wasProbe || (this.openedAt === undefined && this.failures >= this.threshold)) {
      const first = this.openedAt === undefined;
      this.openedAt = this.now();
      if (first) {
        this.lastOpened = this.openedAt;
        this.onChange('open');
      }
    }
  }
}
