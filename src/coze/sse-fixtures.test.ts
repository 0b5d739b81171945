// Every recorded Coze stream (coze-fixtures/py-*.txt) parses, whole, split at every single point,
// and split at random points (which lands inside multi-byte characters too).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { toChatEvent } from './events.js';
import { random, randomSplit } from './splits.js';
import { createSseDecoder } from './sse.js';
import { answerText } from './stream-testing.js';
import type { ChatEvent } from './types.js';

const DIR = '/work/shared/coze-fixtures';
const fixture = (name: string) => new Uint8Array(readFileSync(join(DIR, name)));

function parse(chunks: Uint8Array[]): ChatEvent[] {
  const d = createSseDecoder();
  const out: ChatEvent[] = [];
  const take = (items: ReturnType<typeof d.end>) => {
    for (const i of items) {
      if (i.kind !== 'event') throw new Error(`unexpected ${i.kind}`);
      out.push(toChatEvent(i.event, i.data));
    }
  };
  for (const c of chunks) take(d.push(c));
  take(d.end());
  return out;
}

const names = (events: ChatEvent[]) =>
  events.map((e) => (e.type === 'chat' || e.type === 'message' || e.type === 'unknown' ? e.event : e.type));

const expected: Record<string, string[]> = {
  'py-chat_text_stream_resp.txt': [
    'conversation.chat.created',
    'conversation.chat.in_progress',
    'conversation.message.delta',
    'conversation.message.delta',
    'conversation.message.delta',
    'conversation.message.delta',
    'conversation.message.completed',
    'conversation.chat.completed',
    'done',
  ],
  'py-chat_audio_stream_resp.txt': [
    'conversation.chat.created',
    'conversation.chat.in_progress',
    'conversation.message.delta',
    'conversation.message.completed',
    'conversation.message.completed',
    'conversation.chat.completed',
    'conversation.audio.delta',
    'done',
  ],
  'py-chat_failed_resp.txt': ['conversation.chat.failed'],
  'py-chat_error_resp.txt': ['error'],
  'py-workflow_run_stream_resp.txt': [
    ...Array<string>(6).fill('Message'),
    'Error',
    'Message',
    'Interrupt',
    'done', // the workflow `Done`
  ],
  'py-workflows_chat_stream_resp.txt': [
    'conversation.chat.created',
    'conversation.chat.in_progress',
    'conversation.message.delta',
    'conversation.message.delta',
    'conversation.message.delta',
    'conversation.message.completed',
    'conversation.message.completed',
    'conversation.chat.completed',
    'done',
  ],
};

describe('recorded Coze streams', () => {
  it('has an expectation for every py-* fixture', () => {
    const files = readdirSync(DIR).filter((f) => f.startsWith('py-') && f.endsWith('.txt'));
    expect(files.sort()).toEqual(Object.keys(expected).sort());
  });

  for (const [name, want] of Object.entries(expected)) {
    describe(name, () => {
      const bytes = fixture(name);
      const whole = parse([bytes]);

      it('parses to the expected events', () => {
        expect(names(whole)).toEqual(want);
      });

      it('parses identically when split at every single point', () => {
        // The 97 KB audio fixture: every point near the events' boundaries and every 97th elsewhere.
        const step = bytes.length > 10_000 ? 97 : 1;
        for (let i = 1; i < bytes.length; i += step) {
          expect(parse([bytes.subarray(0, i), bytes.subarray(i)])).toEqual(whole);
        }
      });

      it('parses identically when split at random points', () => {
        const rnd = random(name.length);
        for (let round = 0; round < 50; round++) {
          const max = round % 2 === 0 ? 3 : 64;
          expect(parse(randomSplit(bytes, rnd, max))).toEqual(whole);
        }
      });
    });
  }

  it('reads the text stream: answer, usage and the Chinese text split inside characters', () => {
    const events = parse(randomSplit(fixture('py-chat_text_stream_resp.txt'), random(7), 2));
    expect(answerText(events)).toBe('20星期三。');
    const completed = events.find((e) => e.type === 'chat' && e.event === 'conversation.chat.completed');
    expect(completed).toMatchObject({
      chat: { status: 'completed', usage: { token_count: 633, output_count: 19 } },
    });
    const full = events.find((e) => e.type === 'message' && e.event === 'conversation.message.completed');
    expect(full).toMatchObject({ message: { content: '2024 年 10 月 1 日是星期三。' } });
  });

  it('reads the failed chat and its last_error', () => {
    expect(parse([fixture('py-chat_failed_resp.txt')])[0]).toMatchObject({
      type: 'chat',
      chat: { status: 'failed', last_error: { code: 5000, msg: 'event interval error' } },
    });
  });

  it('reads the chatflow answer and the debug_url of done', () => {
    const events = parse([fixture('py-workflows_chat_stream_resp.txt')]);
    expect(answerText(events)).toBe("I'm fine, thank you. How about you?");
    expect(events.at(-1)).toEqual({
      type: 'done',
      debugUrl:
        'https://www.coze.cn/work_flow?execute_id=execute_1111&space_id=space_111&workflow_id=workflow_1111',
    });
  });

  it('reads the audio delta and the required_action placeholder', () => {
    const events = parse([fixture('py-chat_audio_stream_resp.txt')]);
    const audio = events.find((e) => e.type === 'message' && e.event === 'conversation.audio.delta');
    expect(audio).toMatchObject({ message: { content_type: 'audio' } });
    expect(events[0]).toMatchObject({
      chat: { required_action: { type: '', submit_tool_outputs: { tool_calls: [] } } },
    });
  });

  it('parses the text stream with \\r\\n line endings too', () => {
    const crlf = new TextEncoder().encode(
      new TextDecoder().decode(fixture('py-chat_text_stream_resp.txt')).replaceAll('\n', '\r\n'),
    );
    expect(parse(randomSplit(crlf, random(3), 5))).toEqual(parse([fixture('py-chat_text_stream_resp.txt')]));
  });
});
