import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ingest } from '../ingest/build.ts';
import { modelFromConfig } from '../server/answer/llm/provider.ts';
import { AnswerPipeline } from '../server/answer/pipeline.ts';
import { loadConfig } from '../server/config.ts';
import { loadIndex } from '../server/retrieval/loadIndex.ts';
import { DEFAULT_MODE, Retriever, type RetrievalMode } from '../server/retrieval/retrieve.ts';
import { evalAnswers, type AnswerReport } from './answerEval.ts';
import { formatExternalTable, runExternalBenchmark } from './external.ts';
import { writeReports, type EvalSummary } from './report.ts';
import { evalRetrieval, type RetrievalReport } from './retrievalEval.ts';
import { evalPrecheck, readPrecheckCases } from './precheckEval.ts';
import { Prechecker } from '../server/precheck/precheck.ts';
import { CachedExtractorPool } from './extractCache.ts';
import { readRows } from './rows.ts';

// npm run eval -- [--only retrieval|answers|precheck] [--mode extractive|llm] [--ci] [--index DIR] [--no-external]
//                 [--fresh-extract]
const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    ci: { type: 'boolean', default: false },
    index: { type: 'string', default: process.env.INDEX_DIR ?? '.index' },
    knowledge: { type: 'string', default: process.env.KNOWLEDGE_DIR ?? 'knowledge' },
    'no-external': { type: 'boolean', default: false },
    /** Extract the pre-check fixtures' text again instead of reading evals/.cache/extract. */
    'fresh-extract': { type: 'boolean', default: false },
    mode: { type: 'string', default: 'extractive' },
  },
});
if (values.mode !== 'extractive' && values.mode !== 'llm') {
  console.error('--mode 只能是 extractive 或 llm');
  process.exit(2);
}
// --mode llm runs the answer sets through the configured model (LLM_BASE_URL, LLM_MODEL): there is none by default.
const config = loadConfig();
const model = values.mode === 'llm' ? modelFromConfig(config) : undefined;
if (values.mode === 'llm' && !model) {
  console.error('--mode llm 需要配置 LLM_BASE_URL 和 LLM_MODEL（任一 OpenAI 兼容服务）；当前未配置，未运行。');
  process.exit(2);
}
const PARTS = ['retrieval', 'answers', 'precheck'] as const;
if (values.only && !PARTS.includes(values.only as never)) {
  console.error(`--only 只能是 ${PARTS.join(' 或 ')}`);
  process.exit(2);
}
const run = (part: (typeof PARTS)[number]) => !values.only || values.only === part;

const REPORTS = 'evals/reports';
/** The day the pre-check fixtures were made for (evals/fixtures/precheck/README.md): validity is judged on it. */
const PRECHECK_TODAY = new Date('2026-11-22T00:00:00Z');
const fmt = (x: number) => x.toFixed(3);
const t0 = performance.now();
await ingest({ knowledgeDir: values.knowledge!, outDir: values.index!, quiet: true });
const index = await loadIndex(values.index!);
const retriever = new Retriever(index);
const dev = readRows('evals/datasets/dev.jsonl');
const scope = readRows('evals/datasets/scope.jsonl');
// Questions asked as a company or as an individual (the widget sends `audience`): optional file.
const audienceFile = 'evals/datasets/audience.jsonl';
const byAudience = fs.existsSync(audienceFile) ? readRows(audienceFile) : [];
const failures: string[] = [];
const thresholds = JSON.parse(fs.readFileSync('evals/thresholds.json', 'utf8')) as {
  retrieval: Record<string, number>;
  answers: { min: Record<string, number>; max: Record<string, number> };
  precheck?: { min: Record<string, number>; max: Record<string, number> };
};
const guard = (scores: Record<string, number>, min: Record<string, number>, max: Record<string, number> = {}) => {
  for (const [m, v] of Object.entries(min)) if (scores[m] < v) failures.push(`${m} = ${fmt(scores[m])}，低于阈值 ${fmt(v)}（差 ${fmt(v - scores[m])}）`);
  for (const [m, v] of Object.entries(max)) if (scores[m] > v) failures.push(`${m} = ${fmt(scores[m])}，高于上限 ${fmt(v)}（超 ${fmt(scores[m] - v)}）`);
};

