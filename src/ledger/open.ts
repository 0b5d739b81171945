import { Kysely, sql } from 'kysely';
import type { DatabaseConfig } from '../config/index.js';
import { createDialect } from './dialects/index.js';
import { Ledger } from './ledger.js';
import { migrateToLatest } from './migrations.js';
import type { Database } from './schema.js';
import { startFailure } from './start-failure.js';

export interface OpenLedgerOptions {
  /**
   * Run migrations now. Default: DATABASE_MIGRATE (`config.migrate`). `false` never migrates;
   * `true` migrates even when DATABASE_MIGRATE is off (`coze-gateway migrate`).
   */
  migrate?: boolean;
}

/**
 * Opens the ledger named by DATABASE_URL: checks the connection with a real query, then migrates.
 * When the database cannot be used it fails within about DATABASE_CONNECT_TIMEOUT_MS with a plain
 * Error of one line naming the setting, the URL without its password, and the reason.
 */
export async function openLedger(config: DatabaseConfig, o: OpenLedgerOptions = {}): Promise<Ledger> {
  const db = new Kysely<Database>({ dialect: createDialect(config) });
  try {
    await probe(db, config.connectTimeoutMs);
  } catch (err) {
    void db.destroy().catch(() => {});
    throw startFailure(config, err);
  }
  if (o.migrate ?? config.migrate) {
    try {
      await migrateToLatest(db as Kysely<unknown>);
    } catch (err) {
      await db.destroy().catch(() => {});
      throw startFailure(config, err, 'migrations failed');
    }
  }
  return new Ledger(db);
}

/** `select 1`, bounded in time even if a driver's own connect timeout did not fire. */
async function probe(db: Kysely<Database>, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs + 500);
  });
  try {
    await Promise.race([sql`select 1`.execute(db), late]);
  } finally {
    clearTimeout(timer);
  }
}
