import { describe, expect, it } from 'vitest';
import { chatflowFraming, debugUrl, goJson, workflowFraming } from './framing.js';

describe('workflow and chatflow framing', () => {
  it('numbers workflow events from 0 per framing and ends with Done {debug_url}', () => {
    const url = debugUrl('1', '2');
    const f = workflowFraming(url);
    expect(f.frame('Message', { content: 'a' })).toBe('id: 0\nevent: Message\ndata: {"content":"a"}\n\n');
    expect(f.done()).toBe(
      'id: 1\nevent: Done\ndata: {"debug_url":"https://www.coze.cn/work_flow?execute_id=1\\u0026space_id=7400000000000000001\\u0026workflow_id=2"}\n\n',
    );
    expect(workflowFraming(url).frame('PING', {})).toMatch(/^id: 0\n/);
  });

  it('writes chatflow events with a space after the colon and no id line', () => {
    const f = chatflowFraming('u');
    expect(f.frame('conversation.chat.created', { id: '1' })).toBe(
      'event: conversation.chat.created\ndata: {"id":"1"}\n\n',
    );
    expect(f.done()).toBe('event: done\ndata: {"debug_url":"u"}\n\n');
  });

  it('escapes like Go and stays valid JSON', () => {
    const text = goJson({ s: 'a&b<c>d\u2028' });
    expect(text).toBe('{"s":"a\\u0026b\\u003cc\\u003ed\\u2028"}');
    expect(JSON.parse(text)).toEqual({ s: 'a&b<c>d\u2028' });
  });
});
