// Stopping `coze-gateway start` (a child process, dist/cli/main.js) must end: SIGTERM and SIGINT
// alike, with its stdout a pipe nobody reads any more, and with a client (like nginx's keep-alive
// pool) holding its connection open after its answer. The running answer still finishes.
import { mkdtempSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { visitor } from '../helpers/client.js';
import { startGatewayProcess } from '../helpers/processes.js';

describe.each(['SIGTERM', 'SIGINT'] as const)('%s', (signal) => {
  it('ends promptly with exit 0 though stdout is closed and a client keeps its connection', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cg-stop-'));
    const db = join(dir, 'db.sqlite');
    const gw = await startGatewayProcess({ DATABASE_URL: `sqlite:${db}`, SIMULATOR_DELTA_DELAY_MS: '20' });
    const agent = new Agent({ keepAlive: true });
    try {
      const token = await visitor(gw.url);
      // The log's reader goes away: every later log line meets a closed pipe (EPIPE).
      gw.child.stdout!.destroy();
      let signalledAt = 0;
      const url = new URL('/v1/chat/stream', gw.url);
      const body = await new Promise<string>((resolve, reject) => {
        const req = request(
          {
            host: url.hostname,
            port: url.port,
            path: url.pathname,
            method: 'POST',
            agent,
            headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          },
          (res) => {
            let text = '';
            res.setEncoding('utf8');
            res.on('data', (d) => {
              text += d;
              if (!signalledAt && text.includes('event: delta')) {
                signalledAt = performance.now();
                gw.child.kill(signal);
              }
            });
            res.on('end', () => resolve(text));
          },
        );
        req.on('error', reject);
        req.end(JSON.stringify({ message: '#long 25' }));
      });
      expect(body).toContain('event: done');
      // The connection stays in the agent's pool, open; the gateway must not wait for it.
      expect(await gw.exited).toBe(0);
      // Well under KEEP_ALIVE_TIMEOUT_MS (72 s), which the old shutdown waited for; slack for a loaded CI.
      expect(performance.now() - signalledAt).toBeLessThan(20_000);
      const rows = new Database(db, { readonly: true }).prepare('select status from turns').all();
      expect(rows).toEqual([{ status: 'completed' }]);
    } finally {
      agent.destroy();
      if (gw.child.exitCode === null) gw.child.kill('SIGKILL');
    }
  }, 60_000);

  it('ends when its log reader went away while it was idle (the first failed write is at shutdown)', async () => {
    const gw = await startGatewayProcess({ SHUTDOWN_GRACE_MS: '1000' });
    try {
      gw.child.stdout!.destroy();
      gw.child.stderr!.destroy();
      const signalledAt = performance.now();
      gw.child.kill(signal);
      // Its shutdown logs to the closed pipe; an exit flush that retried that write forever would
      // keep the process alive (and deaf to a second signal) for good.
      expect(await gw.exited).toBe(0);
      expect(performance.now() - signalledAt).toBeLessThan(20_000);
    } finally {
      if (gw.child.exitCode === null) gw.child.kill('SIGKILL');
    }
  }, 60_000);
});
