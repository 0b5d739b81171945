// SSE output. The default framing is chat v3's (protocol §3.3, fixture py-chat_text_stream_resp.txt):
// `event:NAME\ndata:JSON\n\n`, no space after the colon, `done` carries the JSON string "[DONE]".
// Workflow and chatflow streams plug their own framing in (framing.ts).
import type { ServerResponse } from 'node:http';
import { constants, type Http2Stream } from 'node:http2';

export function formatEvent(event: string, data: unknown): string {
  return `event:${event}\ndata:${JSON.stringify(data)}\n\n`;
}

export const DONE_FRAME = formatEvent('done', '[DONE]');

/** How events become bytes; `frame` is called in emit order (a framing may number its events). */
export interface Framing {
  frame(event: string, data: unknown): string;
  /** The final frame written by `done()`. */
  done(): string;
}

const CHAT_FRAMING: Framing = { frame: formatEvent, done: () => DONE_FRAME };

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

const STREAM_HEADERS: Record<string, string> = {
  'Content-Type': 'text/event-stream; charset=utf-8',
  'Cache-Control': 'no-cache',
  Connection: 'keep-alive',
  'X-Accel-Buffering': 'no',
};

/** HTTP/2 has no Connection header (Node refuses to send one). */
const H2_STREAM_HEADERS = Object.fromEntries(
  Object.entries(STREAM_HEADERS).filter(([name]) => name !== 'Connection'),
);

const pause = (ms: number): Promise<void> =>
  new Promise((resolve) => (ms > 0 ? setTimeout(resolve, ms) : setImmediate(resolve)));

/**
 * Writes one SSE response. Headers go out with the first frame (so a "first event" delay is also
 * a time-to-first-byte delay). Unchunked frames are written synchronously while nothing is queued
 * (the cheap path for many concurrent streams); chunked writes, backpressure waits, the end and
 * a cut go through a queue so nothing interleaves. Writes after the client went away are dropped.
 */
export class SseWriter {
  private headSent = false;
  private finished = false;
  private queue: Promise<void> = Promise.resolve();
  private queued = 0;
  /** Writes not yet handed to the socket, so a cut does not drop them. */
  private unwritten = 0;
  private onWritten: (() => void) | null = null;
  private readonly writeDone = (): void => {
    this.unwritten--;
    if (this.unwritten === 0 && this.onWritten) {
      const resolve = this.onWritten;
      this.onWritten = null;
      resolve();
    }
  };

  constructor(
    private readonly res: ServerResponse,
    private readonly logId: string,
    private readonly chunker: () => Chunker | null,
    private readonly pieceGapMs: () => number = () => 0,
    private readonly framing: Framing = CHAT_FRAMING,
  ) {}

  /** True once the response ended, was cut, or the client disconnected. */
  get closed(): boolean {
    return this.finished || this.gone;
  }

  event(name: string, data: unknown): void {
    this.enqueue(this.framing.frame(name, data));
  }

  /** Writes the framing's `done` event and ends the response. */
  done(): void {
    this.enqueue(this.framing.done());
    this.end();
  }

  /** Ends the response after everything queued was written. */
  end(): void {
    if (this.finished) return;
    this.finished = true;
    this.chain(() => {
      if (this.gone) return;
      this.ensureHead();
      this.res.end();
    });
  }

  /**
   * Ends the stream without a `done` (after what is queued went out): a cut stream. HTTP/1.1 loses
   * its socket; an HTTP/2 stream is reset alone, the other streams of its connection go on.
   */
  cut(): void {
    if (this.finished) return;
    this.finished = true;
    this.chain(async () => {
      await this.written();
      const h2 = (this.res as unknown as { stream?: Http2Stream }).stream;
      if (h2) h2.close(constants.NGHTTP2_INTERNAL_ERROR);
      else this.res.socket?.destroy();
      this.res.destroy();
    });
  }

  /** Resolves when all queued writes went out. */
  flushed(): Promise<void> {
    return this.queue;
  }

  private get gone(): boolean {
    return this.res.destroyed || this.res.writableEnded;
  }

  private ensureHead(): void {
    if (this.headSent) return;
    this.headSent = true;
    const headers = 'stream' in this.res ? H2_STREAM_HEADERS : STREAM_HEADERS;
    this.res.writeHead(200, { ...headers, 'X-Tt-Logid': this.logId });
    this.res.flushHeaders();
  }

  private chain(op: () => void | Promise<void>): void {
    this.queued++;
    this.queue = this.queue.then(op).finally(() => {
      this.queued--;
    });
  }

  private enqueue(text: string): void {
    if (this.finished) return;
    const chunker = this.chunker();
    if (!chunker && this.queued === 0) {
      if (this.gone) return;
      this.ensureHead();
      if (!this.send(Buffer.from(text, 'utf8'))) this.chain(() => this.drain());
      return;
    }
    this.chain(() => this.writePieces(text, chunker));
  }

  private async writePieces(text: string, chunker: Chunker | null): Promise<void> {
    if (this.gone) return;
    this.ensureHead();
    const buf = Buffer.from(text, 'utf8');
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
    this.unwritten++;
    return this.res.write(buf, this.writeDone);
  }

  private written(): Promise<void> {
    if (this.unwritten === 0 || this.res.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      this.onWritten = resolve;
      this.res.once('close', () => resolve());
    });
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
