import { createHash } from 'node:crypto';
import { type Kysely, MysqlAdapter, PostgresAdapter, sql } from 'kysely';
import { compositeKey } from '../keys.js';
import type { Database } from './schema.js';

/** How long a MySQL named lock is waited for before the call fails. */
const MYSQL_LOCK_WAIT_SECONDS = 10;

/**
 * Runs `fn` while holding a lock on one user of one app, across every instance on the database, so
 * that "count, then insert under a cap" is one step (docs/decisions/0024):
 * - PostgreSQL: a transaction holding a transaction-level advisory lock on the user's key;
 * - MySQL/MariaDB: a named lock (GET_LOCK) on the user's key, held on one connection around `fn`;
 * - SQLite: `BEGIN IMMEDIATE` (the database's write lock, also across processes).
 * `fn` gets the connection (or transaction) to run its statements on.
 */
export async function withUserLock<T>(
  db: Kysely<Database>,
  appId: string,
  userId: string,
  fn: (db: Kysely<Database>) => Promise<T>,
): Promise<T> {
  const digest = createHash('sha256')
    .update(compositeKey('user-lock', appId, userId))
    .digest();
  const adapter = db.getExecutor().adapter;
  if (adapter instanceof PostgresAdapter) {
    return db.transaction().execute(async (tx) => {
      await sql`select pg_advisory_xact_lock(${digest.readInt32BE(0)}::int4, ${digest.readInt32BE(4)}::int4)`.execute(
        tx,
      );
      return fn(tx);
    });
  }
  if (adapter instanceof MysqlAdapter) {
    // Named locks are at most 64 characters; released after `fn`, whose statements autocommit.
    const name = `cg-user:${digest.toString('hex').slice(0, 48)}`;
    return db.connection().execute(async (conn) => {
      const { rows } = await sql<{
        got: number | string | null;
      }>`select get_lock(${name}, ${MYSQL_LOCK_WAIT_SECONDS}) as got`.execute(conn);
      if (Number(rows[0]?.got) !== 1)
        throw new Error(`the user lock was not had within ${MYSQL_LOCK_WAIT_SECONDS} s`);
      try {
        return await fn(conn);
      } finally {
        // A broken connection drops its locks with it.
        await sql`select release_lock(${name})`.execute(conn).catch(() => {});
      }
    });
  }
  return db.connection().execute(async (conn) => {
    await sql`begin immediate`.execute(conn);
    try {
      const result = await fn(conn);
      await sql`commit`.execute(conn);
      return result;
    } catch (e) {
      await sql`rollback`.execute(conn).catch(() => {});
      throw e;
    }
  });
}
