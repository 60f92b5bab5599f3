import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import hnswlib from 'hnswlib-node';
import { chunkDoc, chunkGuide, embeddingText, type Chunk } from './chunk.ts';
import { loadEmbedder } from './embed.ts';
import type { Doc, Guide } from './guideSchema.ts';
import { buildChunkIndex, buildMatterIndex } from './lexicalIndex.ts';
import { loadKnowledge, type KnowledgeProblem } from './loadKnowledge.ts';
import { buildCorpusModel, type BuildModelOptions } from './model/buildModel.ts';
import { createProgress } from './progress.ts';
import { writeAtomic } from './writeAtomic.ts';
import { baseName, createLexicalTokenizer } from './tokenize.ts';

/** Bump when the index layout or the chunking changes, so an old index is rebuilt rather than misread (4: the matter index has a `phrasing` field). */
export const INDEX_FORMAT = 4;

export const HNSW_PARAMS = { m: 16, efConstruction: 200, seed: 100 };

export interface IngestOptions {
  knowledgeDir: string;
  outDir: string;
  /** Any transformers.js model folder; default: the built-in model in `<outDir>/model`, built when missing. */
  modelDir?: string;
  rebuildModel?: boolean;
  /** Fail on any invalid guide instead of skipping it. */
  strict?: boolean;
  quiet?: boolean;
  modelOptions?: BuildModelOptions;
}

export interface IngestSummary {
  matters: number;
  docs: number;
  chunks: number;
  /** Everyday phrasings indexed (knowledge/phrasings, ADR 10). */
  phrasings: number;
  embedded: number;
  reused: number;
  modelBuilt: boolean;
  model: { dir: string; hash: string; dims: number; pooling: string; builtIn: boolean };
  upToDate: boolean;
  problems: KnowledgeProblem[];
  ms: Record<string, number>;
}

/** The persisted description of an index. Everything a reader needs to trust the artifacts beside it. */
export interface Manifest {
  format: number;
  builtAt: string;
  knowledgeDir: string;
  inputHash: string;
  model: IngestSummary['model'];
  counts: { matters: number; docs: number; chunks: number; phrasings: number };
  hnsw: typeof HNSW_PARAMS;
  problems: KnowledgeProblem[];
}

export class IngestError extends Error {
  constructor(message: string, readonly problems: KnowledgeProblem[] = []) {
    super(message);
  }
}

export const FILES = {
  manifest: 'manifest.json',
  knowledge: 'knowledge.json',
  chunks: 'chunks.json',
  lexicon: 'lexicon.json',
  units: 'matters.json',
  matterBm25: 'matters-bm25.json',
  chunkBm25: 'chunks-bm25.json',
  hnsw: 'dense.hnsw',
  matterHnsw: 'matters.hnsw',
  vectors: 'vectors.f32',
  vectorKeys: 'vectors.json',
  model: 'model',
} as const;

const sha256 = (data: crypto.BinaryLike) => crypto.createHash('sha256').update(data).digest('hex');

/** Hash of the files that decide a model's output, so vectors are reused only for the very same model. */
export function modelHash(dir: string): string {
  const h = crypto.createHash('sha256');
  for (const f of ['config.json', 'tokenizer.json', 'tokenizer_config.json', path.join('onnx', 'model.onnx'), path.join('1_Pooling', 'config.json')]) {
    const p = path.join(dir, f);
    h.update(f).update(fs.existsSync(p) ? fs.readFileSync(p) : Buffer.alloc(0));
  }
  return h.digest('hex').slice(0, 32);
}


/** Words that jieba must keep whole: matter names without variant suffix, and the aliases citizens use. */
export function lexiconOf(guides: Guide[]): string[] {
  const words = new Set<string>();
  for (const g of guides) {
    words.add(baseName(g.name));
    for (const a of g.aliases) words.add(a);
  }
  return [...words].sort();
}

/** A retrievable unit: a matter (guide) or a knowledge document. Its position is its label in matters.hnsw. */
export interface MatterUnit {
  id: string;
  name: string;
  kind: 'guide' | 'doc';
  audience: string[];
}

function writeHnsw(file: string, vectors: Float32Array, dims: number): void {
  const n = vectors.length / dims;
  const index = new hnswlib.HierarchicalNSW('cosine', dims);
  index.initIndex(Math.max(n, 1), HNSW_PARAMS.m, HNSW_PARAMS.efConstruction, HNSW_PARAMS.seed);
  for (let i = 0; i < n; i++) index.addPoint(Array.from(vectors.subarray(i * dims, (i + 1) * dims)), i);
  writeAtomic(file, (tmp) => index.writeIndexSync(tmp));
}

