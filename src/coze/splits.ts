// Byte-splitting helpers for the stream parser tests (imported by *.test.ts only).

/** Deterministic PRNG (mulberry32), so a failing split can be reproduced. */
export function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomSplit(bytes: Uint8Array, rnd: () => number, maxChunk: number): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; ) {
    const n = 1 + Math.floor(rnd() * maxChunk);
    chunks.push(bytes.subarray(i, i + n));
    i += n;
  }
  return chunks;
}

/** Every split of `bytes` into two parts. */
export function* everySplit(bytes: Uint8Array): Generator<Uint8Array[]> {
  for (let i = 1; i < bytes.length; i++) yield [bytes.subarray(0, i), bytes.subarray(i)];
}