const summary: Record<string, unknown> = { at: new Date().toISOString(), defaultMode: DEFAULT_MODE };

if (run('retrieval')) {
  const reports: Record<string, RetrievalReport> = {};
  for (const mode of ['bm25', 'dense', 'hybrid'] as RetrievalMode[]) reports[mode] = await evalRetrieval(retriever, dev, mode);
  const splits = Object.keys(reports.hybrid.bySplit);
  console.log(`\n检索评测（dev 集 ${dev.length} 题，默认模式 ${DEFAULT_MODE}）`);
  console.log(`| mode | hit@1 | hit@5 | MRR@10 | ${splits.map((s) => `${s} hit@1`).join(' | ')} |`);
  console.log(`|---|---|---|---|${splits.map(() => '---').join('|')}|`);
  for (const [mode, r] of Object.entries(reports)) {
    console.log(`| ${mode} | ${fmt(r.overall.hit1)} | ${fmt(r.overall.hit5)} | ${fmt(r.overall.mrr10)} | ${Object.values(r.bySplit).map((s) => fmt(s.hit1)).join(' | ')} |`);
  }
  if (byAudience.length) {
    const r = await evalRetrieval(retriever, byAudience, DEFAULT_MODE);
    console.log(`按服务对象提问（${byAudience.length} 题，带 audience 过滤）：hit@1 ${fmt(r.overall.hit1)}，hit@5 ${fmt(r.overall.hit5)}，MRR@10 ${fmt(r.overall.mrr10)}`);
    summary.audience = r.overall;
  }
  summary.dev = Object.fromEntries(Object.entries(reports).map(([m, r]) => [m, { overall: r.overall, bySplit: r.bySplit }]));
  summary.worstRetrieval = reports[DEFAULT_MODE].misses.slice(0, 30);
  guard(reports[DEFAULT_MODE].overall as unknown as Record<string, number>, thresholds.retrieval);
}

if (run('answers')) {
  const pipeline = new AnswerPipeline(index, retriever, undefined, model ? { model, timeoutMs: config.LLM_TIMEOUT_MS } : undefined);
  const { report } = await evalAnswers(pipeline, [...dev, ...scope, ...byAudience]);
  const a: AnswerReport = report;
  console.log(`\n回答评测（${values.mode}，dev ${dev.length} + scope ${scope.length}${byAudience.length ? ` + audience ${byAudience.length}` : ''} 题）`);
  console.log('| 首选事项正确 | 回答准确 | 事实召回 | 引用精确 | 引用召回 | 超范围拒答 | 范围内误拒 | 拒答精确 | 澄清率 |');
  console.log('|---|---|---|---|---|---|---|---|---|');
  console.log(
    `| ${[a.topInGold, a.answerAccuracy, a.factRecall, a.citationPrecision, a.citationRecall, a.oosRefused, a.inScopeRefused, a.refusalPrecision, a.clarifyRate].map(fmt).join(' | ')} |`,
  );
  console.log(`按类别（按预期处理的比例）：${Object.entries(a.bySplit).map(([s, v]) => `${s} ${v.ok}/${v.n}`).join('，')}`);
  console.log(`各步骤耗时 p50/p95（ms）：${Object.entries(a.steps).map(([s, v]) => `${s} ${v.p50}/${v.p95}`).join('，')}`);
  summary.answers = a;
  guard(a as unknown as Record<string, number>, thresholds.answers.min, thresholds.answers.max);
}

