import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import MiniSearch from 'minisearch';
import { ingest } from '../ingest/build.ts';
import { loadIndex } from '../server/retrieval/loadIndex.ts';
import { Retriever, type RetrievalMode } from '../server/retrieval/retrieve.ts';
import { mean, scoreRankings, type RetrievalScores } from './metrics.ts';

/**
 * External retrieval benchmark on real public FAQ data (../shared/datasets, see its PROVENANCE.md): every
 * distinct answer is a document of a throw-away knowledge base, every question a query; the retriever has to
 * find the paired answer. The data is for measurement only, so it is written under os.tmpdir() and never
 * into the repo. Nothing here may be tuned question by question.
 */

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const DEFAULT_DATASETS_DIR = path.resolve(REPO_ROOT, '../shared/datasets');
export const DEFAULT_WORK_DIR = path.join(os.tmpdir(), 'huiban-external');
export const DATASET_FILES = ['msga-nlu.jsonl', 'msga-qa.jsonl'] as const;

const MODES: RetrievalMode[] = ['bm25', 'dense', 'hybrid'];
const K = 10;

export type ExternalConfig = RetrievalMode | 'baselineBigram';

export interface ExternalDatasetReport {
  dataset: string;
  docs: number;
  questions: number;
  configs: Record<ExternalConfig, RetrievalScores>;
  ingestMs: number;
  /** Rows left out because they have no answer text (nothing to retrieve). */
  skippedRows: number;
  chunks: number;
  /** Mean wall time per question of each config (ms), for orientation only. */
  msPerQuestion: Record<ExternalConfig, number>;
}

export interface ExternalReport {
  datasetsDir: string;
  workDir: string;
  datasets: ExternalDatasetReport[];
}

interface SourceRow {
  id: string;
  question: string;
  answer: string;
  department?: string;
}

interface FaqDoc {
  id: string;
  title?: string;
  text: string;
}

interface FaqQuestion {
  question: string;
  gold: string[];
}

/**
 * Overlapping character pairs of each run of letters and digits: the dictionary-free n-gram tokenizer that is
 * the classic baseline for Chinese search. A one-character run stays a unigram so it is not lost.
 */
export function bigramTokenize(text: string): string[] {
  const out: string[] = [];
  for (const run of text.match(/[\p{L}\p{N}]+/gu) ?? []) {
    const chars = [...run];
    if (chars.length === 1) out.push(chars[0]);
    for (let i = 0; i + 1 < chars.length; i++) out.push(chars[i] + chars[i + 1]);
  }
  return out;
}

/** A MiniSearch index with default settings (BM25+, OR) except the bigram tokenizer. */
export function bigramIndex<T extends { id: string | number }>(fields: string[], docs: T[]): MiniSearch<T> {
  const ms = new MiniSearch<T>({ fields, storeFields: [], tokenize: bigramTokenize });
  ms.addAll(docs);
  return ms;
}

function readJsonl(file: string): SourceRow[] {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line) as SourceRow);
}

/**
 * One document per distinct answer text (rows repeating an answer share it); a question's gold is the
 * document holding its answer. Rows without an answer cannot be scored and are counted as skipped.
 */
export function faqCorpus(rows: SourceRow[]): { docs: FaqDoc[]; questions: FaqQuestion[]; skipped: number } {
  const docByText = new Map<string, FaqDoc>();
  const questions: FaqQuestion[] = [];
  let skipped = 0;
  for (const row of rows) {
    const text = (row.answer ?? '').trim();
    const question = (row.question ?? '').trim();
    if (!text || !question) {
      skipped++;
      continue;
    }
    let doc = docByText.get(text);
    if (!doc) {
      // The department is the title (metadata); a row without one gives an untitled document.
      const title = row.department?.trim() || undefined;
      doc = { id: `a-${docByText.size + 1}`, ...(title ? { title } : {}), text };
      docByText.set(text, doc);
    }
    questions.push({ question, gold: [doc.id] });
  }
  return { docs: [...docByText.values()], questions, skipped };
}

/** The data must never land in the repo: refuse a work folder inside it. */
function assertOutsideRepo(dir: string): void {
  const rel = path.relative(REPO_ROOT, path.resolve(dir));
  if (!rel.startsWith('..') && !path.isAbsolute(rel)) {
    throw new Error(`外部基准的工作目录不能在仓库内：${path.resolve(dir)}`);
  }
}

/** Writes the knowledge folder only when its content changed, so the index cache is hit on re-runs. */
function writeKnowledge(knowledgeDir: string, docs: FaqDoc[]): void {
  const file = path.join(knowledgeDir, 'docs', 'answers.jsonl');
  const content = docs.map((d) => JSON.stringify(d)).join('\n') + '\n';
  fs.mkdirSync(path.dirname(file), { recursive: true });
  if (!fs.existsSync(file) || fs.readFileSync(file, 'utf8') !== content) fs.writeFileSync(file, content);
}