function centroids(units: MatterUnit[], chunks: Chunk[], vectors: Float32Array, dims: number): Float32Array {
  const pos = new Map(units.map((u, i) => [u.id, i]));
  const out = new Float32Array(units.length * dims);
  chunks.forEach((c, i) => {
    const m = pos.get(c.matterId)!;
    for (let d = 0; d < dims; d++) out[m * dims + d] += vectors[i * dims + d];
  });
  for (let m = 0; m < units.length; m++) {
    const row = out.subarray(m * dims, (m + 1) * dims);
    const norm = Math.hypot(...row) || 1;
    for (let d = 0; d < dims; d++) row[d] /= norm;
  }
  return out;
}

interface VectorCache {
  modelHash: string;
  dims: number;
  keys: string[];
  vectors: Float32Array;
}

function readVectorCache(outDir: string): VectorCache | null {
  try {
    const meta = JSON.parse(fs.readFileSync(path.join(outDir, FILES.vectorKeys), 'utf8'));
    const buf = fs.readFileSync(path.join(outDir, FILES.vectors));
    const vectors = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
    if (vectors.length !== meta.keys.length * meta.dims) return null;
    return { ...meta, vectors };
  } catch {
    return null;
  }
}

/**
 * Builds (or brings up to date) the index of a knowledge folder: chunks, BM25, embeddings in HNSW, manifest.
 * Unchanged chunks keep their vectors while the model is unchanged; with nothing changed it returns at once.
 */
