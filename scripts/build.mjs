// Builds the server (dist/cli/main.js) and the browser widget (dist/widget.js) with esbuild
// (type checking is `npm run lint`). The widget must stay under 35 KB gzipped: the build fails
// otherwise, and prints its size either way.
// --if-stale: build only what is older than its sources (keeps `npm start` fast).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { serverBuildOptions } from './build-options.mjs';

const root = new URL('..', import.meta.url).pathname;
const WIDGET_LIMIT_BYTES = 35 * 1024;

// The widget's own internal property names, shortened in the bundle (marked and DOMPurify leave
// little of the budget). Only names no DOM API, library or wire format uses; never the public API
// (open, close, toggle, send, newConversation, setToken, token, getToken), nor keys read by name
// (the texts, `dataset` fields).
const WIDGET_INTERNAL_PROPS = new RegExp(
  `^(${[
    'launcher',
    'setLooking',
    'onTool',
    'badge',
    'newButton',
    'closeButton',
    'banner',
    'chips',
    'conversationId',
    'queue',
    'generation',
    'restored',
    'isOpen',
    'onUnread',
    'sessions',
    'provider',
    'identified',
    'onNewVisitor',
    'hasSession',
    'renew',
    'fetchToken',
    'loadVisitor',
    'texts',
    'chat',
    'view',
    'showUnread',
    'wire',
    'grow',
    'pump',
    'deliver',
    'showResult',
    'loadHistory',
    'showRecorded',
    'showChips',
    'hideChips',
    'forgetConversation',
    'onNetwork',
    'setState',
    'setTyping',
    'setText',
    'setError',
    'bubble',
    'meta',
    'turnId',
    'lastId',
    'onTurn',
    'onText',
    'retryAfter',
    'prefix',
    'startOpen',
    'scriptBase',
    'applyLooks',
    'restore',
    'scrollDown',
    'addToLog',
    'mountView',
    'unreadCount',
  ].join('|')})$`,
);

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

async function buildWidget() {
  const out = join(root, 'dist/widget.js');
  if (!stale(out, ['widget/src'])) return;
  const started = Date.now();
  await build({
    entryPoints: [join(root, 'widget/src/index.ts')],
    outfile: out,
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    minify: true,
    mangleProps: WIDGET_INTERNAL_PROPS,
    legalComments: 'none',
    logLevel: 'warning',
  });
  const gzipped = gzipSync(readFileSync(out), { level: 9 }).length;
  const kb = (n) => (n / 1024).toFixed(1);
  console.error(
    `built dist/widget.js in ${Date.now() - started} ms: ${kb(gzipped)} KB gzipped (limit ${kb(WIDGET_LIMIT_BYTES)} KB)`,
  );
  if (gzipped > WIDGET_LIMIT_BYTES) {
    console.error(`dist/widget.js is over the ${kb(WIDGET_LIMIT_BYTES)} KB gzipped budget: make it smaller`);
    process.exit(1);
  }
}

// Both are attempted, so one's failure does not hide the other's.
const results = await Promise.allSettled([buildServer(), buildWidget()]);
const failed = results.filter((r) => r.status === 'rejected');
if (failed.length > 0) {
  for (const f of failed) console.error(f.reason instanceof Error ? f.reason.message : f.reason);
  process.exit(1);
}
