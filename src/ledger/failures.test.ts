import Sqlite from 'better-sqlite3';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { classifyFailure, ledgerError } from './failures.js';

/** A PostgreSQL error as pg reports it (the class pg builds from the server's message). */
function pgError(code: string): Error {
  const e = new pg.DatabaseError('from the server', 0, 'error');
  Object.assign(e, { code, severity: 'ERROR' });
  return e;
}

/** What better-sqlite3 throws for `sql` on a fresh in-memory database with one table. */
function sqliteError(sql: string): unknown {
  const db = new Sqlite(':memory:');
  try {
    db.exec('create table t (id text primary key, n integer not null)');
    db.exec("insert into t values ('a', 1)");
    db.exec(sql);
    return undefined;
  } catch (e) {
    return e;
  } finally {
    db.close();
  }
}

describe('ledger failures', () => {
  it('PostgreSQL: connection, resource and retryable classes are outages; classes 22 and 23 are data', () => {
    for (const code of ['08006', '57P01', '53300', '40001', '40P01', '55P03', '42P01'])
      expect(classifyFailure(pgError(code))).toBe('unavailable');
    for (const code of ['22021', '22001', '23505', '23503'])
      expect(classifyFailure(pgError(code))).toBe('data');
    expect(classifyFailure(pgError('42601'))).toBe('other');
  });

  it('MySQL: server data errors (SQLSTATE 22/23 and HY000 ones like 1366) are data; lost connections are outages', () => {
    const mysql = (errno: number, sqlState: string, fatal = false) =>
      Object.assign(new Error('mysql'), { errno, sqlState, fatal, code: 'ER_X' });
    expect(classifyFailure(mysql(1062, '23000'))).toBe('data');
    expect(classifyFailure(mysql(1406, '22001'))).toBe('data');
    expect(classifyFailure(mysql(1366, 'HY000'))).toBe('data');
    expect(classifyFailure(mysql(1213, '40001'))).toBe('unavailable');
    expect(classifyFailure(mysql(1146, '42S02'))).toBe('unavailable');
    expect(classifyFailure(mysql(2013, 'HY000', true))).toBe('unavailable');
    expect(classifyFailure(mysql(1064, '42000'))).toBe('other');
  });

  it('SQLite (real errors): constraints are data, a missing table is an outage, a syntax error a bug', () => {
    expect(classifyFailure(sqliteError("insert into t values ('a', 2)"))).toBe('data');
    expect(classifyFailure(sqliteError("insert into t values ('b', null)"))).toBe('data');
    expect(classifyFailure(sqliteError('select * from missing'))).toBe('unavailable');
    expect(classifyFailure(sqliteError('selec 1'))).toBe('other');
  });

  it('errors no server reported are outages; programming errors are not', () => {
    expect(classifyFailure(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toBe(
      'unavailable',
    );
    expect(classifyFailure(new Error('Connection terminated unexpectedly'))).toBe('unavailable');
    expect(classifyFailure(new TypeError('The database connection is not open'))).toBe('unavailable');
    expect(
      classifyFailure(new TypeError('SQLite3 can only bind numbers, strings, bigints, buffers, and null')),
    ).toBe('other');
  });

  it('become the right code: an outage 503, bad input 400, anything else 500', () => {
    expect(ledgerError(pgError('08006'), true)).toMatchObject({ code: 'GW_LEDGER_UNAVAILABLE', status: 503 });
    expect(ledgerError(pgError('22021'), true)).toMatchObject({ code: 'GW_INVALID_REQUEST', status: 400 });
    expect(ledgerError(pgError('23505'), false)).toMatchObject({ code: 'GW_INTERNAL', status: 500 });
    expect(ledgerError(pgError('42601'), true)).toMatchObject({ code: 'GW_INTERNAL', status: 500 });
  });
});
