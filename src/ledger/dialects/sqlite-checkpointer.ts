import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** How often the checkpointer copies the write-ahead log into the database file. */
const CHECKPOINT_EVERY_MS = 500;
/** Past this many frames (4 KiB pages, so 16 MiB) the log is restarted. */
const RESTART_FRAMES = 4096;
/** How long closing the ledger waits for the checkpointer's connection to close. */
const STOP_WAIT_MS = 2000;
/** A restarted log's file is cut back to this size. */
export const WAL_SIZE_LIMIT_BYTES = RESTART_FRAMES * 4096 * 2;

// Runs in a worker thread with its own connection to the same file. A PASSIVE checkpoint never
// waits for the gateway's connection and never stops it writing; its fsync happens here.
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.module);
const db = new Database(workerData.path, { timeout: 5000 });
db.pragma('journal_size_limit = ' + workerData.sizeLimit);
const checkpoint = () => {
  const [{ log, checkpointed }] = db.pragma('wal_checkpoint(PASSIVE)');
  // Writes that go on during every checkpoint keep the log from ever being restarted: past a
  // size, a RESTART checkpoint holds writers back for the last few frames, and the log starts
  // over (journal_size_limit trims its file).
  const restarted = log > workerData.restartFrames && db.pragma('wal_checkpoint(RESTART)')[0].busy === 0;
  return { log, checkpointed, restarted };
};
const report = (e) => parentPort.postMessage({ error: String(e && e.message || e) });
const timer = workerData.everyMs > 0 ? setInterval(() => { try { checkpoint(); } catch (e) { report(e); } }, workerData.everyMs) : undefined;
const closed = new Int32Array(workerData.closed);
parentPort.on('message', (m) => {
  if (m === 'checkpoint') {
    try { parentPort.postMessage({ checkpoint: checkpoint() }); } catch (e) { report(e); }
    return;
  }
  clearInterval(timer);
  db.close();
  Atomics.store(closed, 0, 1);
  Atomics.notify(closed, 0);
  parentPort.close();
});
`;

/** What one checkpoint did: frames in the log, frames copied into the file, log started over. */
export interface Checkpoint {
  log: number;
  checkpointed: number;
  restarted: boolean;
}

export interface Checkpointer {
  /** Checkpoints now (besides the timer's) and tells what it did: tests wait for it, not for time. */
  checkpoint(): Promise<Checkpoint>;
  stop(): void;
}

/**
 * SQLite checkpoints the write-ahead log on the committing connection, with an fsync: done by the
 * gateway's own connection, that stalls the event loop for milliseconds, every stream with it
 * (see docs/decisions/0017). So the gateway's connection does not checkpoint (wal_autocheckpoint
 * = 0) and a worker thread does, every `everyMs` (CHECKPOINT_EVERY_MS; `0`: only when asked). If
 * the worker cannot run, `onFailure` turns automatic checkpoints back on.
 */
export function startCheckpointer(
  path: string,
  onFailure: (error: string) => void,
  { everyMs = CHECKPOINT_EVERY_MS }: { everyMs?: number } = {},
): Checkpointer {
  const module = createRequire(import.meta.url).resolve('better-sqlite3');
  const closed = new SharedArrayBuffer(4);
  const worker = new Worker(WORKER, {
    eval: true,
    // Not the process's flags: a --cpu-prof of the gateway must profile the gateway, not this.
    execArgv: [],
    workerData: {
      path,
      module,
      everyMs,
      restartFrames: RESTART_FRAMES,
      sizeLimit: WAL_SIZE_LIMIT_BYTES,
      closed,
    },
  });
  let failed = false;
  let stopped = false;
  // The worker answers in the order it was asked.
  const asked: { resolve(c: Checkpoint): void; reject(e: Error): void }[] = [];
  const fail = (error: string) => {
    for (const a of asked.splice(0)) a.reject(new Error(error));
    if (failed || stopped) return;
    failed = true;
    onFailure(error);
  };
  worker.on('message', (m: { error?: string; checkpoint?: Checkpoint }) => {
    if (m.checkpoint) asked.shift()?.resolve(m.checkpoint);
    else if (m.error) fail(m.error);
  });
  worker.on('error', (e) => fail(e.message));
  worker.unref();
  return {
    checkpoint: () => {
      if (failed || stopped) return Promise.reject(new Error('the checkpointer is not running'));
      return new Promise<Checkpoint>((resolve, reject) => {
        asked.push({ resolve, reject });
        worker.postMessage('checkpoint');
      });
    },
    /**
     * Waits (at most STOP_WAIT_MS) for the worker to close its connection, so that the gateway's,
     * closed next, is the last: SQLite then checkpoints once more and removes the log, and no
     * file of the database is touched after the ledger is closed.
     */
    stop: () => {
      if (stopped) return;
      stopped = true;
      for (const a of asked.splice(0)) a.reject(new Error('the checkpointer stopped'));
      if (failed) {
        void worker.terminate();
        return;
      }
      worker.postMessage('stop');
      Atomics.wait(new Int32Array(closed), 0, 0, STOP_WAIT_MS);
    },
  };
}
