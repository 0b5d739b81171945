// Builds the server (dist/cli/main.js) and the browser widget (dist/widget.js and its lazy chunks in
// dist/widget/) with esbuild (type checking is `npm run lint`), and prints the widget's gzipped
// sizes (its budget is test/widget-budget.test.ts).
// --if-stale: build only what is older than its sources (keeps `npm start` fast).
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { serverBuildOptions } from './build-options.mjs';

const root = new URL('..', import.meta.url).pathname;
function newest(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

const stale = (out, sources) =>
  !process.argv.includes('--if-stale') ||
  !existsSync(out) ||
  statSync(out).mtimeMs < Math.max(...sources.map((s) => newest(join(root, s))));

async function buildServer() {
  const out = join(root, 'dist/cli/main.js');
  if (!stale(out, ['src'])) return;
  const started = Date.now();
  await build({ ...serverBuildOptions(root), outfile: out });
  console.error(`built dist/cli/main.js in ${Date.now() - started} ms`);
}

const widgetOptions = {
  bundle: true,
  platform: 'browser',
  format: 'iife',
  target: 'es2022',
  minify: true,
  legalComments: 'none',
  logLevel: 'warning',
};

/**
 * dist/widget.js (every page that embeds the widget loads it) and its lazy chunks in dist/widget/
 * (named by content hash, loaded from beside widget.js when needed). Their size budgets are a test
 * of their own (test/widget-budget.test.ts); the sizes are printed here.
 */
async function buildWidget() {
  const out = join(root, 'dist/widget.js');
  if (!stale(out, ['widget/src'])) return;
  const started = Date.now();
  const dir = join(root, 'dist/widget');
  mkdirSync(dir, { recursive: true });
  const chunk = await build({
    ...widgetOptions,
    entryPoints: { markdown: join(root, 'widget/src/markdown-chunk.ts') },
    outdir: dir,
    entryNames: '[name]-[hash]',
    metafile: true,
  });
  const markdown = basename(Object.keys(chunk.metafile.outputs)[0]);
  // Chunks of earlier builds go: the widget.js built now names only its own.
  for (const f of readdirSync(dir)) if (f !== markdown && f.endsWith('.js')) rmSync(join(dir, f));
  await build({
    ...widgetOptions,
    entryPoints: [join(root, 'widget/src/index.ts')],
    outfile: out,
    define: { MARKDOWN_CHUNK: JSON.stringify(markdown) },
  });
  writeFileSync(join(dir, 'chunks.json'), `${JSON.stringify({ markdown })}\n`);
  const kb = (f) => `${(gzipSync(readFileSync(f), { level: 9 }).length / 1024).toFixed(1)} KB`;
  console.error(
    `built dist/widget.js in ${Date.now() - started} ms: ${kb(out)} gzipped, + ${kb(join(dir, markdown))} for markdown (lazy)`,
  );
}

// Both are attempted, so one's failure does not hide the other's.
const results = await Promise.allSettled([buildServer(), buildWidget()]);
const failed = results.filter((r) => r.status === 'rejected');
if (failed.length > 0) {
  for (const f of failed) console.error(f.reason instanceof Error ? f.reason.message : f.reason);
  process.exit(1);
}