async function scoreConfig(
  questions: FaqQuestion[],
  rank: (q: string) => Promise<string[]> | string[],
): Promise<{ scores: RetrievalScores; msPerQuestion: number }> {
  const rows: { ranked: string[]; gold: string[] }[] = [];
  const times: number[] = [];
  for (const q of questions) {
    const t = performance.now();
    const ranked = await rank(q.question);
    times.push(performance.now() - t);
    rows.push({ ranked, gold: q.gold });
  }
  return { scores: scoreRankings(rows), msPerQuestion: Number(mean(times).toFixed(3)) };
}

async function runDataset(file: string, workDir: string, log: (line: string) => void): Promise<ExternalDatasetReport> {
  const dataset = path.basename(file, '.jsonl');
  const { docs, questions, skipped } = faqCorpus(readJsonl(file));
  const base = path.join(workDir, dataset);
  const knowledgeDir = path.join(base, 'knowledge');
  const outDir = path.join(base, 'index');
  writeKnowledge(knowledgeDir, docs);

  log(`${dataset}: ${docs.length} 篇答案，${questions.length} 个问题；建索引…`);
  const t0 = performance.now();
  const summary = await ingest({ knowledgeDir, outDir, quiet: true });
  const ingestMs = Math.round(performance.now() - t0);
  if (summary.problems.length) log(`${dataset}: ${summary.problems.length} 篇文档无效（已跳过）`);

  const retriever = new Retriever(await loadIndex(outDir));
  const configs = {} as Record<ExternalConfig, RetrievalScores>;
  const msPerQuestion = {} as Record<ExternalConfig, number>;
  for (const mode of MODES) {
    log(`${dataset}: ${mode}…`);
    const r = await scoreConfig(questions, async (q) => (await retriever.retrieve(q, { k: K, mode, sections: false })).matters.map((m) => m.matterId));
    configs[mode] = r.scores;
    msPerQuestion[mode] = r.msPerQuestion;
  }
  // Same documents, same fields the retriever sees (title + text), only the tokenizer and defaults differ.
  const baseline = bigramIndex(['title', 'text'], docs.map((d) => ({ ...d, title: d.title ?? '' })));
  const b = await scoreConfig(questions, (q) => baseline.search(q).slice(0, K).map((r) => r.id as string));
  configs.baselineBigram = b.scores;
  msPerQuestion.baselineBigram = b.msPerQuestion;

  return { dataset, docs: docs.length, questions: questions.length, configs, ingestMs, skippedRows: skipped, chunks: summary.chunks, msPerQuestion };
}

/**
 * Runs the benchmark on every dataset file. Returns null, with one line on stderr, when the datasets are not
 * there (a checkout without ../shared): the benchmark is optional, its absence is not an error.
 */
export async function runExternalBenchmark(
  opts: { datasetsDir?: string; workDir?: string; quiet?: boolean } = {},
): Promise<ExternalReport | null> {
  const datasetsDir = path.resolve(opts.datasetsDir ?? DEFAULT_DATASETS_DIR);
  const workDir = path.resolve(opts.workDir ?? DEFAULT_WORK_DIR);
  const missing = fs.existsSync(datasetsDir) ? DATASET_FILES.filter((f) => !fs.existsSync(path.join(datasetsDir, f))) : [datasetsDir];
  if (missing.length) {
    process.stderr.write(`外部基准跳过：未找到 ../shared/datasets（缺少 ${missing.join('、')}）\n`);
    return null;
  }
  assertOutsideRepo(workDir);
  const log = (line: string) => {
    if (!opts.quiet) process.stderr.write(`${line}\n`);
  };
  const datasets: ExternalDatasetReport[] = [];
  for (const f of DATASET_FILES) datasets.push(await runDataset(path.join(datasetsDir, f), workDir, log));
  return { datasetsDir, workDir, datasets };
}

const CONFIG_ORDER: ExternalConfig[] = ['bm25', 'dense', 'hybrid', 'baselineBigram'];

export function formatExternalTable(report: ExternalReport): string {
  const pct = (x: number) => (x * 100).toFixed(1);
  const lines = [
    '| dataset | docs | questions | config | hit@1 | hit@5 | MRR@10 | ms/q |',
    '|---|---:|---:|---|---:|---:|---:|---:|',
  ];
  for (const d of report.datasets) {
    for (const c of CONFIG_ORDER) {
      const s = d.configs[c];
      lines.push(`| ${d.dataset} | ${d.docs} | ${d.questions} | ${c} | ${pct(s.hit1)} | ${pct(s.hit5)} | ${s.mrr10.toFixed(3)} | ${d.msPerQuestion[c].toFixed(2)} |`);
    }
  }
  lines.push('', ...report.datasets.map((d) => `${d.dataset}: ingest ${d.ingestMs} ms, ${d.chunks} chunks, ${d.skippedRows} row(s) without answer skipped`));
  return lines.join('\n');
}

// npx tsx evals/external.ts [--json]
if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const report = await runExternalBenchmark({});
  if (report) console.log(process.argv.includes('--json') ? JSON.stringify(report, null, 2) : formatExternalTable(report));
}
