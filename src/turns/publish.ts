import type { Ledger, TurnOutcome } from '../ledger/index.js';
import type { Logger, Metrics } from '../observability/index.js';
import type { EventStreams } from '../state/index.js';
import { LEDGER_WRITES, type RetryClock, retry } from './backoff.js';
import type { Ending } from './ending.js';
import type { TurnEvent } from './events.js';
import { streamKey } from './follow.js';
import type { TurnInput } from './input.js';
import type { RunReport } from './run.js';
import type { RunningTurn } from './running-turn.js';

export interface PublishDeps {
  ledger: Ledger;
  /** Shared event streams (Redis), so another instance can resume this one's turns. */
  streams?: EventStreams;
  logger: Logger;
  metrics: Metrics;
  clock: RetryClock;
}

/**
 * What records and publishes a turn: its events (the turn's log here, mirrored to the shared
 * stream), its ending in the ledger, its metrics and its log line. Nothing here decides anything.
 */
export class TurnPublisher {
  private readonly mirrorFailed = new WeakSet<RunningTurn>();

  constructor(private readonly d: PublishDeps) {}

  /** Appends an event to the turn's log (its followers get it now) and mirrors it. */
  push(turn: RunningTurn, e: TurnEvent): void {
    turn.log.push(e);
    const { streams, logger } = this.d;
    if (!streams) return;
    // Mirrored in order on one connection; a failure only costs resuming from another instance.
    streams.append(streamKey(turn.turnId), turn.log.lastId, JSON.stringify(e)).catch((err) => {
      if (!this.mirrorFailed.has(turn))
        logger.warn({ err, turnId: turn.turnId }, 'could not mirror turn events to Redis');
      this.mirrorFailed.add(turn);
    });
  }

  /** Keeps a finished turn's shared stream for the resume window. */
  expire(turnId: string, ms: number): void {
    this.d.streams?.expire(streamKey(turnId), ms).catch(() => {});
  }

  /** Writes the terminal status, retrying briefly so a blip of the database does not lose it. */
  async record(turnId: string, outcome: TurnOutcome): Promise<void> {
    try {
      await retry(() => this.d.ledger.finishTurn(turnId, outcome), LEDGER_WRITES, this.d.clock);
    } catch (err) {
      this.d.logger.error({ err, turnId, status: outcome.status }, 'could not record the end of a turn');
    }
  }

  /** Metrics and the one log line of a finished turn. */
  report(turn: RunningTurn, appId: string, input: TurnInput, ending: Ending, run: RunReport): void {
    const { metrics, logger } = this.d;
    const appLabel = { app: appId };
    metrics.turns.inc({ ...appLabel, status: ending.status });
    metrics.turnSeconds.observe(appLabel, run.latencyMs / 1000);
    if (run.firstTokenMs !== undefined) metrics.firstTokenSeconds.observe(appLabel, run.firstTokenMs / 1000);
    const line = {
      turnId: turn.turnId,
      app: appId,
      status: ending.status,
      cozeLogId: run.logId,
      ms: Math.round(run.latencyMs),
      ...(input.origin && input.origin !== 'v1' && { origin: input.origin }),
      ...(input.refs && { refs: input.refs }),
    };
    if (!ending.error) {
      logger.info(line, 'turn ended');
      return;
    }
    metrics.errors.inc({ code: ending.error.code });
    logger.warn(
      { ...line, code: ending.error.code, cozeCode: ending.error.cozeCode, err: ending.error },
      'turn ended',
    );
  }
}
