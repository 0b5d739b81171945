/**
 * The longest a single statement may take before the ledger gives up on it. The database enforces it
 * where it can (a slow query); the client enforces it as well (a connection whose peer went silent),
 * and a connection that timed out on the client is discarded, never handed out again.
 * Every ledger statement touches a handful of rows, so this only ends what is stuck.
 */
export const STATEMENT_TIMEOUT_MS = 30_000;

/** How long an idle pooled connection is kept before it is closed. */
export const IDLE_TIMEOUT_MS = 60_000;
