import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Sqlite from 'better-sqlite3';
import { type Dialect, SqliteDialect } from 'kysely';
import type { DatabaseConfig } from '../../config/index.js';

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
      return db;
    },
  });
}
