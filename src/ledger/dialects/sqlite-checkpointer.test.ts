// The SQLite ledger's write-ahead log is copied into the database file by a worker thread, not by
// the gateway's connection (whose checkpoints would stall every stream while they fsync).
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import { type Kysely, sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/index.js';
import { newId } from '../../ids.js';
import { migrateToLatest, openLedger } from '../index.js';
import { startCheckpointer, WAL_SIZE_LIMIT_BYTES } from './sqlite-checkpointer.js';

const dir = mkdtempSync(join(tmpdir(), 'cg-checkpoint-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A migrated SQLite ledger at `path` with one conversation to write turns into. */
async function openWithConversation(path: string) {
  const ledger = await openLedger(loadConfig({ DATABASE_URL: `sqlite:${path}` }).database);
  await migrateToLatest(ledger.db as Kysely<unknown>);
  const cv = await ledger.createConversation({
    id: newId('cv'),
    appId: 'app',
    userId: 'u:1',
    cozeConversationId: 'c1',
    cozeUser: 'app:u:1',
    createdAt: Date.now(),
  });
  return { ledger, cv };
}

describe('SQLite checkpoints', () => {
  it('the gateway connection never checkpoints; the worker moves the log into the file', async () => {
    const path = join(dir, 'ledger.db');
    const { ledger, cv } = await openWithConversation(path);
    const pragma = await sql<{ wal_autocheckpoint: number }>`pragma wal_autocheckpoint`.execute(ledger.db);
    expect(pragma.rows[0].wal_autocheckpoint).toBe(0);

    const before = statSync(path).size;
    for (let i = 0; i < 300; i++) {
      const id = newId('tn');
      await ledger.startTurn({ id, appId: 'app', conversationId: cv.id, userId: 'u:1', question: `q${i}` });
      await ledger.finishTurn(id, { status: 'completed', answer: 'a'.repeat(500), latencyMs: 1 });
    }
    // Nothing but the worker copies the log into the database file.
    await expect.poll(() => statSync(path).size).toBeGreaterThan(before + 100_000);
    await ledger.close();
    // The checkpointer closed first, so the gateway's connection was the last: the log is gone.
    expect(existsSync(`${path}-wal`)).toBe(false);

    // Every turn is in the file, read by a connection of its own.
    const db = new Sqlite(path, { readonly: true });
    expect(db.prepare('select count(*) as n from turns').get()).toEqual({ n: 300 });
    db.close();
  });

  it('keeps the log from growing without end while writes never stop', async () => {
    // The gateway's connection as dialects/sqlite.ts sets it up, and a checkpointer that runs only
    // when the test asks: how far the log grows between two timer ticks depends on the machine.
    const path = join(dir, 'busy.db');
    const db = new Sqlite(path, { timeout: 5000 });
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('wal_autocheckpoint = 0');
    db.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT_BYTES}`);
    db.exec('create table t (b blob)');
    const insert = db.prepare('insert into t (b) values (randomblob(60000))');
    const walSize = () => statSync(`${path}-wal`).size;
    const failures: string[] = [];
    const checkpointer = startCheckpointer(path, (e) => failures.push(e), { everyMs: 0 });

    // A small log is only copied: writers are never held back for it.
    for (let i = 0; i < 5; i++) insert.run();
    const small = await checkpointer.checkpoint();
    expect(small).toEqual({ log: small.checkpointed, checkpointed: expect.any(Number), restarted: false });
    expect(small.log).toBeGreaterThan(0);

    // Writes that never stop grow the log past its limit (copying alone never lets it start over).
    while (walSize() <= WAL_SIZE_LIMIT_BYTES) insert.run();
    const largest = walSize();
    // A checkpoint while the writes go on: past its size, the log is restarted...
    const checkpoint = checkpointer.checkpoint();
    let done = false;
    void checkpoint.finally(() => {
      done = true;
    });
    while (!done) {
      insert.run();
      await new Promise((r) => setImmediate(r));
    }
    expect(await checkpoint).toMatchObject({ restarted: true });
    // ...and the next write starts it over, its file cut back to the limit.
    insert.run();
    expect(walSize()).toBeLessThanOrEqual(WAL_SIZE_LIMIT_BYTES);
    expect(walSize()).toBeLessThan(largest);

    checkpointer.stop();
    db.close();
    expect(failures).toEqual([]);
    expect(existsSync(`${path}-wal`)).toBe(false);
  });
});
