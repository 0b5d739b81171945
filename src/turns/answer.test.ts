import { describe, expect, it } from 'vitest';
import type { ChatEvent } from '../coze/index.js';
import { AnswerAccumulator } from './answer.js';
import { chat, delta } from './testing.js';

const completed = (id: string, content: string, type: 'answer' | 'follow_up' = 'answer'): ChatEvent => ({
  type: 'message',
  event: 'conversation.message.completed',
  message: { id, conversation_id: 'c', role: 'assistant', type, content, content_type: 'text' },
});

function fold(...events: ChatEvent[]) {
  const texts: string[] = [];
  const acc = new AnswerAccumulator((t) => texts.push(t));
  for (const e of events) acc.apply(e);
  return { acc, texts };
}

describe('AnswerAccumulator', () => {
  it('streams deltas, keeps suggestions and usage, and ends with Coze’s verdict', () => {
    const { acc, texts } = fold(
      chat('conversation.chat.created'),
      delta('Hel'),
      delta('lo'),
      completed('msg_1', 'Hello'), // the same message whole: not repeated
      completed('f1', 'More?', 'follow_up'),
      chat('conversation.chat.completed', { usage: { input_count: 1, output_count: 2, token_count: 3 } }),
    );
    expect(texts).toEqual(['Hel', 'lo']);
    expect(acc.answer()).toEqual({
      text: 'Hello',
      suggestions: ['More?'],
      usage: { inputTokens: 1, outputTokens: 2, totalTokens: 3 },
      chatId: 'chat_1',
      verdict: { kind: 'completed' },
      awaitingReply: false,
    });
  });

  it('an answer that came whole, with no deltas, still reaches the user (after the first, on a new paragraph)', () => {
    const { acc, texts } = fold(delta('One'), completed('msg_2', 'Two'));
    expect(texts).toEqual(['One', '\n\nTwo']);
    expect(acc.text).toBe('One\n\nTwo');
  });

  it('a failed chat or an in-stream error is a failed verdict with Coze’s code', () => {
    expect(fold({ type: 'error', code: 5000, msg: 'x' }).acc.answer().verdict).toEqual({
      kind: 'failed',
      cozeCode: 5000,
      cozeMsg: 'x',
    });
    const failed = fold(chat('conversation.chat.failed', { last_error: { code: 4001, msg: 'no' } }));
    expect(failed.acc.answer().verdict).toMatchObject({ kind: 'failed', cozeCode: 4001 });
  });

  it('tools the bot asks for are taken once, and are no verdict', () => {
    const call = { id: 't1', type: 'function', function: { name: 'lookup', arguments: '{}' } };
    const { acc } = fold(
      chat('conversation.chat.requires_action', {
        required_action: { type: 'submit_tool_outputs', submit_tool_outputs: { tool_calls: [call] } },
      }),
    );
    expect(acc.ended).toBe(false);
    expect(acc.takeToolCalls()).toEqual([call]);
    expect(acc.takeToolCalls()).toBeUndefined();
  });

  it('a question ends the answer completed and awaiting the reply; finish keeps an earlier failure', () => {
    const asked = fold();
    asked.acc.askUser();
    expect(asked.acc.answer()).toMatchObject({ verdict: { kind: 'completed' }, awaitingReply: true });
    const failed = fold();
    failed.acc.fail(1, 'x');
    failed.acc.finish();
    expect(failed.acc.answer().verdict).toMatchObject({ kind: 'failed' });
  });

  it('answer() is a copy: what comes later does not change it', () => {
    const { acc } = fold(completed('f', 'a', 'follow_up'));
    const before = acc.answer();
    acc.apply(completed('g', 'b', 'follow_up'));
    expect(before.suggestions).toEqual(['a']);
  });
});
