import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Answer } from './answer.js';
import { RunningTurn, TURN_STATES } from './running-turn.js';

const conversation = {
  id: 'cv_1',
  appId: 'a',
  userId: 'u:1',
  cozeConversationId: 'czc',
  cozeUser: 'a:u:1',
  title: null,
  createdAt: 0,
  updatedAt: 0,
};
const answer = (a: Partial<Answer> = {}): Answer => ({
  text: '',
  suggestions: [],
  awaitingReply: false,
  ...a,
});

describe('RunningTurn, the turn machine', () => {
  it('stop aborts the signal once, with the first reason', () => {
    const t = new RunningTurn('tn_1', conversation);
    t.stop('timeout');
    t.stop('canceled');
    expect(t.state).toBe('stopping');
    expect(t.stopReason).toBe('timeout');
    expect(t.signal.aborted).toBe(true);
  });

  it('the ending is decided once, by conclude; after it, stop changes nothing', () => {
    const t = new RunningTurn('tn_1', conversation);
    const ending = t.conclude({ answer: answer({ chatId: 'c', verdict: { kind: 'completed' } }) });
    expect(ending).toEqual({ status: 'completed' });
    expect(t.state).toBe('ending');
    t.stop('canceled');
    expect(t.state).toBe('ending');
    expect(t.signal.aborted).toBe(false);
    expect(() => t.conclude({ answer: answer() })).toThrow(/conclude in state ending/);
  });

  it('a stop wins over what the stream said (it cut the stream)', () => {
    const t = new RunningTurn('tn_1', conversation);
    t.stop('shutdown');
    expect(t.conclude({ answer: answer({ verdict: { kind: 'completed' } }) })).toMatchObject({
      status: 'interrupted',
      error: { code: 'GW_INTERRUPTED' },
    });
  });

  it('settle ends it and resolves the result once', async () => {
    const t = new RunningTurn('tn_1', conversation);
    t.conclude({ answer: answer({ verdict: { kind: 'canceled' } }) });
    const r = {
      turnId: 'tn_1',
      conversationId: 'cv_1',
      status: 'canceled' as const,
      answer: '',
      suggestions: [],
    };
    t.settle(r);
    t.settle({ ...r, answer: 'other' });
    expect(t.state).toBe('ended');
    expect(await t.result).toBe(r);
  });
});

describe('docs/architecture.md "The turn machine"', () => {
  it('lists exactly the states of the code, in order', () => {
    const doc = readFileSync(new URL('../../docs/architecture.md', import.meta.url), 'utf8');
    const from = doc.indexOf('## The turn machine');
    const section = doc.slice(from, doc.indexOf('\n## ', from + 1));
    const states = [...section.matchAll(/^\| `(\w+)` \|/gm)].map((m) => m[1]);
    expect(states).toEqual([...TURN_STATES]);
  });
});
