import { randomBytes } from 'node:crypto';

/**
 * A time-ordered id: `<prefix>_` + 12 hex digits of epoch ms + 16 random hex digits.
 * Ids made later sort later as strings (within one process, strictly: a counter breaks ties),
 * so "order by id" is creation order on every database.
 */
let last = 0;
let counter = 0;
export function newId(prefix: string): string {
  const now = Date.now();
  if (now === last) counter++;
  else {
    last = now;
    counter = 0;
  }
  const time = now.toString(16).padStart(12, '0');
  const tie = counter.toString(16).padStart(4, '0');
  return `${prefix}_${time}${tie}${randomBytes(6).toString('hex')}`;
}
