import { describe, expect, it } from 'vitest';
import { createIdGenerator } from './ids.js';
import { type ChatRecord, chatJson, Records } from './records.js';

function storeWith(n: number) {
  const records = new Records(createIdGenerator());
  const c = records.createConversation('pat:x', '1', '7500000000000000001', {});
  for (let i = 0; i < n; i++) {
    records.addMessage(c, {
      botId: '',
      chatId: '',
      role: 'user',
      type: 'question',
      content: `m${i}`,
      contentType: 'text',
      metaData: {},
    });
  }
  return { records, c };
}

describe('records', () => {
  it('partitions conversations by scope', () => {
    const { records, c } = storeWith(0);
    expect(records.conversation(c.id, 'pat:x')).toMatchObject({ ok: true });
    expect(records.conversation(c.id, 'session:bob')).toEqual({ ok: false, why: 'forbidden' });
    expect(records.conversation('123', 'pat:x')).toEqual({ ok: false, why: 'not_found' });
  });

  it('pages messages newest first with before_id and has_more', () => {
    const { records, c } = storeWith(5);
    const base = { order: 'desc' as const, limit: 2, includeMiddle: false };
    const p1 = records.listMessages(c, base);
    expect(p1.data.map((m) => m.content)).toEqual(['m4', 'm3']);
    expect(p1.hasMore).toBe(true);
    const p2 = records.listMessages(c, { ...base, beforeId: p1.lastId });
    expect(p2.data.map((m) => m.content)).toEqual(['m2', 'm1']);
    const p3 = records.listMessages(c, { ...base, beforeId: p2.lastId });
    expect(p3.data.map((m) => m.content)).toEqual(['m0']);
    expect(p3.hasMore).toBe(false);
    const asc = records.listMessages(c, { ...base, order: 'asc', afterId: p3.firstId });
    expect(asc.data.map((m) => m.content)).toEqual(['m1', 'm2']);
    expect(asc.firstId).toBe(asc.data[0]?.id);
    expect(records.listMessages(c, { ...base, limit: 50, order: 'asc' }).data).toHaveLength(5);
  });

  it('renders required_action only for requires_action', () => {
    const chat: ChatRecord = {
      id: '1',
      conversationId: '2',
      botId: '3',
      scope: 's',
      createdAt: 1,
      status: 'requires_action',
      lastError: { code: 0, msg: '' },
      usage: { token_count: 0, output_count: 0, input_count: 0 },
      metaData: {},
      autoSave: true,
      toolCalls: [{ id: 't', name: 'get_order_status', arguments: '{"order_id":"42"}' }],
      outputs: [],
    };
    expect(chatJson(chat)).toMatchObject({
      required_action: { submit_tool_outputs: { tool_calls: [{ id: 't', type: 'function' }] } },
    });
    expect(chatJson(chat, 'in_progress')).not.toHaveProperty('required_action');
  });
});
