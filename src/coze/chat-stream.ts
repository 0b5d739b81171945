// A streamed chat as an async iterable of typed events, with first-event and idle timeouts
// (coze-protocol.md §3.3-3.5, §8.2).
import { GatewayError } from '../errors.js';
import { badResponse, CozeUpstreamError, mapCozeFailure } from './error-map.js';
import { InvalidEventError, toChatEvent } from './events.js';
import { createSseDecoder, type SseItem } from './sse.js';
import type { ChatEvent, ChatStream } from './types.js';

export interface StreamBody extends AsyncIterable<Uint8Array> {
  destroy(error?: Error): unknown;
}

export interface ChatStreamSource {
  body: StreamBody;
  logId?: string;
  firstEventMs: number;
  idleMs: number;
  /** Aborts the underlying request. */
  cancel(): void;
  /** The caller's signal: aborting it ends the iteration quietly, like abort(). */
  signal?: AbortSignal;
}

type State = 'open' | 'timed-out' | 'aborted';

export function createChatStream(src: ChatStreamSource): ChatStream {
  const { logId } = src;
  let state: State = 'open';
  let timer: NodeJS.Timeout | undefined;

  const stop = (): void => {
    clearTimeout(timer);
    src.cancel();
    src.body.destroy();
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

  function toEvent(item: SseItem): ChatEvent {
    if (item.kind === 'event') {
      try {
        return toChatEvent(item.event, item.data);
      } catch (e) {
        if (!(e instanceof InvalidEventError)) throw e;
        // An event completed only by the end of the body was cut in the middle.
        if (item.final) throw truncated(e);
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

  async function* iterate(): AsyncGenerator<ChatEvent, void, undefined> {
    const decoder = createSseDecoder();
    // §3.4 note: the SDKs stop after `error` and `chat.failed`, so ending there is a normal end.
    let endsNormally = false;
    function* emit(items: SseItem[]): Generator<ChatEvent, boolean, undefined> {
      for (const item of items) {
        const event = toEvent(item);
        clearTimeout(timer); // the consumer's time does not count as upstream idleness
        yield event;
        if (event.type === 'done' || state !== 'open') return true;
        endsNormally =
          event.type === 'error' || (event.type === 'chat' && event.event === 'conversation.chat.failed');
        arm(src.idleMs);
      }
      return false;
    }
    try {
      try {
        for await (const chunk of src.body) {
          if (yield* emit(decoder.push(chunk))) return;
        }
      } catch (e) {
        if (e instanceof GatewayError) throw e; // from toEvent
        if (state === 'timed-out') throw timeoutError();
        if (state === 'aborted') return;
        throw truncated(e); // reset / socket closed mid-stream
      }
      if (state === 'timed-out') throw timeoutError();
      if (state === 'aborted') return;
      if (yield* emit(decoder.end())) return;
      if (!endsNormally) throw truncated(new CozeUpstreamError('the stream ended before `done`'));
    } finally {
      src.signal?.removeEventListener('abort', abort);
      if (state === 'open') state = 'aborted';
      stop();
    }
  }

  const events = iterate();
  return {
    logId,
    abort,
    [Symbol.asyncIterator]: () => events,
  };
}