export async function ingest(opts: IngestOptions): Promise<IngestSummary> {
  const ms: Record<string, number> = {};
  let t = performance.now();
  const lap = (name: string) => {
    const now = performance.now();
    ms[name] = Math.round(now - t);
    t = now;
  };
  const log = (line: string) => {
    if (!opts.quiet) process.stderr.write(`${line}\n`);
  };
  fs.mkdirSync(opts.outDir, { recursive: true });

  const knowledge = loadKnowledge(opts.knowledgeDir);
  for (const p of knowledge.problems) log(`无效：${p.file} ${p.field}: ${p.reason}`);
  if (opts.strict && knowledge.problems.length) {
    throw new IngestError(`${knowledge.problems.length} 处知识库错误（--strict）`, knowledge.problems);
  }
  if (!knowledge.guides.length && !knowledge.docs.length) {
    throw new IngestError(`知识库目录 ${opts.knowledgeDir} 中没有可用的办事指南或文档`, knowledge.problems);
  }
  const chunks: Chunk[] = [];
  for (const g of knowledge.guides) chunks.push(...(await chunkGuide(g)));
  for (const d of knowledge.docs) chunks.push(...(await chunkDoc(d)));
  lap('load');

  // The embedding model: an operator's folder, or the built-in one, built from the corpus when missing.
  const builtIn = !opts.modelDir;
  const modelDir = path.resolve(opts.modelDir ?? path.join(opts.outDir, FILES.model));
  let modelBuilt = false;
  if (builtIn && (opts.rebuildModel || !fs.existsSync(path.join(modelDir, 'onnx', 'model.onnx')))) {
    log('构建内置向量模型…');
    const texts = chunks.map(embeddingText);
    await buildCorpusModel(texts, chunks.map((c) => c.matterId), lexiconOf(knowledge.guides), modelDir, opts.modelOptions);
    modelBuilt = true;
  }
  const mHash = modelHash(modelDir);
  lap('model');

  const inputHash = sha256(
    JSON.stringify({
      format: INDEX_FORMAT,
      chunks: chunks.map((c) => [c.id, c.hash]),
      knowledge: sha256(JSON.stringify({ g: knowledge.guides, d: knowledge.docs, p: [...knowledge.phrasings] })),
      problems: knowledge.problems,
    }),
  ).slice(0, 32);
  const phrasings = [...knowledge.phrasings.values()].reduce((n, l) => n + l.length, 0);
  const manifestPath = path.join(opts.outDir, FILES.manifest);
  const previous: Manifest | null = fs.existsSync(manifestPath) ? JSON.parse(fs.readFileSync(manifestPath, 'utf8')) : null;
  const artifactsPresent = Object.values(FILES).every((f) => fs.existsSync(path.join(opts.outDir, f)));
  if (previous && previous.inputHash === inputHash && previous.model.hash === mHash && artifactsPresent && !modelBuilt) {
    lap('check');
    return {
      ...previous.counts,
      phrasings, // also for a manifest written before phrasings were counted
      embedded: 0,
      reused: previous.counts.chunks,
      modelBuilt: false,
      model: previous.model,
      upToDate: true,
      problems: knowledge.problems,
      ms,
    };
  }

  // Embeddings: reuse what the same model already computed for the same text.
  const embedder = await loadEmbedder(modelDir);
  const cache = readVectorCache(opts.outDir);
  const cached = new Map<string, Float32Array>();
  if (cache && cache.modelHash === mHash && cache.dims === embedder.dims) {
    cache.keys.forEach((k, i) => cached.set(k, cache.vectors.subarray(i * cache.dims, (i + 1) * cache.dims)));
  }
  const missing = [...new Set(chunks.filter((c) => !cached.has(c.hash)).map((c) => c))];
  const progress = createProgress({ quiet: opts.quiet });
  if (missing.length) {
    progress.start(missing.length, '向量化');
    const step = 256;
    for (let i = 0; i < missing.length; i += step) {
      const batch = missing.slice(i, i + step);
      const vecs = await embedder.embed(batch.map(embeddingText));
      batch.forEach((c, j) => cached.set(c.hash, vecs[j]));
      progress.update(Math.min(i + step, missing.length));
    }
    progress.stop();
  }
  lap('embed');

  const dims = embedder.dims;
  const vectors = new Float32Array(chunks.length * dims);
  chunks.forEach((c, i) => vectors.set(cached.get(c.hash)!, i * dims));
  writeHnsw(path.join(opts.outDir, FILES.hnsw), vectors, dims);
  // A matter's vector: the normalised mean of its chunks' vectors (ranks matters; chunks pick sections).
  const units: MatterUnit[] = [
    ...knowledge.guides.map((g) => ({ id: g.id, name: g.name, kind: 'guide' as const, audience: g.audience })),
    ...knowledge.docs.map((d) => ({ id: d.id, name: d.title ?? d.id, kind: 'doc' as const, audience: [] })),
  ];
  writeHnsw(path.join(opts.outDir, FILES.matterHnsw), centroids(units, chunks, vectors, dims), dims);
  lap('hnsw');

  const lexicon = lexiconOf(knowledge.guides);
  const tokenizer = createLexicalTokenizer(lexicon);
  const matterBm25 = buildMatterIndex(knowledge.guides, knowledge.docs, tokenizer, knowledge.phrasings);
  const chunkBm25 = buildChunkIndex(chunks, tokenizer);
  lap('bm25');

  writeAtomic(path.join(opts.outDir, FILES.vectors), Buffer.from(vectors.buffer));
  writeAtomic(path.join(opts.outDir, FILES.vectorKeys), JSON.stringify({ modelHash: mHash, dims, keys: chunks.map((c) => c.hash) }));
  writeAtomic(path.join(opts.outDir, FILES.matterBm25), JSON.stringify(matterBm25));
  writeAtomic(path.join(opts.outDir, FILES.chunkBm25), JSON.stringify(chunkBm25));
  writeAtomic(path.join(opts.outDir, FILES.units), JSON.stringify(units));
  writeAtomic(path.join(opts.outDir, FILES.lexicon), JSON.stringify(lexicon));
  writeAtomic(path.join(opts.outDir, FILES.chunks), JSON.stringify(chunks));
  writeAtomic(path.join(opts.outDir, FILES.knowledge), JSON.stringify({ guides: knowledge.guides, docs: knowledge.docs satisfies Doc[] }));
  // The built-in model is referred to relative to the index, so an index folder can be moved or copied.
  const summaryModel = { dir: builtIn ? FILES.model : modelDir, hash: mHash, dims, pooling: embedder.pooling, builtIn };
  const manifest: Manifest = {
    format: INDEX_FORMAT,
    builtAt: new Date().toISOString(),
    knowledgeDir: path.resolve(opts.knowledgeDir),
    inputHash,
    model: summaryModel,
    counts: { matters: knowledge.guides.length, docs: knowledge.docs.length, chunks: chunks.length, phrasings },
    hnsw: HNSW_PARAMS,
    problems: knowledge.problems,
  };
  writeAtomic(manifestPath, JSON.stringify(manifest, null, 2)); // last: a manifest means a complete index
  lap('write');
  return {
    ...manifest.counts,
    embedded: missing.length,
    reused: chunks.length - missing.length,
    modelBuilt,
    model: summaryModel,
    upToDate: false,
    problems: knowledge.problems,
    ms,
  };
}
