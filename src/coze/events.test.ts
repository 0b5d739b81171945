import { describe, expect, it } from 'vitest';
import { InvalidEventError, toChatEvent } from './events.js';

const chat = '{"id":"1","conversation_id":"2","status":"created"}';
const msg =
  '{"id":"3","conversation_id":"2","role":"assistant","type":"answer","content":"Hi","content_type":"text"}';

describe('toChatEvent', () => {
  it('types chat and message events (§3.4)', () => {
    expect(toChatEvent('conversation.chat.created', chat)).toMatchObject({ type: 'chat', chat: { id: '1' } });
    expect(toChatEvent('conversation.message.delta', msg)).toMatchObject({
      type: 'message',
      message: { content: 'Hi' },
    });
    expect(toChatEvent('conversation.audio.delta', msg)).toMatchObject({ type: 'message' });
  });

  it('reads `done` as "[DONE]", [DONE], {debug_url} and the workflow `Done` (§3.3 rule 5, §5.4)', () => {
    expect(toChatEvent('done', '"[DONE]"')).toEqual({ type: 'done' });
    expect(toChatEvent('done', '[DONE]')).toEqual({ type: 'done' });
    expect(toChatEvent('done', '{"debug_url":"https://x/y?a=1\\u0026b=2"}')).toEqual({
      type: 'done',
      debugUrl: 'https://x/y?a=1&b=2',
    });
    expect(toChatEvent('Done', '{}')).toEqual({ type: 'done' });
  });

  it('reads the in-stream error event, also without fields', () => {
    expect(toChatEvent('error', '{"code":4000,"msg":"Request parameter error"}')).toEqual({
      type: 'error',
      code: 4000,
      msg: 'Request parameter error',
    });
    expect(toChatEvent('error', '{}')).toEqual({ type: 'error', code: 0, msg: '' });
  });

  it('keeps unknown events with their JSON', () => {
    expect(toChatEvent('conversation.chat.something', '{"a":1}')).toEqual({
      type: 'unknown',
      event: 'conversation.chat.something',
      data: { a: 1 },
    });
  });

  it('rejects invalid JSON in any event but done (§3.3 rule 6)', () => {
    expect(() => toChatEvent('conversation.message.delta', '{"id":"3","cont')).toThrow(InvalidEventError);
    expect(() => toChatEvent('whatever', 'not json')).toThrow(InvalidEventError);
  });

  it('rejects chat/message events whose data is not such an object', () => {
    expect(() => toChatEvent('conversation.chat.completed', '[]')).toThrow(InvalidEventError);
    expect(() => toChatEvent('conversation.message.delta', '"text"')).toThrow(InvalidEventError);
  });

  it('keeps user text out of the error message', () => {
    try {
      toChatEvent('conversation.message.delta', '{"content":"secret user text');
    } catch (e) {
      expect((e as Error).message).not.toContain('secret');
    }
  });
});
