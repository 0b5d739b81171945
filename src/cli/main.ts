// coze-gateway: start | simulator | migrate | keys | help
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config/index.js';
import { openLedger } from '../ledger/index.js';
import { DEFAULT_BOT_ID, startSimulator } from '../simulator/index.js';
import { startGateway } from './gateway.js';

const HELP = `coze-gateway: a self-hosted gateway between your website's chat and Coze

Usage (in the project folder, where the command is npx coze-gateway; npm start runs start):
  coze-gateway [start]            run the gateway; start is the default command. Settings come from
                                  the environment (see README); it listens on HOST (default
                                  127.0.0.1) and PORT (default 8080) and prints the address to open
  coze-gateway simulator [--port N] [--host H] [--pat TOKEN] [--control-token T]
                                  run only the Coze simulator (a Coze-compatible test server);
                                  its /_simulator/ test routes need T (made and printed if not given)
  coze-gateway migrate            bring the database named by DATABASE_URL up to date, then exit
  coze-gateway keys --out DIR     make an RSA key pair for a Coze OAuth JWT app in DIR
                                  (private_key.pem, public_key.pem); keep DIR out of your repository
  coze-gateway help               this text
`;

async function main(argv: string[]): Promise<number> {
  const [command = 'start', ...rest] = argv;
  switch (command) {
    case 'start':
      return start();
    case 'simulator':
      return simulator(rest);
    case 'migrate':
      return migrate();
    case 'keys':
      return keys(rest);
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(HELP);
      return 0;
    default:
      process.stderr.write(`coze-gateway: unknown command "${command}"\n\n${HELP}`);
      return 2;
  }
}

async function start(): Promise<number> {
  const config = loadConfig();
  const gateway = await startGateway(config);
  // SIGTERM and SIGINT (Ctrl-C) both shut down: running turns finish up to SHUTDOWN_GRACE_MS. A
  // second signal, or a close that overruns its grace by 15 s, exits at once (code 1). A closed
  // stdout (a log pipe whose reader went away) must not stop any of this: its errors are dropped.
  for (const out of [process.stdout, process.stderr]) out.on('error', () => {});
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      gateway.logger.warn({ signal }, 'second signal: exiting without waiting');
      process.exit(1);
    }
    stopping = true;
    gateway.logger.info({ signal }, 'shutting down: finishing running turns');
    setTimeout(() => {
      gateway.logger.error('shutdown overran SHUTDOWN_GRACE_MS by 15 s: exiting');
      process.exit(1);
    }, config.turns.shutdownGraceMs + 15_000).unref();
    gateway.close().then(
      () => process.exit(0),
      (err: unknown) => {
        gateway.logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  // Announced only now: whoever waits for this line may signal at once, and must meet the handlers.
  const mode = config.coze.mode === 'simulator' ? 'the built-in Coze simulator' : config.coze.baseUrl;
  gateway.logger.info({ url: gateway.url, upstream: mode }, `coze-gateway is listening on ${gateway.url}`);
  // The log is JSON for machines; a person starting it wants the address to open.
  process.stdout.write(`coze-gateway listening: open ${gateway.url}/\n`);
  return new Promise<number>(() => {}); // runs until a signal
}

async function simulator(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      port: { type: 'string', default: '8090' },
      host: { type: 'string' },
      pat: { type: 'string' },
      'control-token': { type: 'string' },
    },
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError(`--port must be 0-65535`);
  const pat = values.pat ?? 'pat_simulator';
  const sim = await startSimulator({
    port,
    host: values.host,
    pats: [pat],
    controlToken: values['control-token'],
    log: (l) => process.stdout.write(`${l}\n`),
  });
  process.stdout.write(
    `Coze simulator listening on ${sim.url}\n` +
      `  test routes (/_simulator/faults, /_simulator/stats) need the header X-Simulator-Control: ${sim.controlToken}\n` +
      `  try: COZE_BASE_URL=${sim.url} COZE_PAT=${pat} COZE_BOT_ID=${DEFAULT_BOT_ID} coze-gateway start\n`,
  );
  const stop = () => void sim.close().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  return new Promise<number>(() => {});
}

async function migrate(): Promise<number> {
  const config = loadConfig();
  // Migrates even when DATABASE_MIGRATE=false: that setting is for start-up, this is the tool.
  const ledger = await openLedger(config.database, { migrate: true });
  await ledger.close();
  process.stdout.write(`database ${config.database.redactedUrl} is up to date\n`);
  return 0;
}

function keys(args: string[]): number {
  const { values } = parseArgs({ args, options: { out: { type: 'string' } } });
  if (!values.out) {
    // A private key written into the working folder ends up committed sooner or later.
    process.stderr.write(
      'coze-gateway keys: give --out DIR, a folder outside your source tree for the key pair (e.g. --out ~/.coze-keys)\n',
    );
    return 2;
  }
  const dir = values.out;
  const priv = join(dir, 'private_key.pem');
  if (existsSync(priv)) throw new ConfigError(`${priv} exists already; choose another --out folder`);
  mkdirSync(dir, { recursive: true });
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  writeFileSync(priv, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  writeFileSync(join(dir, 'public_key.pem'), publicKey.export({ type: 'spki', format: 'pem' }));
  process.stdout.write(
    `wrote ${priv} (keep it secret) and ${join(dir, 'public_key.pem')}\n` +
      'Upload public_key.pem to your Coze OAuth (JWT) app, then set COZE_KEY_ID to the fingerprint Coze shows\n' +
      `and COZE_PRIVATE_KEY_FILE=${priv}\n`,
  );
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    // One line, naming the setting and the fix; no stack for configuration mistakes.
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(
      `coze-gateway: ${err instanceof ConfigError ? 'configuration error: ' : ''}${message}\n`,
    );
    process.exit(1);
  },
);
