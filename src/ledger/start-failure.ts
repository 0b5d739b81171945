import type { DatabaseConfig } from '../config/index.js';
import { passwordOf, redactSecrets } from '../observability/index.js';

/**
 * The one-line Error openLedger throws: `DATABASE_URL <url without password> <what>: <reason>`.
 * `what` says whether the database could not be reached, or answered and refused us.
 */
export function startFailure(config: DatabaseConfig, err: unknown, what?: string): Error {
  const verb =
    what ??
    (config.kind === 'sqlite' ? 'cannot be opened' : answered(err) ? 'refused us' : 'is not reachable');
  const message = scrub(`DATABASE_URL ${config.redactedUrl} ${verb}: ${reason(err)}`, config.url);
  return new Error(message, { cause: err });
}

/** The server replied with an error of its own (auth, unknown database) rather than not at all. */
function answered(err: unknown): boolean {
  return typeof err === 'object' && err !== null && ('severity' in err || 'sqlState' in err);
}

function reason(err: unknown): string {
  // Node's happy-eyeballs connect (e.g. to `localhost`) fails with an AggregateError without a message.
  if (err instanceof AggregateError && !err.message && err.errors.length > 0) return reason(err.errors[0]);
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    return err.message || code || err.name;
  }
  return String(err);
}

/** One line, and never the password, even if a driver quoted it (masked by structure: see redactSecrets). */
function scrub(line: string, url: string): string {
  return redactSecrets(line.replace(/\s+/g, ' ').trim(), [passwordOf(url)]);
}
