import { describe, expect, it } from 'vitest';
import { TurnEventLog } from './events.js';
import { ResumeMemory } from './resume-memory.js';

describe('ResumeMemory', () => {
  it('keeps running turns, and of the ended ones only the newest, each for the retention window', () => {
    let now = 0;
    const m = new ResumeMemory(1_000, 2, () => now);
    for (const id of ['a', 'b', 'c']) m.open(id, new TurnEventLog());
    m.open('running', new TurnEventLog());
    m.retire('a');
    m.retire('b');
    m.retire('c'); // over the count: the oldest goes
    expect(['a', 'b', 'c', 'running'].map((id) => m.get(id) !== undefined)).toEqual([
      false,
      true,
      true,
      true,
    ]);
    now = 1_000;
    m.open('d', new TurnEventLog());
    m.retire('d'); // b and c are past their time
    expect(['b', 'c', 'd', 'running'].map((id) => m.get(id) !== undefined)).toEqual([
      false,
      false,
      true,
      true,
    ]);
  });

  it('forget drops a log at once', () => {
    const m = new ResumeMemory(1_000, 10);
    m.open('a', new TurnEventLog());
    m.forget('a');
    expect(m.get('a')).toBeUndefined();
  });
});
