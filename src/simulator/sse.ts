// SSE output in the exact chat-v3 framing (protocol §3.3, fixture py-chat_text_stream_resp.txt):
// `event:NAME\ndata:JSON\n\n`, no space after the colon, `done` carries the JSON string "[DONE]".
import type { ServerResponse } from 'node:http';

export function formatEvent(event: string, data: unknown): string {
  return `event:${event}\ndata:${JSON.stringify(data)}\n\n`;
}

export const DONE_FRAME = formatEvent('done', '[DONE]');

/** Splits a buffer into write pieces; null means "write it whole". */
export type Chunker = (buf: Buffer) => Buffer[] | null;

/** Cuts `buf` into pieces of `min..max` bytes (anywhere, also inside a UTF-8 character). */
export function splitBytes(
  buf: Buffer,
  min: number,
  max: number,
  random: () => number = Math.random,
): Buffer[] {
  const lo = Math.max(1, Math.floor(min));
  const hi = Math.max(lo, Math.floor(max));
  const pieces: Buffer[] = [];
  let at = 0;
  while (at < buf.length) {
    const size = lo + Math.floor(random() * (hi - lo + 1));
    pieces.push(buf.subarray(at, at + size));
    at += size;
  }
  return pieces;
}

export const STREAM_HEADERS: Record<string, string> = {
  'Content-Type': 'text/event-stream; charset=utf-8',
  'Cache-Control': 'no-cache',
  Connection: 'keep-alive',
  'X-Accel-Buffering': 'no',
};

const pause = (ms: number): Promise<void> =>
  new Promise((resolve) => (ms > 0 ? setTimeout(resolve, ms) : setImmediate(resolve)));

/**
 * Writes one SSE response. Headers go out with the first frame (so a "first event" delay is also
 * a time-to-first-byte delay). Frames are queued so chunked writes never interleave; writes after
 * the client went away are dropped.
 */
export class SseWriter {
  private headSent = false;
  private finished = false;
  private queue: Promise<void> = Promise.resolve();
  /** Settles when the last write was handed to the socket (so a cut does not drop it). */
  private lastWrite: Promise<void> = Promise.resolve();
  private readonly gone: Promise<void>;

  constructor(
    private readonly res: ServerResponse,
    private readonly logId: string,
    private readonly chunker: () => Chunker | null,
    private readonly pieceGapMs: () => number = () => 0,
  ) {
    this.gone = new Promise((resolve) => res.once('close', () => resolve()));
  }

  /** True once the response ended, was cut, or the client disconnected. */
  get closed(): boolean {
    return this.finished || this.res.destroyed || this.res.writableEnded;
  }

  event(name: string, data: unknown): void {
    this.enqueue(formatEvent(name, data));
  }

  /** Writes the `done` event and ends the response. */
  done(): void {
    this.enqueue(DONE_FRAME);
    this.end();
  }

  /** Ends the response after everything queued was written. */
  end(): void {
    if (this.finished) return;
    this.finished = true;
    this.queue = this.queue.then(() => {
      if (!this.res.destroyed && !this.res.writableEnded) {
        this.ensureHead();
        this.res.end();
      }
    });
  }

  /** Destroys the socket (after what is queued) without a `done`: a cut stream. */
  cut(): void {
    if (this.finished) return;
    this.finished = true;
    this.queue = this.queue
      .then(() => Promise.race([this.lastWrite, this.gone]))
      .then(() => {
        this.res.socket?.destroy();
        this.res.destroy();
      });
  }

  /** Resolves when all queued writes went out. */
  flushed(): Promise<void> {
    return this.queue;
  }

  private ensureHead(): void {
    if (this.headSent) return;
    this.headSent = true;
    this.res.writeHead(200, { ...STREAM_HEADERS, 'X-Tt-Logid': this.logId });
    this.res.flushHeaders();
  }

  private enqueue(text: string): void {
    if (this.finished) return;
    this.queue = this.queue.then(() => this.write(text));
  }

  private async write(text: string): Promise<void> {
    if (this.res.destroyed || this.res.writableEnded) return;
    this.ensureHead();
    const buf = Buffer.from(text, 'utf8');
    const chunker = this.chunker();
    const pieces = chunker ? chunker(buf) : null;
    if (!pieces) {
      if (!this.send(buf)) await this.drain();
      return;
    }
    for (const piece of pieces) {
      if (this.res.destroyed) return;
      this.send(piece);
      await pause(this.pieceGapMs());
    }
  }

  private send(buf: Buffer): boolean {
    let ok = true;
    this.lastWrite = new Promise((resolve) => {
      ok = this.res.write(buf, () => resolve());
    });
    return ok;
  }

  private drain(): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        this.res.off('drain', done);
        this.res.off('close', done);
        resolve();
      };
      this.res.on('drain', done);
      this.res.on('close', done);
    });
  }
}
