import fs from 'node:fs';
import path from 'node:path';
import hnswlib from 'hnswlib-node';
import type MiniSearch from 'minisearch';
import { FILES, INDEX_FORMAT, type Manifest } from '../../ingest/build.ts';
import type { Chunk } from '../../ingest/chunk.ts';
import { loadEmbedder, type Embedder } from '../../ingest/embed.ts';
import type { Doc, Guide } from '../../ingest/guideSchema.ts';
import { loadLexicalIndex } from '../../ingest/lexicalIndex.ts';
import { createLexicalTokenizer, type LexicalTokenizer } from '../../ingest/tokenize.ts';

/** A loaded, read-only index: everything retrieval and answering need, in memory. */
export interface LoadedIndex {
  dir: string;
  manifest: Manifest;
  guides: Guide[];
  docs: Doc[];
  guideById: Map<string, Guide>;
  chunks: Chunk[];
  tokenizer: LexicalTokenizer;
  bm25: MiniSearch;
  hnsw: hnswlib.HierarchicalNSW;
  embedder: Embedder;
}

export class IndexMissingError extends Error {}

export function indexExists(dir: string): boolean {
  const manifest = path.join(dir, FILES.manifest);
  if (!fs.existsSync(manifest)) return false;
  try {
    return JSON.parse(fs.readFileSync(manifest, 'utf8')).format === INDEX_FORMAT;
  } catch {
    return false;
  }
}

export async function loadIndex(dir: string, opts: { ef?: number } = {}): Promise<LoadedIndex> {
  if (!indexExists(dir)) throw new IndexMissingError(`no index in ${dir}: run npm run ingest`);
  const read = (f: string) => fs.readFileSync(path.join(dir, f), 'utf8');
  const manifest: Manifest = JSON.parse(read(FILES.manifest));
  const { guides, docs } = JSON.parse(read(FILES.knowledge)) as { guides: Guide[]; docs: Doc[] };
  const chunks: Chunk[] = JSON.parse(read(FILES.chunks));
  const tokenizer = createLexicalTokenizer(JSON.parse(read(FILES.lexicon)));
  const bm25 = loadLexicalIndex(read(FILES.bm25), tokenizer);
  const hnsw = new hnswlib.HierarchicalNSW('cosine', manifest.model.dims);
  hnsw.readIndexSync(path.join(dir, FILES.hnsw));
  hnsw.setEf(opts.ef ?? 128);
  const modelDir = path.isAbsolute(manifest.model.dir) ? manifest.model.dir : path.join(dir, manifest.model.dir);
  const embedder = await loadEmbedder(modelDir);
  return { dir, manifest, guides, docs, guideById: new Map(guides.map((g) => [g.id, g])), chunks, tokenizer, bm25, hnsw, embedder };
}
