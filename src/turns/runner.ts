import type { AppConfig } from '../config/index.js';
import type { CozeClient } from '../coze/index.js';
import type { Session } from '../identity/index.js';
import { newId } from '../ids.js';
import type { Ledger } from '../ledger/index.js';
import type { Logger, Metrics } from '../observability/index.js';
import type { EventStreams, Lock, Store } from '../state/index.js';
import type { ToolRunner } from '../tools/index.js';
import { type AdmitDeps, admit } from './admit.js';
import { type RetryClock, realClock } from './backoff.js';
import type { CircuitBreaker } from './breaker.js';
import { type EndDeps, endTurn, faultTurn } from './end.js';
import type { NumberedEvent } from './events.js';
import { followTurn } from './follow.js';
import type { StartedTurn, TurnInput } from './input.js';
import { TurnPublisher } from './publish.js';
import { ResumeMemory } from './resume-memory.js';
import { type RunDeps, type RunReport, runTurn } from './run.js';
import { RunningTurn } from './running-turn.js';
import { turnEvent } from './wire.js';

export { TURN_LOCK_TTL_MS } from './admit.js';
export { CHECKPOINT_EVERY_MS } from './run.js';

export interface TurnSettings {
  lockWaitMs: number;
  timeoutMs: number;
  resumeRetentionMs: number;
  /**
   * Finished turns whose events this instance keeps in memory for resuming (the newest). Older
   * ones resume from the shared stream (Redis) or get the ledger's recorded ending.
   */
  resumeMemoryTurns: number;
  unavailableMessage?: string;
  /** Offered instead of an answer while Coze cannot be reached (`fallback` of the error). */
  fallbackAnswer?: string;
}

/** What a turn needs of its app: its target, tools, limits. */
export type TurnApp = AppConfig;

export interface TurnDeps {
  coze: CozeClient;
  ledger: Ledger;
  store: Store;
  /** Shared event streams (Redis), so another instance can resume this one's turns. */
  streams?: EventStreams;
  breaker: CircuitBreaker;
  tools: ToolRunner;
  logger: Logger;
  metrics: Metrics;
  settings: TurnSettings;
  /** Time and chance of every retry (tests inject their own). */
  clock?: RetryClock;
}

type EndEvent = Extract<NumberedEvent, { event: 'done' | 'error' }>;

/**
 * The turn pipeline, for every entry point: `start` admits a turn (admit.ts) and runs it in the
 * background (run.ts), whether or not anyone is listening; when the run returns, the turn's
 * machine decides its ending (ending.ts) and the publisher records and publishes it
 * (publish.ts). `follow` and `end` read any turn, here or elsewhere.
 */
export class TurnRunner {
  private readonly running = new Map<string, RunningTurn>();
  private readonly memory: ResumeMemory;
  private readonly publisher: TurnPublisher;
  /** The parts each stage sees (built once). */
  private readonly stages: { admit: AdmitDeps; run: RunDeps; end: EndDeps };

  constructor(private readonly deps: TurnDeps) {
    const clock = deps.clock ?? realClock;
    this.memory = new ResumeMemory(deps.settings.resumeRetentionMs, deps.settings.resumeMemoryTurns);
    this.publisher = new TurnPublisher({ ...deps, clock });
    const { breaker, logger, settings } = deps;
    const { publisher, memory } = this;
    this.stages = {
      admit: { ...deps, clock },
      run: { ...deps, clock },
      end: { publisher, memory, breaker, logger, settings, release: (t, l) => this.release(t, l) },
    };
  }

  /**
   * Does everything that can be refused before an answer starts (404, 409, 502, 503 as coded
   * errors), then starts the turn, which goes on in the background. Read it with `follow`.
   */
  async start(session: Session, app: TurnApp, input: TurnInput): Promise<StartedTurn> {
    const turnId = newId('tn');
    const admitted = await admit(this.stages.admit, session, app, input, turnId);
    if ('replayed' in admitted) return admitted;
    const turn = new RunningTurn(turnId, admitted.conversation);
    this.running.set(turnId, turn);
    this.memory.open(turnId, turn.log);
    this.publisher.push(turn, turnEvent(turnId, turn.conversation.id));
    // drive never rejects (see fault); the catch is the last guard of a background promise.
    this.drive(turn, session, app, input, admitted.lock).catch(() => {});
    return { turnId, conversationId: turn.conversation.id, replayed: false };
  }

  /**
   * A turn's events after `afterId`, then live ones, ending with `done` or `error`. A listener
   * that throws is logged; it never stops the turn or the other listeners.
   */
  /** A turn's events after `afterId`, then live ones, until its end (`onEnd`; see followTurn). */
  follow(
    turnId: string,
    afterId: number,
    onEvent: (e: NumberedEvent) => void,
    onEnd?: () => void,
  ): Promise<() => void> {
    const { ledger, streams, logger } = this.deps;
    const guarded = (e: NumberedEvent) => {
      try {
        onEvent(e);
      } catch (err) {
        logger.error({ err, turnId, event: e.event }, 'a follower of a turn failed on an event');
      }
    };
    return followTurn(
      { ledger, streams, logger, local: (id) => this.memory.get(id) },
      turnId,
      afterId,
      guarded,
      onEnd,
    );
  }

  /** The turn's terminal event (for sync answers). */
  end(turnId: string): Promise<EndEvent> {
    return new Promise((resolve, reject) => {
      this.follow(turnId, 0, (e) => {
        if (e.event === 'done' || e.event === 'error') resolve(e);
      }).catch(reject);
    });
  }

  /** Stops a turn running here (the browser that started it went away, CANCEL_ON_DISCONNECT). */
  cancel(turnId: string): void {
    this.running.get(turnId)?.stop('canceled');
  }

  /**
   * Forgets a finished turn's events (here and in the shared stream): recovery has changed how it
   * ended, and followers must read the ledger's record instead.
   */
  forget(turnId: string): void {
    if (this.running.has(turnId)) return;
    this.memory.forget(turnId);
    this.publisher.expire(turnId, 1);
  }

  /** Whether this instance is running the turn. */
  isRunning(turnId: string): boolean {
    return this.running.has(turnId);
  }

  /** Turns still running (for graceful shutdown). */
  get active(): RunningTurn[] {
    return [...this.running.values()];
  }

  /** Runs the admitted turn, then ends it. Never rejects: a fault still ends the turn (`fault`). */
  private async drive(turn: RunningTurn, session: Session, app: TurnApp, input: TurnInput, lock: Lock) {
    let run: RunReport | undefined;
    try {
      run = await runTurn(this.stages.run, turn, session, app, input.message, lock, (e) =>
        this.publisher.push(turn, e),
      );
      await endTurn(this.stages.end, turn, app.id, input, lock, run);
    } catch (err) {
      await faultTurn(this.stages.end, turn, lock, run, err);
    }
  }

  private async release(turn: RunningTurn, lock: Lock): Promise<void> {
    this.running.delete(turn.turnId);
    try {
      await lock.release();
    } catch (err) {
      this.deps.logger.warn({ err, turnId: turn.turnId }, 'turn lock release failed');
    }
  }
}
