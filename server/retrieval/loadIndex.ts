import fs from 'node:fs';
import path from 'node:path';
import hnswlib from 'hnswlib-node';
import { FILES, INDEX_FORMAT, type Manifest, type MatterUnit } from '../../ingest/build.ts';
import type { Chunk } from '../../ingest/chunk.ts';
import { loadEmbedder, type Embedder } from '../../ingest/embed.ts';
import type { Doc, Guide } from '../../ingest/guideSchema.ts';
import type { Bm25Index } from '../../ingest/bm25.ts';
import { loadChunkBm25, loadMatterBm25 } from '../../ingest/lexicalIndex.ts';
import { createLexicalTokenizer, type LexicalTokenizer } from '../../ingest/tokenize.ts';

/** A loaded, read-only index: everything retrieval and answering need, in memory. */
export interface LoadedIndex {
  dir: string;
  manifest: Manifest;
  guides: Guide[];
  docs: Doc[];
  guideById: Map<string, Guide>;
  /** Matters and documents; a unit's position is its label in the matter HNSW index. */
  units: MatterUnit[];
  unitPos: Map<string, number>;
  chunks: Chunk[];
  /** Chunk positions of each matter, in section order. */
  chunksOf: Map<string, number[]>;
  tokenizer: LexicalTokenizer;
  /** Matters (and documents) by BM25. */
  matterBm25: Bm25Index<string>;
  /** Chunks by BM25 (a hit's id is the chunk's position in `chunks`): picks the section shown for a matter. */
  chunkBm25: Bm25Index<number>;
  /**
   * The embedding model and the HNSW indexes, loaded on first use: the default BM25 mode never needs them
   * (they are ~90 MB of the server's memory); hybrid and dense retrieval load them at start (Retriever).
   */
  dense: () => Promise<DenseIndex>;
}

export interface DenseIndex {
  embedder: Embedder;
  chunkHnsw: hnswlib.HierarchicalNSW;
  matterHnsw: hnswlib.HierarchicalNSW;
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

/** Made on first call; a failed load is tried again on the next call. */
function lazyAsync<T>(make: () => Promise<T>): () => Promise<T> {
  let value: Promise<T> | undefined;
  return () =>
    (value ??= make().catch((err) => {
      value = undefined;
      throw err;
    }));
}

function readHnsw(file: string, dims: number, ef: number): hnswlib.HierarchicalNSW {
  const index = new hnswlib.HierarchicalNSW('cosine', dims);
  index.readIndexSync(file);
  index.setEf(ef);
  return index;
}

export async function loadIndex(dir: string, opts: { ef?: number } = {}): Promise<LoadedIndex> {
  if (!indexExists(dir)) throw new IndexMissingError(`no index in ${dir}: run npm run ingest`);
  const read = (f: string) => fs.readFileSync(path.join(dir, f), 'utf8');
  const manifest: Manifest = JSON.parse(read(FILES.manifest));
  const { guides, docs } = JSON.parse(read(FILES.knowledge)) as { guides: Guide[]; docs: Doc[] };
  const units: MatterUnit[] = JSON.parse(read(FILES.units));
  const chunks: Chunk[] = JSON.parse(read(FILES.chunks));
  const chunksOf = new Map<string, number[]>();
  chunks.forEach((c, i) => chunksOf.set(c.matterId, [...(chunksOf.get(c.matterId) ?? []), i]));
  const tokenizer = createLexicalTokenizer(JSON.parse(read(FILES.lexicon)));
  const dims = manifest.model.dims;
  const ef = opts.ef ?? 128;
  const modelDir = path.isAbsolute(manifest.model.dir) ? manifest.model.dir : path.join(dir, manifest.model.dir);
  return {
    dir,
    manifest,
    guides,
    docs,
    guideById: new Map(guides.map((g) => [g.id, g])),
    units,
    unitPos: new Map(units.map((u, i) => [u.id, i])),
    chunks,
    chunksOf,
    tokenizer,
    matterBm25: loadMatterBm25(read(FILES.matterBm25), tokenizer),
    chunkBm25: loadChunkBm25(read(FILES.chunkBm25), tokenizer),
    dense: lazyAsync(async () => ({
      embedder: await loadEmbedder(modelDir),
      chunkHnsw: readHnsw(path.join(dir, FILES.hnsw), dims, ef),
      matterHnsw: readHnsw(path.join(dir, FILES.matterHnsw), dims, ef),
    })),
  };
}
