import { type Compilable, CompiledQuery, type QueryResult } from 'kysely';

/** What precompile needs of a Kysely instance. */
interface Executor {
  executeQuery<R>(query: CompiledQuery<R>): Promise<QueryResult<R>>;
}

/** Stands for a value in a statement built once; never a value a caller could pass. */
const MARK = '\u0000cg-param:';

/**
 * A statement built and compiled once, then run with new values: kysely's builder and compiler
 * cost more than SQLite's own work for the statements every turn runs (see docs/decisions/0017).
 * `build` gets `param(name)`, which stands for the value of `name` wherever kysely would bind a
 * value; each run binds `values` in the places the dialect's compiler put them.
 */
export function precompile<P extends Record<string, unknown>, R = unknown>(
  db: Executor,
  build: (param: <K extends keyof P & string>(name: K) => P[K]) => Compilable<R>,
): (values: P) => Promise<QueryResult<R>> {
  let compiled: { sql: string; slots: ({ name: string } | { value: unknown })[] } | undefined;
  const compile = () => {
    const q = build((name) => `${MARK}${name}` as never).compile();
    const slots = q.parameters.map((v) =>
      typeof v === 'string' && v.startsWith(MARK) ? { name: v.slice(MARK.length) } : { value: v },
    );
    return { sql: q.sql, slots };
  };
  return (values) => {
    compiled ??= compile();
    const parameters = compiled.slots.map((s) => ('name' in s ? (values[s.name] ?? null) : s.value));
    return db.executeQuery(CompiledQuery.raw(compiled.sql, parameters) as CompiledQuery<R>);
  };
}
