import fs from 'node:fs';
import path from 'node:path';
import type MiniSearch from 'minisearch';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Bm25Index } from '../ingest/bm25.ts';
import { FILES } from '../ingest/build.ts';
import { loadChunkBm25, loadChunkIndex, loadMatterBm25, loadMatterIndex } from '../ingest/lexicalIndex.ts';
import { createLexicalTokenizer } from '../ingest/tokenize.ts';
import { TEST_INDEX } from './globalSetup.ts';

// The server searches with ingest/bm25.ts; MiniSearch wrote the index. Both must rank alike, or the eval
// figures chosen with MiniSearch no longer hold.
const read = (f: string) => fs.readFileSync(path.join(TEST_INDEX, f), 'utf8');
const questions = fs
  .readFileSync(path.join(import.meta.dirname, '..', 'evals', 'datasets', 'dev.jsonl'), 'utf8')
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l).question as unknown)
  .filter((q): q is string => typeof q === 'string');

function expectSameRanking<Id extends string | number>(mine: Bm25Index<Id>, theirs: MiniSearch, q: string, filter?: (id: Id) => boolean) {
  const a = mine.search(q, { filter: filter && ((doc) => filter(mine.ids[doc])) });
  const b = theirs.search(q, filter ? { filter: (r) => filter(r.id) } : {});
  expect(a.length, q).toBe(b.length);
  a.slice(0, 50).forEach((hit, i) => {
    expect(hit.score, q).toBeCloseTo(b[i].score, 9);
    // Equal scores may come in either order; a different score at a rank is a different ranking.
    if (hit.id !== b[i].id) expect(Math.abs(hit.score - theirs.search(q).find((r) => r.id === hit.id)!.score), q).toBeLessThan(1e-9);
  });
}

describe('BM25 search over the MiniSearch index', () => {
  let tokenizer: ReturnType<typeof createLexicalTokenizer>;
  beforeAll(() => {
    tokenizer = createLexicalTokenizer(JSON.parse(read(FILES.lexicon)));
  });

  it('ranks matters as MiniSearch does, with the same scores, for 120 dev questions and with a filter', () => {
    const mine = loadMatterBm25(read(FILES.matterBm25), tokenizer);
    const theirs = loadMatterIndex(read(FILES.matterBm25), tokenizer);
    expect(mine.size).toBe(theirs.documentCount);
    expect(questions.length).toBeGreaterThan(120);
    for (const q of questions.slice(0, 120)) expectSameRanking(mine, theirs, q);
    for (const q of questions.slice(0, 20)) expectSameRanking(mine, theirs, q, (id) => id.startsWith('qy-'));
  });

  it('ranks chunks as MiniSearch does', () => {
    const mine = loadChunkBm25(read(FILES.chunkBm25), tokenizer);
    const theirs = loadChunkIndex(read(FILES.chunkBm25), tokenizer);
    for (const q of questions.slice(0, 30)) expectSameRanking(mine, theirs, q);
  });

  it('keeps the best `limit` when asked, in the same order', () => {
    const mine = loadChunkBm25(read(FILES.chunkBm25), tokenizer);
    for (const q of questions.slice(0, 30)) {
      const all = mine.search(q);
      const top = mine.search(q, { limit: 200 });
      expect(top.length, q).toBe(Math.min(200, all.length));
      expect(top.map((h) => h.score)).toEqual(all.slice(0, 200).map((h) => h.score));
    }
    expect(mine.search('居住证', { limit: 0 })).toEqual([]);
  });

  it('scores chosen documents as the full search scores them (0 when no term matches)', () => {
    const mine = loadChunkBm25(read(FILES.chunkBm25), tokenizer);
    for (const q of [...questions.slice(0, 20), '居住证 居住证 到期']) {
      const full = new Map(mine.search(q).map((h) => [h.doc, h.score]));
      const docs = [0, 1, 2, ...[...full.keys()].slice(0, 40), 8000];
      const scores = mine.scoreDocs(q, docs);
      docs.forEach((doc, j) => expect(scores[j], q).toBeCloseTo(full.get(doc) ?? 0, 9));
    }
  });

  it('gives the same ranking after a search whose filter threw', () => {
    const mine = loadMatterBm25(read(FILES.matterBm25), tokenizer);
    const before = mine.search('居住证到期了怎么续');
    expect(() => mine.search('开饭店要办什么证', { filter: () => { throw new Error('boom'); } })).toThrow('boom');
    expect(mine.search('居住证到期了怎么续')).toEqual(before);
  });

  it('finds nothing for words no guide has, and repeats no document', () => {
    const mine = loadMatterBm25(read(FILES.matterBm25), tokenizer);
    expect(mine.search('')).toEqual([]);
    expect(mine.search('qwertyzxcv')).toEqual([]);
    const hits = mine.search('居住证 居住证 办理');
    expect(new Set(hits.map((h) => h.id)).size).toBe(hits.length);
    expect(hits[0].score).toBeGreaterThan(hits.at(-1)!.score);
  });
});
