// One describe per framing rule of coze-protocol.md §3.3 / §3.5 (in the manner of undici's SSE tests).
import { describe, expect, it } from 'vitest';
import { createSseDecoder, type SseItem } from './sse.js';

const enc = new TextEncoder();

function decode(...chunks: (string | Uint8Array)[]): SseItem[] {
  const d = createSseDecoder();
  const items: SseItem[] = [];
  for (const c of chunks) items.push(...d.push(typeof c === 'string' ? enc.encode(c) : c));
  items.push(...d.end());
  return items;
}

const events = (items: SseItem[]) =>
  items.map((i) => (i.kind === 'event' ? { event: i.event, data: i.data } : { kind: i.kind }));

describe('§3.3 rule 1: event line, data line, blank line', () => {
  it('reads consecutive events', () => {
    expect(events(decode('event:a\ndata:{"x":1}\n\nevent:b\ndata:{"y":2}\n\n'))).toEqual([
      { event: 'a', data: '{"x":1}' },
      { event: 'b', data: '{"y":2}' },
    ]);
  });
  it('ignores unknown field lines and comments instead of failing', () => {
    expect(events(decode(': keep-alive\nid: 3\nfoo:bar\nevent:a\ndata:{}\n\n'))).toEqual([
      { event: 'a', data: '{}' },
    ]);
  });
  it('names an event without `event:` line "message"', () => {
    expect(events(decode('data:{}\n\n'))).toEqual([{ event: 'message', data: '{}' }]);
  });
});

describe('§3.3 rule 2: the space after the colon is optional', () => {
  it('reads both forms identically', () => {
    const a = events(decode('event:conversation.chat.created\ndata:{"id":"1"}\n\n'));
    const b = events(decode('event: conversation.chat.created\ndata: {"id":"1"}\n\n'));
    expect(a).toEqual(b);
    expect(a).toEqual([{ event: 'conversation.chat.created', data: '{"id":"1"}' }]);
  });
  it('trims the event name like the SDKs', () => {
    expect(events(decode('event:  done \ndata:"[DONE]"\n\n'))[0]).toEqual({
      event: 'done',
      data: '"[DONE]"',
    });
  });
});

describe('§3.3 rule 3: raw UTF-8 split anywhere', () => {
  it('keeps a multi-byte character split across chunks', () => {
    const bytes = enc.encode('event:m\ndata:{"c":"星期二😀"}\n\n');
    for (let i = 1; i < bytes.length; i++) {
      const items = decode(bytes.subarray(0, i), bytes.subarray(i));
      expect(events(items)).toEqual([{ event: 'm', data: '{"c":"星期二😀"}' }]);
    }
  });
  it('survives one byte per chunk', () => {
    const bytes = enc.encode('event:m\ndata:{"c":"年月日"}\n\n');
    const chunks = Array.from(bytes, (b) => Uint8Array.of(b));
    expect(events(decode(...chunks))).toEqual([{ event: 'm', data: '{"c":"年月日"}' }]);
  });
});

describe('§3.3 rule 4: a body without the final newline', () => {
  it('completes the last event and marks it final', () => {
    const items = decode('event:a\ndata:{}\n\nevent:done\ndata:"[DONE]"');
    expect(items).toEqual([
      { kind: 'event', event: 'a', data: '{}', final: false },
      { kind: 'event', event: 'done', data: '"[DONE]"', final: true },
    ]);
  });
  it('yields nothing for an event line without data', () => {
    expect(decode('event:a\ndata:{}\n\nevent:b')).toHaveLength(1);
  });
});

describe('§3.3 rule 7: line endings', () => {
  it('reads \\r\\n and \\r like \\n', () => {
    const want = [
      { event: 'a', data: '{}' },
      { event: 'b', data: '[1]' },
    ];
    expect(events(decode('event:a\r\ndata:{}\r\n\r\nevent:b\r\ndata:[1]\r\n\r\n'))).toEqual(want);
    expect(events(decode('event:a\rdata:{}\r\revent:b\rdata:[1]\r\r'))).toEqual(want);
  });
  it('reads \\r\\n split between chunks', () => {
    expect(events(decode('event:a\r', '\ndata:{}\r', '\n\r', '\n'))).toEqual([{ event: 'a', data: '{}' }]);
  });
});

describe('§3.5: a body that is not a stream', () => {
  it('recognises a bare JSON error body without trailing newline', () => {
    expect(decode('{"code":4100,"msg":"authentication is invalid"}')).toEqual([
      { kind: 'bare-json', body: { code: 4100, msg: 'authentication is invalid' } },
    ]);
  });
  it('recognises it split into chunks', () => {
    expect(decode('{"code":41', '01,"msg":"x"}\n')).toEqual([
      { kind: 'bare-json', body: { code: 4101, msg: 'x' } },
    ]);
  });
  it('reports other text as garbage, and an empty body as nothing', () => {
    expect(decode('<html>502 Bad Gateway</html>')).toEqual([
      { kind: 'garbage', text: '<html>502 Bad Gateway</html>' },
    ]);
    expect(decode('')).toEqual([]);
  });
});
