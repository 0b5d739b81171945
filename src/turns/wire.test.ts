import { describe, expect, it } from 'vitest';
import { endEvent, toolEvent } from './wire.js';

const facts = { turnId: 'tn_1', conversationId: 'cv_1', answer: 'Hi' };

describe('wire events', () => {
  it('a completed turn ends with done: usage in wire names, awaiting_reply only when set', () => {
    expect(
      endEvent({ ...facts, status: 'completed', usage: { inputTokens: 1, outputTokens: 2, totalTokens: 3 } }),
    ).toEqual({
      event: 'done',
      data: {
        turn_id: 'tn_1',
        conversation_id: 'cv_1',
        status: 'completed',
        answer: 'Hi',
        usage: { input_tokens: 1, output_tokens: 2, total_tokens: 3 },
        suggestions: [],
      },
    });
    expect(endEvent({ ...facts, status: 'completed', awaitingReply: true }).data).toMatchObject({
      awaiting_reply: true,
      usage: null,
    });
  });

  it('every other ending is an error with the table’s message, the fallback when given', () => {
    expect(
      endEvent({ ...facts, status: 'failed', code: 'GW_UPSTREAM_UNAVAILABLE', fallback: 'Call us.' }),
    ).toEqual({
      event: 'error',
      data: {
        turn_id: 'tn_1',
        conversation_id: 'cv_1',
        status: 'failed',
        code: 'GW_UPSTREAM_UNAVAILABLE',
        message: 'The assistant is not reachable right now.',
        answer: 'Hi',
        fallback: 'Call us.',
      },
    });
    // A code this version does not know (an old record) is shown as an interruption.
    expect(endEvent({ ...facts, status: 'interrupted', code: 'GW_GONE' }).data).toMatchObject({
      code: 'GW_INTERRUPTED',
    });
    expect(endEvent({ ...facts, status: 'canceled', code: 'GW_CANCELED' }).data).not.toHaveProperty(
      'fallback',
    );
  });

  it('tool events carry the outcome only when done', () => {
    expect(toolEvent('lookup', 'running')).toEqual({
      event: 'tool',
      data: { name: 'lookup', status: 'running' },
    });
    expect(toolEvent('lookup', 'done', 'ok').data).toEqual({ name: 'lookup', status: 'done', outcome: 'ok' });
  });
});
