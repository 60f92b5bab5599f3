import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadIndex, type LoadedIndex } from '../server/retrieval/loadIndex.ts';
import { Retriever } from '../server/retrieval/retrieve.ts';
import { TEST_INDEX } from './globalSetup.ts';
import { runCli, tmpDir } from './helpers.ts';

let index: LoadedIndex;
let retriever: Retriever;
const top = async (q: string, k = 5) => (await retriever.retrieve(q, { k })).hits.map((h) => h.matterId);

beforeAll(async () => {
  index = await loadIndex(TEST_INDEX);
  retriever = new Retriever(index);
});

describe('hybrid retrieval over the 470 guides', () => {
  it('finds the matter from a colloquial question at once', async () => {
    expect((await top('我想给孩子报户口'))[0]).toBe('wh-044');
    expect(['qy-039', 'qy-048']).toContain((await top('开饭店要办什么证'))[0]);
  });

  it('returns hits in the CONTRACTS.md shape, one per matter, best first', async () => {
    const { hits } = await retriever.retrieve('居住证快到期了怎么续', { k: 5 });
    expect(hits).toHaveLength(5);
    expect(new Set(hits.map((h) => h.matterId)).size).toBe(5);
    for (const h of hits) expect(Object.keys(h).sort()).toEqual(['matterId', 'name', 'score', 'section', 'text']);
    const chunk = index.chunks.find((c) => c.matterId === hits[0].matterId && c.section === hits[0].section)!;
    expect(chunk.text).toBe(hits[0].text);
  });

  it('filters by audience', async () => {
    for (const audience of ['个人', '法人'] as const) {
      const { hits } = await retriever.retrieve('营业执照丢了怎么办', { k: 10, audience });
      expect(hits.length).toBeGreaterThan(0);
      for (const h of hits) expect(index.guideById.get(h.matterId)!.audience).toContain(audience);
    }
  });

  it('picks the variant the question describes in everyday words', async () => {
    expect((await top('饭店搬到新地址了，食品经营许可证上的地址怎么改'))[0]).toBe('qy-040');
    expect((await top('食品经营许可证有效期快满了，还要接着开'))[0]).toBe('qy-041');
    expect((await top('饭店不开了，食品经营许可证要交回去吗'))[0]).toBe('qy-042');
  });

  it('keeps the variants together and reports them when the question does not say which', async () => {
    const r = await retriever.retrieve('劳务派遣的许可证手续在哪里办', { k: 5 });
    expect(r.variants.length).toBeGreaterThanOrEqual(2);
    expect(r.hits.slice(0, r.variants.length).map((h) => h.matterId)).toEqual(r.variants);
    for (const id of r.variants) expect(index.guideById.get(id)!.name).toMatch(/^劳务派遣经营许可/);
  });

  it('shows the section the question is about', async () => {
    const { hits } = await retriever.retrieve('出生登记要带哪些材料', { k: 1 });
    expect(hits[0].matterId).toBe('wh-044');
    expect(hits[0].section).toMatch(/^material/);
  });

  it('works in each single mode too', async () => {
    for (const mode of ['bm25', 'dense', 'hybrid'] as const) {
      const { hits } = await retriever.retrieve('新生儿上户口', { k: 5, mode });
      expect(hits.map((h) => h.matterId), mode).toContain('wh-044');
    }
  });
});

describe('npm run search', () => {
  it('prints a JSON array of hits with --json', () => {
    const r = runCli('ingest/searchCli.ts', ['--index', TEST_INDEX, '--k', '3', '--json', '开奶茶店要办什么证']);
    expect(r.code).toBe(0);
    const hits = JSON.parse(r.stdout);
    expect(hits).toHaveLength(3);
    expect(hits[0]).toEqual({ matterId: expect.any(String), name: expect.any(String), section: expect.any(String), score: expect.any(Number), text: expect.any(String) });
  });

  it('answers a batch file with one JSON array per line', () => {
    const file = path.join(tmpDir(), 'q.txt');
    fs.writeFileSync(file, '孩子报户口\n\n办居住证\n');
    const r = runCli('ingest/searchCli.ts', ['--index', TEST_INDEX, '--k', '2', '--batch', file]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(2);
    expect(lines[0][0].matterId).toBe('wh-044');
  });

  it('rejects a bad --k with a clear message', () => {
    const r = runCli('ingest/searchCli.ts', ['--index', TEST_INDEX, '--k', '0', '办证']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--k');
  });
});
