import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';
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

/** The demo pages and the widget bundle. */
export function pageRoutes(app: FastifyInstance): void {
  const root = projectRoot();
  const demo = readFileSync(join(root, 'public/index.html'), 'utf8');
  const shop = readFileSync(join(root, 'public/shop.html'), 'utf8');
  const widget = assetReader(join(root, 'dist/widget.js'));

  app.get('/', async (_req, reply) => page(reply, demo));
  app.get('/demo/shop', async (_req, reply) => page(reply, shop));

  // Loaded by other sites' pages: cacheable for a few minutes, revalidated by ETag.
  app.get('/widget.js', async (req, reply) => {
    const asset = widget();
    if (!asset) {
      throw new GatewayError('GW_NOT_FOUND', { message: 'The widget is not built: run `npm run build`.' });
    }
    reply
      .header('content-type', 'application/javascript; charset=utf-8')
      .header('cache-control', 'public, max-age=300')
      .header('etag', asset.etag)
      .header('cross-origin-resource-policy', 'cross-origin');
    const match = req.headers['if-none-match'];
    if (match?.split(',').some((t) => t.trim().replace(/^W\//, '') === asset.etag)) {
      return reply.status(304).send();
    }
    return reply.send(asset.body);
  });
}
