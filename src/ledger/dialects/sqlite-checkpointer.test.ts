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
import { WAL_SIZE_LIMIT_BYTES } from './sqlite-checkpointer.js';

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
    const path = join(dir, 'busy.db');
    const { ledger, cv } = await openWithConversation(path);
    const answer = 'a'.repeat(3000);
    let largest = 0;
    let shrank = false;
    const until = Date.now() + 1500;
    while (Date.now() < until) {
      for (let i = 0; i < 50; i++) {
        const id = newId('tn');
        await ledger.startTurn({ id, appId: 'app', conversationId: cv.id, userId: 'u:1', question: 'q' });
        await ledger.finishTurn(id, { status: 'completed', answer, latencyMs: 1 });
      }
      const size = statSync(`${path}-wal`).size;
      if (size < largest) shrank = true;
      largest = Math.max(largest, size);
      await new Promise((r) => setImmediate(r));
    }
    await ledger.close();
    // Checkpoints that only copy (PASSIVE) never let a busy log start over: its file would only
    // grow. Restarted, it is cut back to the limit while the writes go on.
    expect(largest).toBeGreaterThan(WAL_SIZE_LIMIT_BYTES);
    expect(shrank).toBe(true);
    expect(existsSync(`${path}-wal`)).toBe(false);
  }, 20_000);
});
