import { describe, expect, it } from 'vitest';
import { DONE_FRAME, formatEvent, splitBytes } from './sse.js';

describe('sse framing', () => {
  it('writes event and data without a space after the colon', () => {
    expect(formatEvent('conversation.chat.created', { id: '1', n: 2 })).toBe(
      'event:conversation.chat.created\ndata:{"id":"1","n":2}\n\n',
    );
    expect(DONE_FRAME).toBe('event:done\ndata:"[DONE]"\n\n');
    expect(formatEvent('x', { s: '星期三' })).toContain('星期三');
  });

  it('splits bytes anywhere, also inside UTF-8 characters, and loses nothing', () => {
    const buf = Buffer.from(formatEvent('conversation.message.delta', { content: '星期三。😀' }));
    let seed = 1;
    const random = (): number => {
      seed = (seed * 16807) % 2147483647;
      return seed / 2147483647;
    };
    const pieces = splitBytes(buf, 1, 7, random);
    expect(Buffer.concat(pieces).equals(buf)).toBe(true);
    for (const p of pieces) expect(p.length).toBeGreaterThanOrEqual(1);
    for (const p of pieces) expect(p.length).toBeLessThanOrEqual(7);
    const splitsInsideChar = pieces.some((p) => {
      try {
        new TextDecoder('utf-8', { fatal: true }).decode(p);
        return false;
      } catch {
        return true;
      }
    });
    expect(splitsInsideChar).toBe(true);
    expect(splitBytes(Buffer.from('abcdefg'), 3, 3).map(String)).toEqual(['abc', 'def', 'g']);
  });
});

describe('SseWriter', () => {
  it('queues frames, chunks them without interleaving, sends headers once and ends with done', async () => {
    const { EventEmitter } = await import('node:events');
    const { SseWriter } = await import('./sse.js');
    const writes: string[] = [];
    const heads: [number, Record<string, string>][] = [];
    const fake = Object.assign(new EventEmitter(), {
      destroyed: false,
      writableEnded: false,
      writeHead: (status: number, headers: Record<string, string>) => heads.push([status, headers]),
      flushHeaders: () => undefined,
      write: (buf: Buffer, cb?: () => void) => {
        writes.push(buf.toString('latin1'));
        cb?.();
        return true;
      },
      end() {
        this.writableEnded = true;
      },
    });
    const writer = new SseWriter(fake as never, 'LOGID', () => (buf) => splitBytes(buf, 2, 2));
    writer.event('a', { x: 1 });
    writer.event('b', { y: '星' });
    writer.done();
    writer.event('late', {});
    await writer.flushed();
    expect(heads).toHaveLength(1);
    expect(heads[0]?.[1]).toMatchObject({
      'X-Tt-Logid': 'LOGID',
      'Content-Type': 'text/event-stream; charset=utf-8',
    });
    expect(writes.every((w) => Buffer.from(w, 'latin1').length <= 2)).toBe(true);
    expect(Buffer.from(writes.join(''), 'latin1').toString('utf8')).toBe(
      'event:a\ndata:{"x":1}\n\nevent:b\ndata:{"y":"星"}\n\nevent:done\ndata:"[DONE]"\n\n',
    );
    expect(fake.writableEnded).toBe(true);
    expect(writer.closed).toBe(true);
  });
});
