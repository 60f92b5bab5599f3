import crypto from 'node:crypto';
import fs from 'node:fs';
import { Hono } from 'hono';
import { cachedBundle, type BundleName } from '../../widgets/build.ts';
import { notFound } from '../errors.ts';

const DEMO_DIR = new URL('../../widgets/demo/', import.meta.url);

/** Serves a bundle with an ETag (built once per process, so the tag is stable until a restart). */
async function serveBundle(name: BundleName, ifNoneMatch: string | undefined) {
  const text = await cachedBundle(name);
  const etag = `"${crypto.createHash('sha1').update(text).digest('base64url')}"`;
  const headers = {
    'content-type': 'text/javascript; charset=utf-8',
    // Short cache: a new deployment reaches embedding pages within minutes, revalidated by ETag.
    'cache-control': 'public, max-age=300',
    etag,
    // Embedded by pages on other origins (the script tag needs no CORS).
    'cross-origin-resource-policy': 'cross-origin',
    'x-content-type-options': 'nosniff',
  };
  if (ifNoneMatch === etag) return new Response(null, { status: 304, headers });
  return new Response(text, { headers });
}

/**
 * The citizen widget's script (`GET /widget.js`), the staff console's script, and the demo pages
 * (`/demo/`, static HTML from widgets/demo/ that embeds the widget).
 */
export function widgetRoutes() {
  const app = new Hono();
  app.get('/widget.js', (c) => serveBundle('widget', c.req.header('if-none-match')));
  app.get('/console/app.js', (c) => serveBundle('console', c.req.header('if-none-match')));
  app.get('/demo', (c) => c.redirect('/demo/', 301));
  const demo = (file: string) => {
    const url = new URL(file, DEMO_DIR);
    if (!fs.existsSync(url)) throw notFound('not_found', '没有找到这个演示页面。');
    return fs.readFileSync(url, 'utf8');
  };
  app.get('/demo/', (c) => c.html(demo('index.html')));
  app.get('/demo/:file{[a-z0-9-]+\\.html}', (c) => c.html(demo(c.req.param('file'))));
  return app;
}
