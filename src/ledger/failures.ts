import { GatewayError } from '../errors.js';

/**
 * What a database failure means for the caller:
 * - `unavailable`: the database cannot be used right now (no connection, a connection lost or timed
 *   out, the server shutting down or out of resources, a lock or deadlock to retry, the schema not
 *   migrated). Only this is GW_LEDGER_UNAVAILABLE, the code that alerts an operator.
 * - `data`: the server refused the values of a statement (PostgreSQL SQLSTATE classes 22 and 23, MySQL
 *   data and integrity errors, SQLite constraints and type mismatches).
 * - `other`: anything else the server reported, or a programming error: a bug, GW_INTERNAL.
 */
export type LedgerFailure = 'unavailable' | 'data' | 'other';

/** PostgreSQL SQLSTATE classes and codes that mean "not usable now". */
const PG_UNAVAILABLE_CLASSES = new Set(['08', '40', '53', '57', '58']);
const PG_UNAVAILABLE_CODES = new Set([
  '55P03' /* lock_not_available */,
  '42P01' /* undefined_table */,
  '3D000',
]);

/** MySQL/MariaDB error numbers that mean "not usable now", and ones about the data (not SQLSTATE 22/23). */
const MYSQL_UNAVAILABLE = new Set([1040, 1049, 1053, 1146, 1203, 1205, 1213, 1317, 1927, 2006, 2013, 3024]);
const MYSQL_DATA = new Set([1048, 1264, 1265, 1292, 1300, 1364, 1366, 1406]);

const SQLITE_UNAVAILABLE =
  /^SQLITE_(BUSY|LOCKED|IOERR|FULL|CANTOPEN|READONLY|CORRUPT|NOTADB|PROTOCOL|NOMEM|PERM|AUTH)/;
const SQLITE_DATA = /^SQLITE_(CONSTRAINT|MISMATCH|TOOBIG|RANGE)/;

interface DriverError {
  code?: unknown;
  errno?: unknown;
  sqlState?: unknown;
  severity?: unknown;
  fatal?: unknown;
  message?: unknown;
}

export function classifyFailure(err: unknown): LedgerFailure {
  if (typeof err !== 'object' || err === null) return 'other';
  const e = err as DriverError;
  const code = typeof e.code === 'string' ? e.code : '';
  const message = typeof e.message === 'string' ? e.message : '';
  // PostgreSQL (pg's DatabaseError): a five-character SQLSTATE and a severity.
  if (typeof e.severity === 'string' && /^[0-9A-Z]{5}$/.test(code)) {
    const cls = code.slice(0, 2);
    if (PG_UNAVAILABLE_CLASSES.has(cls) || PG_UNAVAILABLE_CODES.has(code)) return 'unavailable';
    if (cls === '22' || cls === '23') return 'data';
    return 'other';
  }
  // MySQL/MariaDB (mysql2): an errno and a SQLSTATE from the server, unless the connection broke.
  if (typeof e.errno === 'number' && typeof e.sqlState === 'string' && e.fatal !== true) {
    if (MYSQL_UNAVAILABLE.has(e.errno)) return 'unavailable';
    if (MYSQL_DATA.has(e.errno) || /^2[23]/.test(e.sqlState)) return 'data';
    return 'other';
  }
  // SQLite (better-sqlite3's SqliteError).
  if (code.startsWith('SQLITE_')) {
    if (SQLITE_UNAVAILABLE.test(code)) return 'unavailable';
    if (SQLITE_DATA.test(code)) return 'data';
    // Not migrated yet: the tables are missing.
    return /no such table/.test(message) ? 'unavailable' : 'other';
  }
  // A connection that was closed or destroyed under us (better-sqlite3, kysely).
  if (/connection is not open|has already been destroyed/.test(message)) return 'unavailable';
  // A programming error in how the statement was built or bound.
  if (err instanceof TypeError || err instanceof RangeError || err instanceof SyntaxError) return 'other';
  // Nothing the server reported: the way to it failed (refused, reset, timed out, pool closed).
  return 'unavailable';
}

/**
 * The GatewayError for a failed ledger call. `input`: the call's values came from a request (an id
 * to look up), so a data error means the request was bad (400), not that the gateway is.
 */
export function ledgerError(cause: unknown, input: boolean): GatewayError {
  switch (classifyFailure(cause)) {
    case 'unavailable':
      return new GatewayError('GW_LEDGER_UNAVAILABLE', { cause });
    case 'data':
      return input
        ? new GatewayError('GW_INVALID_REQUEST', {
            message: 'A value in the request cannot be looked up.',
            cause,
          })
        : new GatewayError('GW_INTERNAL', { cause });
    default:
      return new GatewayError('GW_INTERNAL', { cause });
  }
}