// Material pre-check over the generated documents (evals/fixtures/precheck), judged on the fixtures' fixed day.
const precheckFile = 'evals/datasets/precheck.jsonl';
if (run('precheck') && fs.existsSync(precheckFile)) {
  // Two cases at a time over two extraction workers (one per core), each fixture file's text extracted once
  // and kept for the next run (evals/extractCache.ts): statuses are what is scored here; pre-check latency is
  // measured by `npm run bench` (cold files).
  const extractors = new CachedExtractorPool(2, 1, { cacheRoot: 'evals/.cache/extract', fresh: values['fresh-extract'] });
  const prechecker = new Prechecker(index.guideById, { concurrency: 2, extractors });
  const r = await evalPrecheck(prechecker, readPrecheckCases(precheckFile), { today: PRECHECK_TODAY, parallel: 2 });
  await prechecker.close();
  console.log(`\n材料预审评测（${r.cases} 个案例，${r.materials} 项材料）`);
  console.log('| 状态准确率 | 齐全识别率 | 误报齐全 | 照片/扫描件准确率 | 文件归属准确率 | 无关文件召回 | 每案 p50/p95 ms |');
  console.log('|---|---|---|---|---|---|---|');
  console.log(`| ${fmt(r.statusAccuracy)} | ${fmt(r.completeRecall)} | ${r.falseComplete} | ${fmt(r.photoAccuracy)} | ${fmt(r.fileAccuracy)} | ${fmt(r.unmatchedRecall)} | ${r.latency.p50}/${r.latency.p95} |`);
  console.log(`按预期状态：${Object.entries(r.byStatus).map(([s, v]) => `${s} ${fmt(v.accuracy)}（${v.n}）`).join('，')}`);
  console.log(`文件文字：${extractors.hits} 个取自缓存（evals/.cache/extract），${extractors.misses} 个本次提取${extractors.hits ? '；每案耗时不含这些文件的提取，重新提取用 --fresh-extract' : ''}`);
  summary.precheck = r;
  if (thresholds.precheck) guard(r as unknown as Record<string, number>, thresholds.precheck.min, thresholds.precheck.max);
}

const external = run('retrieval') && !values['no-external'] && !values.ci ? await runExternalBenchmark({ quiet: true }) : null;
if (external) console.log(`\n外部基准（../shared/datasets，MSGABench）\n${formatExternalTable(external)}`);
summary.external = external;
summary.seconds = Number(((performance.now() - t0) / 1000).toFixed(1));
// Compare with the committed baseline; write JSON, Markdown and an offline HTML page with charts.
const baselineFile = path.join(REPORTS, 'baseline.json');
const base = fs.existsSync(baselineFile) ? (JSON.parse(fs.readFileSync(baselineFile, 'utf8')) as EvalSummary) : undefined;
const written = writeReports(summary as unknown as EvalSummary, REPORTS, { baseline: base, thresholds });
if (base) {
  const before = base.dev?.[DEFAULT_MODE]?.overall;
  const now = (summary.dev as Record<string, { overall: Record<string, number> }> | undefined)?.[DEFAULT_MODE]?.overall;
  if (before && now) console.log(`\n与基线比较（检索，${DEFAULT_MODE}）：hit@1 ${fmt(before.hit1)} → ${fmt(now.hit1)}，hit@5 ${fmt(before.hit5)} → ${fmt(now.hit5)}`);
  if (base.answers && summary.answers) {
    const b = base.answers as AnswerReport;
    const n = summary.answers as AnswerReport;
    console.log(`与基线比较（回答）：首选正确 ${fmt(b.topInGold)} → ${fmt(n.topInGold)}，超范围拒答 ${fmt(b.oosRefused)} → ${fmt(n.oosRefused)}，澄清率 ${fmt(b.clarifyRate)} → ${fmt(n.clarifyRate)}`);
  }
}
console.log(`\n报告：${written.md}、${written.html}、${written.json}（${summary.seconds} s）`);
if (failures.length) {
  console.error(`评测未达标：\n- ${failures.join('\n- ')}`);
  if (values.ci) process.exit(1);
}
