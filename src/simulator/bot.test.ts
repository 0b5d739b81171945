import { describe, expect, it } from 'vitest';
import { chunkText, longAnswer, MARKDOWN_ANSWER, nameIn, reply, toolAnswer } from './bot.js';

describe('bot', () => {
  it('learns and recalls names in English and Chinese', () => {
    expect(reply('Hi, my name is Alice.', {})).toEqual({
      kind: 'answer',
      zh: false,
      text: 'Nice to meet you, Alice!',
      rememberName: 'Alice',
    });
    expect(reply('I am Bob', {})).toMatchObject({ text: 'Nice to meet you, Bob!', rememberName: 'Bob' });
    expect(reply('我叫小明', {})).toMatchObject({ text: '你好，小明！', rememberName: '小明' });
    expect(reply('我的名字是李雷。', {})).toMatchObject({ text: '你好，李雷！', rememberName: '李雷' });
    expect(reply('What is my name?', { name: 'Alice' })).toMatchObject({ text: 'Your name is Alice.' });
    expect(reply("what's my name", {})).toMatchObject({ text: "I don't know your name yet." });
    expect(reply('我叫什么？', { name: '小明' })).toMatchObject({ text: '你叫小明。' });
    expect(reply('我的名字是什么', {})).toMatchObject({ text: '我还不知道你的名字。' });
    expect(nameIn('what is my name')).toBeNull();
  });

  it('asks for the order tool and answers with the tool output', () => {
    expect(reply('Where is my order 42?', {})).toEqual({ kind: 'tool', orderId: '42' });
    expect(toolAnswer('42', '{"status":"shipped"}')).toBe('Order 42: {"status":"shipped"}');
    // A failed tool is explained in words, never shown to the user as JSON.
    expect(toolAnswer('42', '{"error":"The tool \\"get_order_status\\" is not available."}')).toBe(
      'Sorry, I could not look up order 42. The tool "get_order_status" is not available.',
    );
  });

  it('answers markdown, long and echo requests', () => {
    expect(reply('#markdown please', {})).toMatchObject({ text: MARKDOWN_ANSWER });
    expect(MARKDOWN_ANSWER).toMatch(/\*\*.+\*\*/);
    expect(MARKDOWN_ANSWER).toMatch(/\[.+\]\(https:\/\/.+\)/);
    expect(MARKDOWN_ANSWER).toMatch(/`.+`/);
    expect(MARKDOWN_ANSWER).toMatch(/^- /m);
    const long = reply('#long 12', {});
    expect(long.kind === 'answer' && long.text.split(' ')).toHaveLength(12);
    expect(longAnswer(3)).toBe('alpha bravo charlie');
    expect(reply('hello there', {})).toMatchObject({ text: 'You said: hello there' });
  });

  it('chunks by code points', () => {
    expect(chunkText('abcdefghij', 4)).toEqual(['abcd', 'efgh', 'ij']);
    expect(chunkText('😀😀😀', 2)).toEqual(['😀😀', '😀']);
    expect(chunkText('', 4)).toEqual(['']);
  });
});
