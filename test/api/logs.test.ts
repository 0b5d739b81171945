import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Gateway, startGateway } from '../../src/cli/gateway.js';
import { loadConfig } from '../../src/config/index.js';
import { chat, visitor } from '../helpers/client.js';

let gw: Gateway;
const lines: Record<string, unknown>[] = [];

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cg-logs-'));
  const out = new PassThrough();
  let buffered = '';
  out.on('data', (d) => {
    buffered += d;
    const parts = buffered.split('\n');
    buffered = parts.pop()!;
    for (const p of parts) if (p) lines.push(JSON.parse(p));
  });
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    DATABASE_URL: `sqlite:${join(dir, 'ledger.db')}`,
    SIMULATOR_DELTA_DELAY_MS: '2',
  });
  gw = await startGateway(config, { logDestination: out });
});
afterAll(() => gw?.close(2000));

describe('log lines of expected failures', () => {
  it('a chat Coze fails is logged as a warning, with the message and its cause apart, and no stack', async () => {
    const token = await visitor(gw.url);
    const r = await chat(gw.url, token, 'please #fail');
    expect(r.body.status).toBe('failed');
    const failed = () => lines.find((l) => l.msg === 'turn ended' && l.status === 'failed');
    await expect.poll(failed).toBeDefined();
    const line = failed()!;
    expect(line.level).toBe(40); // warn
    const err = line.err as Record<string, unknown>;
    expect(err.code).toBe('GW_CHAT_FAILED');
    expect(err.message).toBe('The assistant could not answer this time; please try again.');
    expect(err.cause).toMatch(/^Coze chat failed: \d+/);
    expect(JSON.stringify(line)).not.toMatch(/"stack"|please try again\.: /);
  });
});
