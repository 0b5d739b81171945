import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Sqlite from 'better-sqlite3';
import { type Dialect, SqliteDialect } from 'kysely';
import type { DatabaseConfig } from '../../config/index.js';
import { startCheckpointer, WAL_SIZE_LIMIT_BYTES } from './sqlite-checkpointer.js';

/**
 * SQLite through better-sqlite3: one connection (kysely serialises queries on it), so `poolMax` and
 * `connectTimeoutMs` do not apply. The file is opened on first use; openLedger's probe reports it.
 */
export function sqliteDialect(config: DatabaseConfig): Dialect {
  const path = config.path;
  if (!path) throw new Error('DATABASE_URL: a sqlite database needs a path');
  return new SqliteDialect({
    database: async () => {
      if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
      const db = new Sqlite(path, { timeout: 5000 });
      // WAL lets readers (history) run while a turn writes; NORMAL sync is safe under WAL.
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      if (path === ':memory:') return withStatementCache(db);
      // Checkpoints (and their fsync) happen in a worker thread, off the event loop.
      db.pragma('wal_autocheckpoint = 0');
      db.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT_BYTES}`);
      const checkpointer = startCheckpointer(path, (error) => {
        if (!db.open) return;
        db.pragma('wal_autocheckpoint = 1000');
        process.emitWarning(`SQLite checkpoints run on the main thread again: ${error}`);
      });
      return withStatementCache(db, () => checkpointer.stop());
    },
  });
}

/** How many distinct statements are kept prepared (the ledger uses a few dozen). */
const CACHED_STATEMENTS = 256;

/**
 * kysely prepares every statement anew, a noticeable share of a turn's CPU; the ledger's SQL
 * repeats, so prepared statements are kept and reused. (better-sqlite3 statements are reusable,
 * and one connection runs one statement at a time.)
 */
function withStatementCache(db: Sqlite.Database, onClose?: () => void): Sqlite.Database {
  const cache = new Map<string, Sqlite.Statement>();
  const prepare = db.prepare.bind(db);
  const close = () => {
    onClose?.();
    return db.close();
  };
  return new Proxy(db, {
    get(target, prop, receiver) {
      if (prop === 'close') return close;
      if (prop !== 'prepare') {
        const value = Reflect.get(target, prop, receiver);
        // Native methods want the real database as `this`, not the proxy.
        return typeof value === 'function' ? value.bind(target) : value;
      }
      return (sql: string) => {
        let stmt = cache.get(sql);
        if (!stmt) {
          stmt = prepare(sql);
          if (cache.size >= CACHED_STATEMENTS) cache.delete(cache.keys().next().value as string);
          cache.set(sql, stmt);
        }
        return stmt;
      };
    },
  });
}
