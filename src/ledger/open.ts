import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Sqlite from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import type { DatabaseConfig } from '../config/index.js';
import { Ledger } from './ledger.js';
import { migrateToLatest } from './migrations.js';
import type { Database } from './schema.js';

export interface OpenLedgerOptions {
  /** Run migrations (default true; `coze-gateway migrate` runs them on their own). */
  migrate?: boolean;
}

/** Opens the ledger named by DATABASE_URL. Throws a plain Error naming the database when it cannot. */
export async function openLedger(config: DatabaseConfig, o: OpenLedgerOptions = {}): Promise<Ledger> {
  const db = new Kysely<Database>({ dialect: sqliteDialect(config.path!) });
  try {
    if (o.migrate !== false) await migrateToLatest(db as Kysely<unknown>);
  } catch (err) {
    await db.destroy();
    throw new Error(`DATABASE_URL ${config.url}: migrations failed: ${(err as Error).message}`);
  }
  return new Ledger(db);
}

function sqliteDialect(path: string): SqliteDialect {
  let sqlite: Sqlite.Database;
  try {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    sqlite = new Sqlite(path);
  } catch (err) {
    throw new Error(`DATABASE_URL sqlite:${path} cannot be opened: ${(err as Error).message}`);
  }
  // WAL lets readers (history) run while a turn writes; NORMAL sync is safe under WAL.
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('busy_timeout = 5000');
  return new SqliteDialect({ database: sqlite });
}
