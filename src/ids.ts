import { randomFillSync } from 'node:crypto';

// Random bytes are drawn from a pool refilled 4 KiB at a time: a call to the system's generator per
// id cost more than the rest of making it.
const pool = Buffer.alloc(4096);
let used = pool.length;
function randomHex(bytes: number): string {
  if (used + bytes > pool.length) {
    randomFillSync(pool);
    used = 0;
  }
  used += bytes;
  return pool.toString('hex', used - bytes, used);
}

/**
 * A time-ordered id: `<prefix>_` + 12 hex digits of epoch ms + 4 hex digits of a counter within
 * that millisecond + 12 random hex digits. Ids made later sort later as strings (within one
 * process, strictly: the counter breaks ties, and a clock that steps back is held at the last
 * millisecond used), so "order by id" is creation order on every database.
 */
let last = 0;
let counter = 0;
export function newId(prefix: string): string {
  const now = Math.max(Date.now(), last);
  if (now === last) counter++;
  else {
    last = now;
    counter = 0;
  }
  const time = now.toString(16).padStart(12, '0');
  const tie = counter.toString(16).padStart(4, '0');
  return `${prefix}_${time}${tie}${randomHex(6)}`;
}
