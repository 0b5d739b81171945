// The Coze simulator as its own process for the bench, with the knobs `coze-gateway simulator`
// does not expose: delta delay, chunk size and an OAuth JWT app's public key (token storm).
// Bundled by bench/run.mjs with esbuild into bench/.build/simulator.mjs; the same code as
// src/simulator, so direct, nginx and gateway all talk to one upstream.
// Prints one JSON line {"url": ...} once listening.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DEFAULT_BOT_ID, startSimulator } from '../src/simulator/index.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    pat: { type: 'string', default: 'pat_bench' },
    'delta-delay-ms': { type: 'string', default: '1' },
    'chunk-chars': { type: 'string', default: '16' },
    'public-key-file': { type: 'string' },
    'client-id': { type: 'string', default: '1100000000042' },
    'key-id': { type: 'string', default: 'bench-key' },
    log: { type: 'boolean', default: false },
  },
});

const publicKeyFile = values['public-key-file'];
const sim = await startSimulator({
  port: Number(values.port),
  pats: [values.pat!],
  botIds: [DEFAULT_BOT_ID],
  deltaDelayMs: Number(values['delta-delay-ms']),
  chunkChars: Number(values['chunk-chars']),
  log: values.log ? (line) => process.stderr.write(`${line}\n`) : undefined,
  oauthApps: publicKeyFile
    ? [
        {
          clientId: values['client-id']!,
          keyId: values['key-id']!,
          publicKeyPem: readFileSync(publicKeyFile, 'utf8'),
        },
      ]
    : [],
});
process.stdout.write(
  `${JSON.stringify({ url: sim.url, botId: DEFAULT_BOT_ID, controlToken: sim.controlToken })}\n`,
);
const stop = () => void sim.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
