import { describe, expect, it } from 'vitest';
import { DEFAULT_FAULTS, FaultState, validateFaults } from './faults.js';

describe('faults', () => {
  it('validates untrusted patches', () => {
    expect(validateFaults({ chatFailCount: 1, chunking: 'random', http5xxPath: null })).toEqual([]);
    expect(validateFaults({ nope: 1 })).toEqual(['unknown fault: nope']);
    expect(validateFaults({ chunking: 'sometimes', chatFailCount: -1 })).toHaveLength(2);
    expect(validateFaults([1])).toEqual(['body must be a JSON object']);
  });

  it('counts down one-shot faults', () => {
    const f = new FaultState();
    f.set({ chatFailCount: 2, streamCutCount: 1, streamCutAfterDeltas: 5, legacyBareJsonErrorCount: 1 });
    expect([f.takeChatFail(), f.takeChatFail(), f.takeChatFail()]).toEqual([2, 2, null]);
    expect([f.takeStreamCut(), f.takeStreamCut()]).toEqual([5, null]);
    expect([f.takeLegacyBareJsonError(), f.takeLegacyBareJsonError()]).toEqual([true, false]);
  });

  it('injects HTTP errors only on the chosen path', () => {
    const f = new FaultState();
    f.set({ http5xxCount: 1, http5xxStatus: 503, http5xxPath: '/v3/chat' });
    expect(f.takeHttpError('/v1/conversation/create')).toBeNull();
    expect(f.takeHttpError('/v3/chat')).toMatchObject({ status: 503 });
    expect(f.takeHttpError('/v3/chat')).toBeNull();
  });

  it('merges, overrides the delta delay, picks a chunker and resets', () => {
    const f = new FaultState();
    expect(f.deltaDelay(15)).toBe(15);
    f.set({ deltaDelayMs: 0, chunking: 'fixed', chunkBytes: 2 });
    expect(f.deltaDelay(15)).toBe(0);
    expect(f.chunker()?.(Buffer.from('abcde'))?.map(String)).toEqual(['ab', 'cd', 'e']);
    f.reset();
    expect(f.current).toEqual(DEFAULT_FAULTS);
    expect(f.chunker()).toBeNull();
  });
});
