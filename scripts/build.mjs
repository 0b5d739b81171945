// Builds the server into dist/ with esbuild (type checking is `npm run lint`).
// --if-stale: skip when dist is newer than every file under src/ (keeps `npm start` fast).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

const root = new URL('..', import.meta.url).pathname;
const out = join(root, 'dist/cli/main.js');

function newest(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

if (
  process.argv.includes('--if-stale') &&
  existsSync(out) &&
  statSync(out).mtimeMs >= newest(join(root, 'src'))
) {
  process.exit(0);
}

const started = Date.now();
await build({
  entryPoints: [join(root, 'src/cli/main.ts')],
  outfile: out,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: true,
  banner: { js: '#!/usr/bin/env node' },
  logLevel: 'warning',
});
console.error(`built dist/cli/main.js in ${Date.now() - started} ms`);
