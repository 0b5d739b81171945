import { describe, expect, it } from 'vitest';
import { reply } from './bot.js';
import { type ChatSink, type RunPlan, runChat } from './chat-round.js';
import { createIdGenerator, nowSec } from './ids.js';
import { type ChatRecord, Records } from './records.js';
import { Sleeper } from './sleeper.js';

class FakeSink implements ChatSink {
  events: string[] = [];
  closed = false;
  event(name: string): void {
    this.events.push(name);
  }
  done(): void {
    this.events.push('done');
    this.closed = true;
  }
  cut(): void {
    this.events.push('CUT');
    this.closed = true;
  }
}

function setup(text: string, plan: Partial<RunPlan> = {}) {
  const records = new Records(createIdGenerator());
  const conv = records.createConversation('pat:x', '1', 'b', {});
  const chat: ChatRecord = {
    id: records.id(),
    conversationId: conv.id,
    botId: 'b',
    scope: 'pat:x',
    createdAt: nowSec(),
    status: 'created',
    lastError: { code: 0, msg: '' },
    usage: { token_count: 0, output_count: 0, input_count: 0 },
    metaData: {},
    autoSave: true,
    toolCalls: [],
    outputs: [],
  };
  conv.activeChatId = chat.id;
  const sink = new FakeSink();
  const full: RunPlan = {
    sink,
    reply: reply(text, conv.memory),
    question: text,
    continuation: false,
    firstDelayMs: 0,
    deltaDelayMs: 0,
    failAfterDeltas: null,
    cutAfterDeltas: null,
    ...plan,
  };
  const run = () => runChat({ records, chunkChars: 4, sleeper: new Sleeper() }, conv, chat, full);
  return { records, conv, chat, sink, run };
}

describe('runChat', () => {
  it('completes, saves the answer, applies memory and frees the conversation', async () => {
    const { conv, chat, sink, run } = setup('my name is Ann');
    await run();
    expect(chat.status).toBe('completed');
    expect(conv.memory.name).toBe('Ann');
    expect(conv.activeChatId).toBeNull();
    expect(chat.outputs.map((m) => m.type)).toEqual(['answer', 'verbose', 'follow_up', 'follow_up']);
    expect(sink.events.at(-1)).toBe('done');
  });

  it('keeps running after a cut and reports a failure after K deltas', async () => {
    const cut = setup('a long enough message', { cutAfterDeltas: 1 });
    await cut.run();
    expect(cut.sink.events).toEqual([
      'conversation.chat.created',
      'conversation.chat.in_progress',
      'conversation.message.delta',
      'CUT',
    ]);
    expect(cut.chat.status).toBe('completed');
    const failed = setup('a long enough message', { failAfterDeltas: 2 });
    await failed.run();
    expect(failed.chat).toMatchObject({ status: 'failed', lastError: { code: 5000 }, outputs: [] });
    expect(failed.sink.events.slice(-3)).toEqual([
      'conversation.message.delta',
      'conversation.chat.failed',
      'done',
    ]);
  });

  it('stops a canceled chat without saving its answer', async () => {
    const c = setup('hello', { deltaDelayMs: 5 });
    const running = c.run();
    c.chat.status = 'canceled';
    await running;
    expect(c.sink.events.at(-1)).toBe('done');
    expect(c.sink.events).not.toContain('conversation.chat.completed');
    expect(c.conv.messages).toHaveLength(0);
  });
});
