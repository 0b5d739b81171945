import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Gateway, startGateway } from '../../src/cli/gateway.js';
import { loadConfig } from '../../src/config/index.js';

export interface TestGateway extends Gateway {
  dbPath: string;
  stop(): Promise<void>;
}

/**
 * A real gateway on a random loopback port, with its built-in simulator (unless COZE_* says
 * otherwise) and a fresh SQLite file. `env` overrides settings as the environment would.
 */
export async function startTestGateway(env: Record<string, string> = {}): Promise<TestGateway> {
  const dir = mkdtempSync(join(tmpdir(), 'cg-test-'));
  const dbPath = join(dir, 'ledger.db');
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    DATABASE_URL: `sqlite:${dbPath}`,
    SIMULATOR_DELTA_DELAY_MS: '2',
    // Tests make many sessions and messages from 127.0.0.1; rate limits have tests of their own.
    RATE_LIMIT_USER: '100000/100000',
    RATE_LIMIT_IP: '100000/100000',
    RATE_LIMIT_SESSIONS_PER_IP: '100000/100000',
    ...env,
  });
  const gw = await startGateway(config);
  return Object.assign(gw, {
    dbPath,
    async stop() {
      await gw.close(2000);
      rmSync(dir, { recursive: true, force: true });
    },
  });
}
