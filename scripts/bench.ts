import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FILES, ingest, type IngestSummary } from '../ingest/build.ts';
import type { Chunk } from '../ingest/chunk.ts';
import { bigramIndex } from '../evals/external.ts';
import { mean, percentile } from '../evals/metrics.ts';
import { readRows } from '../evals/rows.ts';
import { loadIndex } from '../server/retrieval/loadIndex.ts';
import { Retriever, type RetrievalMode } from '../server/retrieval/retrieve.ts';
import { formatHttpBench, runHttpBench, type HttpBenchReport } from './benchHttp.ts';
import { formatPrecheckBench, runPrecheckBench, type PrecheckBenchReport } from './benchPrecheck.ts';

/**
 * npm run bench — ingest, query-latency and memory measurements on the repo's knowledge base, with two
 * baselines (bigram MiniSearch; exact kNN against HNSW), then an HTTP load run against the real service
 * (scripts/benchHttp.ts; `--skip-http` leaves it out), then a 3-file pre-check (scripts/benchPrecheck.ts; `--skip-precheck`). Timings are measurements, never assertions: they
 * depend on the machine. Writes evals/reports/bench-latest.json.
 */

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const KNOWLEDGE = path.join(ROOT, 'knowledge');
const DEV = path.join(ROOT, 'evals', 'datasets', 'dev.jsonl');
const REPORT = path.join(ROOT, 'evals', 'reports', 'bench-latest.json');
const WARMUP = 20;
const K = 10;
/** The ef the server uses (loadIndex's default), passed explicitly so the report states what was measured. */
const HNSW_EF = 128;

const log = (line: string) => process.stderr.write(`${line}\n`);
const round = (x: number, digits = 2) => Number(x.toFixed(digits));

// ── measurement helpers ──────────────────────────────────────────────────────────────────────────────────────

interface Latency {
  n: number;
  p50: number;
  p95: number;
  mean: number;
}

function latencyOf(times: number[]): Latency {
  return { n: times.length, p50: round(percentile(times, 50), 3), p95: round(percentile(times, 95), 3), mean: round(mean(times), 3) };
}

/** Runs `fn` on the first WARMUP inputs untimed (JIT, caches, ONNX session), then times each input. */
async function timeEach<T, R>(inputs: T[], fn: (x: T) => R | Promise<R>): Promise<{ latency: Latency; results: R[] }> {
  for (const x of inputs.slice(0, WARMUP)) await fn(x);
  const times: number[] = [];
  const results: R[] = [];
  for (const x of inputs) {
    const t = performance.now();
    results.push(await fn(x));
    times.push(performance.now() - t);
  }
  return { latency: latencyOf(times), results };
}

interface Memory {
  maxRssMB: number;
  heapUsedMB: number;
}

/** Peak RSS so far (resourceUsage reports KB on Linux) and the current JS heap. */
function memory(): Memory {
  return { maxRssMB: round(process.resourceUsage().maxRSS / 1024, 1), heapUsedMB: round(process.memoryUsage().heapUsed / 1024 / 1024, 1) };
}

function dirBytes(dir: string): number {
  let total = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    total += e.isDirectory() ? dirBytes(p) : fs.statSync(p).size;
  }
  return total;
}

const mb = (bytes: number) => round(bytes / 1024 / 1024, 1);

// ── a. ingest ────────────────────────────────────────────────────────────────────────────────────────────────

interface IngestRun {
  label: string;
  wallMs: number;
  chunks: number;
  embedded: number;
  reused: number;
  modelBuilt: boolean;
  upToDate: boolean;
  ms: IngestSummary['ms'];
}

