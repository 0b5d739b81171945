import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { chatStream, deltas, post, readSse, visitor } from '../helpers/client.js';
import { cleanEnv, MAIN as main, runCli, startGatewayProcess as startCli } from '../helpers/processes.js';

/** Whether something accepts TCP connections at host:port. */
function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** Runs the CLI in `cwd` to its end. */
function runIn(cwd: string, args: string[], env: Record<string, string> = {}) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [main, ...args], {
      cwd,
      env: cleanEnv(env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('coze-gateway start', () => {
  it('serves the demo page and a visitor chats with the simulator, which says so in the log and on the page', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cg-cli-'));
    const gw = await startCli({ DATABASE_URL: `sqlite:${join(dir, 'db.sqlite')}` });
    try {
      expect(gw.output()).toMatch(/built-in Coze simulator/);
      const page = await fetch(gw.url);
      expect(page.headers.get('content-type')).toMatch(/^text\/html/);
      expect(await page.text()).toContain('/widget.js');
      const meta = await (await fetch(`${gw.url}/v1/meta`)).json();
      expect(meta.upstream.mode).toBe('simulator');

      const a = await visitor(gw.url);
      const first = await chatStream(gw.url, a, 'my name is Zhang San');
      const cid = (first.events[0].data as { conversation_id: string }).conversation_id;
      expect(deltas((await chatStream(gw.url, a, 'what is my name?', cid)).events)).toContain('Zhang San');
      const b = await visitor(gw.url);
      expect(deltas((await chatStream(gw.url, b, 'what is my name?')).events)).not.toContain('Zhang San');
    } finally {
      expect(await gw.stop()).toBe(0);
    }
  });

  it('on SIGTERM lets a running stream finish, records it, and exits 0', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cg-cli-'));
    const db = join(dir, 'db.sqlite');
    const gw = await startCli({ DATABASE_URL: `sqlite:${db}`, SIMULATOR_DELTA_DELAY_MS: '20' });
    const token = await visitor(gw.url);
    const res = await post(gw.url, '/v1/chat/stream', token, { message: '#long 25' });
    let signalled = false;
    const events = await readSse(res, (e) => {
      if (e.event === 'delta' && !signalled) {
        signalled = true;
        gw.child.kill('SIGTERM');
      }
    });
    expect(events.at(-1)!.event).toBe('done');
    expect(await gw.exited).toBe(0);
    const rows = new Database(db, { readonly: true }).prepare('select status, answer from turns').all() as {
      status: string;
      answer: string;
    }[];
    expect(rows).toHaveLength(1);
    expect(rows[0].status).toBe('completed');
    expect(rows[0].answer.split(' ')).toHaveLength(25);
  });

  it('refuses to start on a bad setting with one line naming it, and exits 1', async () => {
    const r = await runCli(['start'], { COZE_TOKEN_TTL: '999999' });
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(
      /^coze-gateway: configuration error: COZE_TOKEN_TTL must be a whole number from 60 to 86399/,
    );
  });

  it('refuses to start on an unusable database with one line, and exits 1', async () => {
    // A path below a regular file can never be a database.
    const r = await runCli(['start'], { PORT: '0', DATABASE_URL: `sqlite:${main}/db.sqlite` });
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^coze-gateway: DATABASE_URL sqlite:.*cannot be opened: E[A-Z]+:/);
  });
});

describe('coze-gateway migrate', () => {
  it('creates the schema and exits 0', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cg-cli-'));
    const db = join(dir, 'm.sqlite');
    const r = await runCli(['migrate'], { DATABASE_URL: `sqlite:${db}` });
    expect(r.code).toBe(0);
    const tables = new Database(db, { readonly: true })
      .prepare("select name from sqlite_master where type = 'table' order by name")
      .all()
      .map((t) => (t as { name: string }).name);
    expect(tables).toEqual(expect.arrayContaining(['conversations', 'turns']));
  });
});

describe('the first run, as a new user tries it', () => {
  it('a bare `coze-gateway` starts, prints a plain line with the address to open, and listens on loopback only', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cg-cli-'));
    const child = spawn(process.execPath, [main], {
      cwd: dir,
      env: cleanEnv({ PORT: '0', DATABASE_URL: `sqlite:${join(dir, 'db.sqlite')}` }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    try {
      await expect
        .poll(() => stdout, { timeout: 20_000 })
        .toMatch(/^coze-gateway listening: open http:\/\/127\.0\.0\.1:\d+\/$/m);
      const port = Number(/^coze-gateway listening: open http:\/\/127\.0\.0\.1:(\d+)\/$/m.exec(stdout)![1]);
      expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(200);
      // Bound to 127.0.0.1, not 0.0.0.0: another address of this machine (127.0.0.2 is one on
      // Linux) is not answered.
      expect(await accepts('127.0.0.1', port)).toBe(true);
      expect(await accepts('127.0.0.2', port)).toBe(false);
    } finally {
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    }
  });

  it('help says that start is the default command and how to run it', async () => {
    const r = await runCli(['help'], {});
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/start is the default command/);
    expect(r.stdout).toMatch(/npx coze-gateway/);
    expect(r.stdout).toMatch(/keys --out DIR/);
  });

  it('`keys` without --out writes nothing and says to give a folder; with --out it writes the pair there', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cg-cli-'));
    const bare = await runIn(dir, ['keys']);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toMatch(/^coze-gateway keys: give --out DIR/);
    expect(readdirSync(dir)).toEqual([]);
    const out = join(dir, 'keys');
    const r = await runIn(dir, ['keys', '--out', out]);
    expect(r.code).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['private_key.pem', 'public_key.pem']);
  });

  it('refuses COZE_BOT_ID without a credential instead of quietly answering from the simulator', async () => {
    const r = await runCli(['start'], { PORT: '0', COZE_BOT_ID: '7348293334459312345' });
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(
      /^coze-gateway: configuration error: COZE_BOT_ID is set .* but no Coze credential is: set COZE_PAT/,
    );
  });

  it('refuses a SQLite path in a folder that does not exist, and makes no folder', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cg-cli-'));
    const db = join(dir, 'no', 'such', 'x.db');
    const r = await runCli(['start'], { PORT: '0', DATABASE_URL: `sqlite:${db}` });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^coze-gateway: configuration error: DATABASE_URL names a SQLite file in a folder that does not exist/,
    );
    expect(existsSync(join(dir, 'no'))).toBe(false);
  });
});
