import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { chatStream, deltas, post, readSse, visitor } from '../helpers/client.js';
import { MAIN as main, runCli, startGatewayProcess as startCli } from '../helpers/processes.js';

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