async function timedIngest(label: string, knowledgeDir: string, outDir: string): Promise<IngestRun> {
  log(`ingest: ${label}…`);
  const t = performance.now();
  const s = await ingest({ knowledgeDir, outDir, quiet: true });
  const wallMs = Math.round(performance.now() - t);
  if (s.problems.length) throw new Error(`ingest ${label}: ${s.problems.length} invalid files, the bench needs a clean knowledge base`);
  return { label, wallMs, chunks: s.chunks, embedded: s.embedded, reused: s.reused, modelBuilt: s.modelBuilt, upToDate: s.upToDate, ms: s.ms };
}

/**
 * Changes the fee of the first guide whose `fee:` is a one-line plain value: a text edit rather than a YAML
 * round trip, so nothing else in the file (quoting, comments, order) changes and only one chunk should differ.
 */
function editOneFee(knowledgeDir: string): string {
  const files = fs
    .readdirSync(path.join(knowledgeDir, 'matters'), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.yaml'))
    .sort();
  for (const rel of files) {
    const file = path.join(knowledgeDir, 'matters', rel);
    const text = fs.readFileSync(file, 'utf8');
    const m = /^fee: ([^'"|>\n][^\n]*)$/m.exec(text);
    if (!m) continue;
    fs.writeFileSync(file, text.replace(m[0], `fee: ${m[1].trimEnd()}（基准测试改动）`));
    return rel;
  }
  throw new Error('no guide with a plain one-line fee to edit');
}

async function benchIngest(outDir: string, workDir: string): Promise<{ runs: IngestRun[]; editedFile: string }> {
  const runs = [await timedIngest('cold (model build)', KNOWLEDGE, outDir), await timedIngest('re-run, unchanged', KNOWLEDGE, outDir)];
  const copy = path.join(workDir, 'knowledge');
  fs.cpSync(KNOWLEDGE, copy, { recursive: true });
  const editedFile = editOneFee(copy);
  runs.push(await timedIngest(`re-run, 1 fee edited (${editedFile})`, copy, outDir));
  // Back to the real knowledge base, so the query runs measure the index the product would serve.
  runs.push(await timedIngest('re-run, edit reverted', KNOWLEDGE, outDir));
  return { runs, editedFile };
}

// ── b. queries ───────────────────────────────────────────────────────────────────────────────────────────────

/** The chunk vectors as ingest wrote them: row i is chunk i, and label i in dense.hnsw. */
function readVectors(dir: string): { dims: number; vectors: Float32Array; n: number } {
  const { dims } = JSON.parse(fs.readFileSync(path.join(dir, FILES.vectorKeys), 'utf8')) as { dims: number };
  const buf = fs.readFileSync(path.join(dir, FILES.vectors));
  // Copy into an aligned buffer: a Buffer's byteOffset need not be a multiple of 4.
  const vectors = new Float32Array(buf.byteLength / 4);
  new Uint8Array(vectors.buffer).set(buf);
  return { dims, vectors, n: vectors.length / dims };
}

/** Exact top-k by cosine: the vectors are unit length, so cosine is the dot product. */
function exactKnn(q: Float32Array, vectors: Float32Array, dims: number, k: number): { labels: number[]; sims: number[] } {
  const n = vectors.length / dims;
  const top: { label: number; sim: number }[] = [];
  for (let i = 0; i < n; i++) {
    let s = 0;
    const o = i * dims;
    for (let d = 0; d < dims; d++) s += q[d] * vectors[o + d];
    if (top.length < k || s > top[top.length - 1].sim) {
      top.push({ label: i, sim: s });
      top.sort((a, b) => b.sim - a.sim);
      if (top.length > k) top.pop();
    }
  }
  return { labels: top.map((t) => t.label), sims: top.map((t) => t.sim) };
}

interface QueryBench {
  questions: number;
  loadIndexMs: number;
  latency: Record<string, Latency>;
  knn: { chunks: number; dims: number; ef: number; recallAt10: number; recallAt10TieAware: number };
}

async function benchQueries(indexDir: string): Promise<QueryBench> {
  const questions = readRows(DEV).map((r) => r.question);
  let t = performance.now();
  const index = await loadIndex(indexDir, { ef: HNSW_EF });
  const loadIndexMs = Math.round(performance.now() - t);
  const retriever = new Retriever(index);
  const latency: Record<string, Latency> = {};

  for (const mode of ['bm25', 'dense', 'hybrid'] as RetrievalMode[]) {
    log(`queries: ${mode}…`);
    latency[`retrieve ${mode}`] = (await timeEach(questions, (q) => retriever.retrieve(q, { k: K, mode }))).latency;
  }

  log('queries: baselines…');
  // Baseline (i): dictionary-free bigram BM25 over the same chunks, MiniSearch defaults.
  t = performance.now();
  const bigram = bigramIndex(
    ['name', 'text'],
    index.chunks.map((c: Chunk, id) => ({ id, name: c.name, text: `${c.sectionTitle}\n${c.text}` })),
  );
  const bigramBuildMs = Math.round(performance.now() - t);
  latency['baseline bigram MiniSearch (chunks)'] = (await timeEach(questions, (q) => bigram.search(q).slice(0, K))).latency;

  // Baseline (ii): the query vectors once, then exact kNN and HNSW on the very same vectors.
  const dense = await index.dense();
  const embedded = await timeEach(questions, async (q) => (await dense.embedder.embed([q]))[0]);
  latency['query embedding only'] = embedded.latency;
  const vecs = embedded.results;
  const { dims, vectors, n } = readVectors(indexDir);
  if (n !== index.chunks.length) throw new Error(`vectors.f32 has ${n} rows for ${index.chunks.length} chunks`);
  const exact = await timeEach(vecs, (v) => exactKnn(v, vectors, dims, K));
  const hnsw = await timeEach(vecs, (v) => dense.chunkHnsw.searchKnn(Array.from(v), K).neighbors);
  latency['exact kNN (brute force, chunks)'] = exact.latency;
  latency['HNSW searchKnn (dense.hnsw)'] = hnsw.latency;

  // Recall by ids; and tie-aware, since identical chunk texts have identical vectors and either copy is right.
  const byIds: number[] = [];
  const tieAware: number[] = [];
  vecs.forEach((v, i) => {
    const truth = exact.results[i];
    const kth = truth.sims[truth.sims.length - 1];
    const got = hnsw.results[i];
    byIds.push(got.filter((l) => truth.labels.includes(l)).length / K);
    tieAware.push(got.filter((l) => dot(v, vectors, l * dims, dims) >= kth - 1e-6).length / K);
  });
  log(`(bigram index built in ${bigramBuildMs} ms)`);
  return {
    questions: questions.length,
    loadIndexMs,
    latency,
    knn: { chunks: n, dims, ef: HNSW_EF, recallAt10: round(mean(byIds), 4), recallAt10TieAware: round(mean(tieAware), 4) },
  };
}

function dot(q: Float32Array, vectors: Float32Array, offset: number, dims: number): number {
  let s = 0;
  for (let d = 0; d < dims; d++) s += q[d] * vectors[offset + d];
  return s;
}

// ── report ───────────────────────────────────────────────────────────────────────────────────────────────────

interface BenchReport {
  at: string;
  machine: { node: string; cpus: number; cpuModel: string; platform: string };
  ingest: { runs: IngestRun[]; editedFile: string; memoryAfter: Memory };
  queries: QueryBench & { memoryAfter: Memory };
  index: { totalMB: number; modelMB: number; files: Record<string, number> };
  /** The HTTP load run (absent with --skip-http). */
  http?: HttpBenchReport;
  /** A 3-file pre-check with one photo, and chat latency while it runs (absent with --skip-precheck). */
  precheck?: PrecheckBenchReport;
  totalMs: number;
}

function indexSizes(dir: string): BenchReport['index'] {
  const files: Record<string, number> = {};
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    files[e.name] = mb(e.isDirectory() ? dirBytes(p) : fs.statSync(p).size);
  }
  return { totalMB: mb(dirBytes(dir)), modelMB: files[FILES.model] ?? 0, files };
}

/** A Markdown table; a column is right-aligned when it holds numbers only. */
function table(head: string[], rows: (string | number)[][]): string {
  const numeric = head.map((_, i) => rows.every((r) => typeof r[i] === 'number' || /^-?[\d.]+$/.test(String(r[i]))));
  const rule = `|${numeric.map((n) => (n ? '---:' : '---')).join('|')}|`;
  return [`| ${head.join(' | ')} |`, rule, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

function format(r: BenchReport): string {
  const msOf = (run: IngestRun) => Object.entries(run.ms).map(([k, v]) => `${k} ${v}`).join(', ');
  const out = [
    `## Ingest (${r.ingest.runs[0].chunks} chunks)`,
    table(
      ['run', 'wall ms', 'embedded', 'reused', 'breakdown (ms)'],
      r.ingest.runs.map((run) => [run.label, run.wallMs, run.embedded, run.reused, run.upToDate ? `up to date: ${msOf(run)}` : msOf(run)]),
    ),
    '',
    `## Query latency (${r.queries.questions} dev questions, ${WARMUP} warm-up, k=${K}; loadIndex ${r.queries.loadIndexMs} ms)`,
    table(
      ['path', 'p50 ms', 'p95 ms', 'mean ms'],
      Object.entries(r.queries.latency).map(([name, l]) => [name, l.p50.toFixed(3), l.p95.toFixed(3), l.mean.toFixed(3)]),
    ),
    '',
    `HNSW recall@10 vs exact kNN (${r.queries.knn.chunks} × ${r.queries.knn.dims}, ef ${r.queries.knn.ef}): ` +
      `${r.queries.knn.recallAt10} by id, ${r.queries.knn.recallAt10TieAware} tie-aware`,
    '',
    '## Memory and disk',
    table(
      ['point', 'peak RSS MB', 'heapUsed MB'],
      [
        ['after ingest', r.ingest.memoryAfter.maxRssMB, r.ingest.memoryAfter.heapUsedMB],
        ['after queries', r.queries.memoryAfter.maxRssMB, r.queries.memoryAfter.heapUsedMB],
      ],
    ),
    '',
    `Index on disk: ${r.index.totalMB} MB (model ${r.index.modelMB} MB).`,
    ...(r.http ? ['', formatHttpBench(r.http)] : []),
    '',
    `Total bench ${(r.totalMs / 1000).toFixed(1)} s.`,
  ];
  return out.join('\n');
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'huiban-bench-'));
  const outDir = path.join(workDir, 'index');
  try {
    const ingestRes = await benchIngest(outDir, workDir);
    const ingestMemory = memory();
    const queries = await benchQueries(outDir);
    const queriesMemory = memory();
    // The service in a child process on the index just built (the load generator runs here).
    const http = process.argv.includes('--skip-http') ? undefined : await runHttpBench({ indexDir: outDir });
    const precheck = process.argv.includes('--skip-precheck') ? undefined : await runPrecheckBench({ indexDir: outDir });
    const report: BenchReport = {
      at: new Date().toISOString(),
      machine: { node: process.version, cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? '', platform: `${os.platform()} ${os.arch()}` },
      ingest: { ...ingestRes, memoryAfter: ingestMemory },
      queries: { ...queries, memoryAfter: queriesMemory },
      index: indexSizes(outDir),
      http,
      precheck,
      totalMs: 0,
    };
    report.totalMs = Math.round(performance.now() - t0);
    fs.mkdirSync(path.dirname(REPORT), { recursive: true });
    fs.writeFileSync(REPORT, JSON.stringify(report, null, 2) + '\n');
    console.log(format(report));
    if (precheck) console.log(`\n${formatPrecheckBench(precheck)}`);
    console.log(`\nJSON: ${path.relative(ROOT, REPORT)}`);
  } finally {
    fs.rmSync(workDir, { recursive: true, force: true });
  }
}

await main();
