import type { Ledger, TurnRecord } from '../ledger/index.js';
import type { Logger } from '../observability/index.js';
import type { EventStreams } from '../state/index.js';
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
  /** How often the ledger is read while waiting for a turn no live source will end. */
  pollMs?: number;
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
 * Every follower ends with exactly one `done` or `error`. Returns the function that stops it.
 */
export async function followTurn(
  src: FollowSources,
  turnId: string,
  afterId: number,
  onEvent: (e: NumberedEvent) => void,
): Promise<() => void> {
  const local = src.local(turnId);
  if (local) return local.subscribe(onEvent, afterId);

  let last = afterId;
  let ended = false;
  let stopStream: (() => void) | undefined;
  let timer: NodeJS.Timeout | undefined;
  const stop = () => {
    ended = true;
    stopStream?.();
    clearTimeout(timer);
  };
  const deliver = (e: NumberedEvent) => {
    if (ended || e.id <= last) return;
    last = e.id;
    onEvent(e);
    if (isEnd(e)) stop();
  };

  if (src.streams) {
    stopStream = await src.streams.follow(streamKey(turnId), afterId, (id, data) =>
      deliver({ ...(JSON.parse(data) as TurnEvent), id } as NumberedEvent),
    );
    if (ended) return stop;
  }
  // No live source will end this turn (or its instance may die): watch the ledger too.
  const poll = async () => {
    if (ended) return;
    try {
      const t = await src.ledger.getTurn(turnId);
      if (t && t.status !== 'pending') {
        deliver({ ...endOf(t), id: last + 1 } as NumberedEvent);
        return;
      }
    } catch (err) {
      src.logger.warn({ err, turnId }, 'reading a followed turn from the ledger failed');
    }
    if (!ended) timer = setTimeout(poll, src.pollMs ?? 1000);
  };
  // With a live stream, the ledger is only a safety net; without one, it is the source.
  timer = setTimeout(poll, stopStream ? (src.pollMs ?? 1000) * 2 : 0);
  return stop;
}
