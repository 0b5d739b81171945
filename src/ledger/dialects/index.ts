import type { Dialect } from 'kysely';
import type { DatabaseConfig } from '../../config/index.js';
import { mysqlDialect } from './mysql.js';
import { postgresDialect } from './postgres.js';
import { sqliteDialect } from './sqlite.js';

/** The kysely dialect for DATABASE_URL: one file per database, each built from the same config. */
export function createDialect(config: DatabaseConfig): Dialect {
  switch (config.kind) {
    case 'sqlite':
      return sqliteDialect(config);
    case 'postgres':
      return postgresDialect(config);
    case 'mysql':
      return mysqlDialect(config);
  }
}
