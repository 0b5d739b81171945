// A streamed Coze response as an async iterable of typed events, with first-event and idle timeouts
// (coze-protocol.md §3.3-3.5, §5.2, §8.2). Shared by chat/chatflow streams and workflow streams: a
// `StreamReader` turns SSE items into events and says which event may end the stream.
import type { Readable } from 'node:stream';
import { GatewayError } from '../errors.js';
import { badResponse, CozeUpstreamError, mapCozeFailure } from './error-map.js';
import { InvalidEventError } from './events.js';
import { createSseDecoder, type SseItem } from './sse.js';

/** A response body: undici's is a Readable (tests use PassThrough and Readable.from). */
export type StreamBody = Readable;

export interface StreamSource {
  body: StreamBody;
  logId?: string;
  firstEventMs: number;
  idleMs: number;
  /** Aborts the underlying request. */
  cancel(): void;
  /** Called when the stream is over, however it ended (e.g. to drop listeners). */
  release?(): void;
  /** The caller's signal: aborting it ends the iteration quietly, like abort(). */
  signal?: AbortSignal;
}

/**
 * `last`: the stream is over (`done`); `may-end`: the body may end after this event without a
 * truncation (e.g. `error`); `more`: more events are due.
 */
export type Verdict = 'last' | 'may-end' | 'more';

export interface StreamReader<E> {
  /** One SSE event -> one typed event; throws InvalidEventError when it cannot be read. */
  read(item: Extract<SseItem, { kind: 'event' }>): E;
  verdict(event: E): Verdict;
}

export interface EventStream<E> extends AsyncIterable<E> {
  readonly logId?: string;
  /** Stops reading: the connection is closed and iteration ends quietly. */
  abort(): void;
}

type State = 'open' | 'timed-out' | 'aborted';

/** How long the rest of a body is waited for after its last event. */
const LINGER_MS = 1000;

export function createEventStream<E>(src: StreamSource, reader: StreamReader<E>): EventStream<E> {
  const { logId } = src;
  let state: State = 'open';
  let timer: NodeJS.Timeout | undefined;

  const stop = (): void => {
    clearTimeout(timer);
    src.cancel();
    src.body.destroy();
  };
  /**
   * The end of the stream. One whose last event has come needs no abort (nor its costly
   * AbortError): what is left of its body (the end of the chunked encoding) is drained, so the
   * connection is kept, or destroyed if it has not ended within LINGER_MS.
   */
  const finish = (ended: boolean): void => {
    const body = src.body;
    clearTimeout(timer);
    if (!ended) stop();
    else if (!body.readableEnded) {
      const linger = setTimeout(() => body.destroy(), LINGER_MS);
      body.once('close', () => clearTimeout(linger));
      // Nobody reads this body any more: undici's destroys an unfinished one with an AbortError,
      // which with no listener would be an uncaught exception (the process would exit).
      body.on('error', () => {});
      body.resume();
    } else body.destroy();
    src.release?.();
  };
  const arm = (ms: number): void => {
    clearTimeout(timer);
    if (ms > 0 && state === 'open') {
      timer = setTimeout(() => {
        state = 'timed-out';
        stop();
      }, ms);
    }
  };
  const abort = (): void => {
    if (state === 'open') state = 'aborted';
    stop();
  };
  if (src.signal?.aborted) abort();
  src.signal?.addEventListener('abort', abort, { once: true });
  arm(src.firstEventMs); // the first-event clock runs from the response headers

  const timeoutError = (): GatewayError =>
    new GatewayError('GW_UPSTREAM_TIMEOUT', {
      logId,
      cause: new CozeUpstreamError('no stream event within the time limit'),
    });
  const truncated = (cause: unknown): GatewayError =>
    new GatewayError('GW_UPSTREAM_TRUNCATED', { logId, cause });

  function toEvent(item: SseItem): E {
    if (item.kind === 'event') {
      try {
        return reader.read(item);
      } catch (e) {
        if (!(e instanceof InvalidEventError)) throw e;
        // An event completed only by the end of the body was cut in the middle.
        if (item.final && !e.lost) throw truncated(e);
        throw new GatewayError('GW_UPSTREAM_BAD_RESPONSE', { logId, cause: e });
      }
    }
    if (item.kind === 'bare-json') {
      // §3.5 legacy: a bare `{"code":4100,"msg":…}` instead of a stream.
      const { code, msg } = item.body;
      if (typeof code === 'number' && code !== 0) {
        throw mapCozeFailure({ status: 200, code, msg: typeof msg === 'string' ? msg : '', logId });
      }
    }
    throw badResponse('the stream body is not SSE', logId);
  }

  async function* iterate(): AsyncGenerator<E, void, undefined> {
    const decoder = createSseDecoder();
    let endsNormally = false;
    let ended = false;
    function* emit(items: SseItem[]): Generator<E, boolean, undefined> {
      for (const item of items) {
        const event = toEvent(item);
        clearTimeout(timer); // the consumer's time does not count as upstream idleness
        yield event;
        const verdict = reader.verdict(event);
        if (verdict === 'last' || state !== 'open') return true;
        endsNormally = verdict === 'may-end';
        arm(src.idleMs); // every event, heartbeats included (§5.2 PING), restarts the idle clock
      }
      return false;
    }
    // Leaving a Readable's iterator early destroys the stream with an AbortError (a stack trace
    // per turn); after the last event, the rest of the body is drained instead (see finish).
    const chunks = src.body.iterator({ destroyOnReturn: false });
    try {
      try {
        for await (const chunk of chunks) {
          if (yield* emit(decoder.push(chunk))) {
            ended = state === 'open';
            return;
          }
        }
      } catch (e) {
        if (e instanceof GatewayError) throw e; // from toEvent
        if (state === 'timed-out') throw timeoutError();
        if (state === 'aborted') return;
        throw truncated(e); // reset / socket closed mid-stream
      }
      if (state === 'timed-out') throw timeoutError();
      if (state === 'aborted') return;
      ended = true; // the body is over
      if (yield* emit(decoder.end())) return;
      if (!endsNormally) throw truncated(new CozeUpstreamError('the stream ended before its last event'));
    } finally {
      src.signal?.removeEventListener('abort', abort);
      if (state === 'open') state = 'aborted';
      finish(ended);
    }
  }

  const events = iterate();
  return {
    logId,
    abort,
    [Symbol.asyncIterator]: () => events,
  };
}
