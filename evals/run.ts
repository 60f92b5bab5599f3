import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ingest } from '../ingest/build.ts';
import { loadIndex } from '../server/retrieval/loadIndex.ts';
import { DEFAULT_MODE, Retriever, type RetrievalMode } from '../server/retrieval/retrieve.ts';
import { formatExternalTable, runExternalBenchmark } from './external.ts';
import type { RetrievalScores } from './metrics.ts';
import { evalRetrieval, type RetrievalReport } from './retrievalEval.ts';
import { readRows } from './rows.ts';

// npm run eval -- [--only retrieval] [--ci] [--index DIR] [--no-external]
const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    ci: { type: 'boolean', default: false },
    index: { type: 'string', default: process.env.INDEX_DIR ?? '.index' },
    knowledge: { type: 'string', default: process.env.KNOWLEDGE_DIR ?? 'knowledge' },
    'no-external': { type: 'boolean', default: false },
  },
});
if (values.only && values.only !== 'retrieval') {
  console.error(`--only ${values.only}：本版本只有 retrieval 评测`);
  process.exit(2);
}

const REPORTS = 'evals/reports';
const fmt = (x: number) => x.toFixed(3);
const t0 = performance.now();
await ingest({ knowledgeDir: values.knowledge!, outDir: values.index!, quiet: true });
const retriever = new Retriever(await loadIndex(values.index!));
const rows = readRows('evals/datasets/dev.jsonl');

const reports: Record<string, RetrievalReport> = {};
for (const mode of ['bm25', 'dense', 'hybrid'] as RetrievalMode[]) reports[mode] = await evalRetrieval(retriever, rows, mode);

console.log(`\n检索评测（dev 集 ${rows.length} 题，默认模式 ${DEFAULT_MODE}）`);
console.log('| mode | hit@1 | hit@5 | MRR@10 | ' + Object.keys(reports.hybrid.bySplit).map((s) => `${s} hit@1`).join(' | ') + ' |');
console.log('|---|---|---|---|' + Object.keys(reports.hybrid.bySplit).map(() => '---').join('|') + '|');
for (const [mode, r] of Object.entries(reports)) {
  console.log(`| ${mode} | ${fmt(r.overall.hit1)} | ${fmt(r.overall.hit5)} | ${fmt(r.overall.mrr10)} | ${Object.values(r.bySplit).map((s) => fmt(s.hit1)).join(' | ')} |`);
}

const external = !values['no-external'] && !values.ci ? await runExternalBenchmark({ quiet: true }) : null;
if (external) console.log(`\n外部基准（../shared/datasets，MSGABench）\n${formatExternalTable(external)}`);

const summary = {
  at: new Date().toISOString(),
  defaultMode: DEFAULT_MODE,
  dev: Object.fromEntries(Object.entries(reports).map(([m, r]) => [m, { overall: r.overall, bySplit: r.bySplit }])),
  external,
  worst: reports[DEFAULT_MODE].misses.slice(0, 30),
  seconds: Number(((performance.now() - t0) / 1000).toFixed(1)),
};
fs.mkdirSync(REPORTS, { recursive: true });
fs.writeFileSync(path.join(REPORTS, 'latest.json'), JSON.stringify(summary, null, 2));

// Compare with the committed baseline, and guard the thresholds in CI.
const baselineFile = path.join(REPORTS, 'baseline.json');
if (fs.existsSync(baselineFile)) {
  const base = JSON.parse(fs.readFileSync(baselineFile, 'utf8'));
  const before: RetrievalScores | undefined = base.dev?.[DEFAULT_MODE]?.overall;
  if (before) {
    const now = reports[DEFAULT_MODE].overall;
    console.log(`\n与基线比较（${DEFAULT_MODE}）：hit@1 ${fmt(before.hit1)} → ${fmt(now.hit1)}，hit@5 ${fmt(before.hit5)} → ${fmt(now.hit5)}，MRR@10 ${fmt(before.mrr10)} → ${fmt(now.mrr10)}`);
  }
}
const thresholds = JSON.parse(fs.readFileSync('evals/thresholds.json', 'utf8')).retrieval as Record<string, number>;
const now = reports[DEFAULT_MODE].overall as unknown as Record<string, number>;
const failures = Object.entries(thresholds)
  .filter(([metric, min]) => now[metric] < min)
  .map(([metric, min]) => `${metric} = ${fmt(now[metric])}，低于阈值 ${fmt(min)}（差 ${fmt(min - now[metric])}）`);
console.log(`\n报告：${path.join(REPORTS, 'latest.json')}（${summary.seconds} s）`);
if (failures.length) {
  console.error(`检索评测未达标：\n- ${failures.join('\n- ')}`);
  if (values.ci) process.exit(1);
}
