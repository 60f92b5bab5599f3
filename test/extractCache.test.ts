import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CachedExtractorPool } from '../evals/extractCache.ts';
import { FileProblem } from '../server/precheck/limits.ts';
import { tmpDir } from './helpers.ts';

const pools: CachedExtractorPool[] = [];
afterEach(async () => {
  for (const p of pools.splice(0)) await p.close();
});
const pool = (root: string, fresh = false) => {
  const p = new CachedExtractorPool(1, 1, { cacheRoot: root, fresh });
  pools.push(p);
  return p;
};
const text = new TextEncoder().encode('申请人：张三\n统一社会信用代码：91310104MA1FL0XX0X\n');
const binary = Uint8Array.from({ length: 256 }, (_, i) => (i * 37) % 256); // no known file type

describe('the pre-check eval keeps extracted fixture text between runs', () => {
  it('extracts a file once, then reads it (and a file problem) back in the next run', async () => {
    const root = tmpDir();
    const first = pool(root);
    const a = await first.extract(text);
    await expect(first.extract(binary)).rejects.toBeInstanceOf(FileProblem);
    expect(await first.extract(text)).toEqual(a); // the same run: extracted once
    expect({ hits: first.hits, misses: first.misses }).toEqual({ hits: 0, misses: 2 });

    const second = pool(root);
    expect(await second.extract(text)).toEqual(a);
    const problem = await second.extract(binary).catch((e: unknown) => e);
    expect(problem).toBeInstanceOf(FileProblem);
    expect((problem as FileProblem).reason).toBe('unsupported');
    expect({ hits: second.hits, misses: second.misses }).toEqual({ hits: 2, misses: 0 });

    const fresh = pool(root, true);
    expect(await fresh.extract(text)).toEqual(a);
    expect(fresh.misses).toBe(1);
  });

  it('drops the folders of other extraction versions', () => {
    const root = tmpDir();
    fs.mkdirSync(path.join(root, 'stale-version'), { recursive: true });
    const p = pool(root);
    expect(fs.readdirSync(root)).toEqual([path.basename(p.dir!)]);
  });
});
