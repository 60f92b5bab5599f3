import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import { build } from 'esbuild';

/**
 * Bundles the browser code (TypeScript, no framework) into one minified IIFE file each: the widget and the
 * staff console. The service builds them in memory on first request (about 50 ms), so `npm start` on a fresh
 * clone serves them with no build step; `npx tsx widgets/build.ts` writes them to widgets/dist/ to inspect.
 */

export const BUNDLES = {
  widget: 'widgets/src/index.ts',
  console: 'widgets/src/console/index.ts',
} as const;
export type BundleName = keyof typeof BUNDLES;

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export async function bundle(name: BundleName): Promise<string> {
  const r = await build({
    entryPoints: [path.join(root, BUNDLES[name])],
    bundle: true,
    minify: true,
    format: 'iife',
    target: ['es2020'],
    charset: 'utf8',
    legalComments: 'none',
    write: false,
    logLevel: 'silent',
  });
  return r.outputFiles[0].text;
}

const cache = new Map<BundleName, Promise<string>>();

/** The bundle, built once per process (a failed build is retried on the next request). */
export function cachedBundle(name: BundleName): Promise<string> {
  let p = cache.get(name);
  if (!p) {
    p = bundle(name);
    p.catch(() => cache.delete(name));
    cache.set(name, p);
  }
  return p;
}

export const gzipSize = (text: string) => zlib.gzipSync(Buffer.from(text, 'utf8'), { level: 9 }).length;

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = path.join(root, 'widgets/dist');
  fs.mkdirSync(out, { recursive: true });
  for (const name of Object.keys(BUNDLES) as BundleName[]) {
    const text = await bundle(name);
    fs.writeFileSync(path.join(out, `${name}.js`), text);
    console.log(`${name}.js: ${(text.length / 1024).toFixed(1)} KB, gzip ${(gzipSize(text) / 1024).toFixed(1)} KB`);
  }
}
