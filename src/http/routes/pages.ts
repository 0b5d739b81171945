import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { GatewayError } from '../../errors.js';

/** The project root: the nearest folder above this file with a package.json (src/ or dist/ alike). */
export function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('package.json not found above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
  return dir;
}

interface Asset {
  body: Buffer;
  etag: string;
  mtimeMs: number;
}

/** A built file, re-read when it changes on disk (a rebuild while the gateway runs). */
function assetReader(path: string): () => Asset | null {
  let cached: Asset | null = null;
  return () => {
    if (!existsSync(path)) return null;
    const mtimeMs = statSync(path).mtimeMs;
    if (cached?.mtimeMs !== mtimeMs) {
      const body = readFileSync(path);
      const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
      cached = { body, etag, mtimeMs };
    }
    return cached;
  };
}

function page(reply: FastifyReply, html: string) {
  return reply
    .header('content-type', 'text/html; charset=utf-8')
    .header('cache-control', 'no-cache')
    .send(html);
}

/** Sends a built or public file with its ETag (304 when the browser has it). */
function sendAsset(
  req: FastifyRequest,
  reply: FastifyReply,
  asset: Asset,
  contentType: string,
  cacheControl: string,
) {
  reply
    .header('content-type', contentType)
    .header('cache-control', cacheControl)
    .header('etag', asset.etag)
    // Loaded by other sites' pages (widget.js and its chunks).
    .header('cross-origin-resource-policy', 'cross-origin');
  const match = req.headers['if-none-match'];
  if (match?.split(',').some((t) => t.trim().replace(/^W\//, '') === asset.etag)) {
    return reply.status(304).send();
  }
  return reply.send(asset.body);
}

const JS = 'application/javascript; charset=utf-8';
const notBuilt = () =>
  new GatewayError('GW_NOT_FOUND', { message: 'The widget is not built: run `npm run build`.' });

/** A lazy chunk's file name as scripts/build.mjs makes it: `<name>-<content hash>.js`. */
const CHUNK_NAME = /^[a-z]+-[A-Z0-9]{8,}\.js$/;

/** The demo pages (their styles and scripts are files, so a strict CSP needs no inline allowance). */
const DEMO_FILES: Record<string, string> = {
  '/demo/demo.css': 'text/css; charset=utf-8',
  '/demo/demo.js': JS,
  '/demo/shop.css': 'text/css; charset=utf-8',
};

/** The demo pages, the widget bundle and its lazy chunks. */
export function pageRoutes(app: FastifyInstance): void {
  const root = projectRoot();
  const demo = readFileSync(join(root, 'public/index.html'), 'utf8');
  const shop = readFileSync(join(root, 'public/shop.html'), 'utf8');
  const widget = assetReader(join(root, 'dist/widget.js'));
  const chunkDir = join(root, 'dist/widget');
  const chunks = new Map<string, () => Asset | null>();

  app.get('/', async (_req, reply) => page(reply, demo));
  app.get('/demo/shop', async (_req, reply) => page(reply, shop));
  for (const [path, type] of Object.entries(DEMO_FILES)) {
    const file = assetReader(join(root, 'public', path.slice('/demo/'.length)));
    app.get(path, async (req, reply) => {
      const asset = file();
      if (!asset) throw new GatewayError('GW_NOT_FOUND');
      return sendAsset(req, reply, asset, type, 'no-cache');
    });
  }

  // Loaded by other sites' pages: cacheable for a few minutes, revalidated by ETag.
  app.get('/widget.js', async (req, reply) => {
    const asset = widget();
    if (!asset) throw notBuilt();
    return sendAsset(req, reply, asset, JS, 'public, max-age=300');
  });

  // widget.js loads these from beside itself; a new build names new files, so they never change.
  app.get<{ Params: { file: string } }>('/widget/:file', async (req, reply) => {
    const { file } = req.params;
    if (!CHUNK_NAME.test(file)) throw new GatewayError('GW_NOT_FOUND');
    let read = chunks.get(file);
    if (!read) {
      read = assetReader(join(chunkDir, file));
      if (existsSync(join(chunkDir, file))) chunks.set(file, read);
    }
    const asset = read();
    if (!asset) throw new GatewayError('GW_NOT_FOUND');
    return sendAsset(req, reply, asset, JS, 'public, max-age=31536000, immutable');
  });
}
