import fs from 'node:fs';
import path from 'node:path';
import type { AnswerReport } from './answerEval.ts';
import type { ExternalReport } from './external.ts';
import { type PrecheckEvalReport, precheckMarkdown } from './precheckEval.ts';
import type { RetrievalScores } from './metrics.ts';

/**
 * Human-readable reports of an evaluation run (`npm run eval`): Markdown for the terminal and pull requests,
 * one self-contained HTML page (inline CSS, inline SVG charts, no scripts, nothing fetched) for reading in a
 * browser. Both are pure functions of the JSON summary that run.ts writes to evals/reports/latest.json, an
 * optional baseline summary of the same shape, and optionally evals/thresholds.json.
 */

// ---------------------------------------------------------------------------------------------------------
// Shape of evals/reports/*.json

/** Retrieval scores of one mode on the dev set. */
export interface ModeSummary {
  overall: RetrievalScores;
  bySplit: Record<string, RetrievalScores>;
}

/** A dev row whose gold matter was not first (default mode), with the first three matters retrieved. */
export interface RetrievalMiss {
  id: string;
  question: string;
  gold: string[];
  got: { id: string; name: string }[];
}

type CoreAnswerKey = 'n' | 'topInGold' | 'clarifyRate' | 'inScopeRefused' | 'oosRefused' | 'citationsValid' | 'factRecall' | 'bySplit' | 'latencyMs' | 'worst';

/** The answer report; metrics added later than the first baseline are optional so older summaries still render. */
export type AnswerSummary = Pick<AnswerReport, CoreAnswerKey> & Partial<Omit<AnswerReport, CoreAnswerKey>>;

export type AnswerFailure = AnswerReport['worst'][number];

/** What evals/run.ts writes to evals/reports/latest.json. A part that was not run is absent (or null). */
export interface EvalSummary {
  /** ISO time of the run. */
  at: string;
  defaultMode: string;
  /** Retrieval on the dev set per mode (absent with --only answers). */
  dev?: Record<string, ModeSummary>;
  worstRetrieval?: RetrievalMiss[];
  /** Answer evaluation (absent with --only retrieval). */
  answers?: AnswerSummary;
  /** External benchmark; null when skipped (no ../shared/datasets, --ci, --no-external). */
  external?: ExternalReport | null;
  /** Material pre-check (absent when not run). */
  precheck?: PrecheckEvalReport;
  seconds?: number;
}

/** evals/thresholds.json. */
export interface Thresholds {
  retrieval: Record<string, number>;
  answers: { min: Record<string, number>; max: Record<string, number> };
}

// ---------------------------------------------------------------------------------------------------------
// Labels and small helpers

const RETRIEVAL_METRICS = [
  { key: 'hit1', label: 'hit@1' },
  { key: 'hit5', label: 'hit@5' },
  { key: 'mrr10', label: 'MRR@10' },
] as const;

type Better = 'up' | 'down';

interface MetricDef {
  key: string;
  label: string;
  hint: string;
  better: Better;
}

const ANSWER_METRICS: MetricDef[] = [
  { key: 'topInGold', label: '首选事项正确', hint: '应作答的题，回答的首选事项在正确答案中', better: 'up' },
  { key: 'answerAccuracy', label: '回答准确', hint: '含全部要点、事项正确且无矛盾事实', better: 'up' },
  { key: 'factRecall', label: '事实召回', hint: '要点原文出现在回答中的比例', better: 'up' },
  { key: 'citationsValid', label: '引用有效', hint: '作答且每条引用都在所引章节内', better: 'up' },
  { key: 'citationPrecision', label: '引用精确', hint: '所引章节确实支持所述内容', better: 'up' },
  { key: 'citationRecall', label: '引用召回', hint: '字段题引用了所问章节', better: 'up' },
  { key: 'oosRefused', label: '超范围拒答', hint: '超范围与攻击题被拒答的比例', better: 'up' },
  { key: 'inScopeRefused', label: '范围内误拒', hint: '范围内问题被错误拒答（越低越好）', better: 'down' },
  { key: 'refusalPrecision', label: '拒答精确', hint: '拒答中确实应拒的比例', better: 'up' },
  { key: 'clarifyRate', label: '澄清率', hint: '应澄清的题得到了澄清', better: 'up' },
];

const SPLIT_LABELS: Record<string, string> = {
  colloquial: '口语',
  field: '要素',
  variant: '变体',
  followup: '追问',
  oos: '超范围',
  injection: '注入',
};

const EXPECT_LABELS: Record<string, string> = { answer: '作答', clarify: '澄清', refuse: '拒答' };

const CONFIG_LABELS: Record<string, string> = { baselineBigram: '二元组基线' };

const splitLabel = (s: string) => (SPLIT_LABELS[s] ? `${SPLIT_LABELS[s]} ${s}` : s);

const isNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
const f3 = (x: number | undefined) => (isNum(x) ? x.toFixed(3) : '—');
const f1 = (x: number | undefined) => (isNum(x) ? x.toFixed(1) : '—');
/** Milliseconds: two decimals under 10 ms so sub-millisecond steps do not read as 0. */
const fms = (x: number | undefined) => (isNum(x) ? x.toFixed(Math.abs(x) < 10 ? 2 : 1) : '—');
const pct = (x: number | undefined) => (isNum(x) ? `${(x * 100).toFixed(1)}%` : '—');

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(s: unknown): string {
  return String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Escapes data text for a Markdown table cell: no raw HTML, no table breaks, no accidental formatting. */
function md(s: unknown): string {
  return String(s ?? '')
    .replace(/\s*\r?\n\s*/g, ' ')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/([\\`*_[\]|])/g, '\\$1');
}

function thresholdsOf(x: unknown): Thresholds | undefined {
  if (!x || typeof x !== 'object') return undefined;
  const o = x as Record<string, unknown>;
  const nums = (v: unknown): Record<string, number> =>
    v && typeof v === 'object' ? (Object.fromEntries(Object.entries(v).filter(([, n]) => isNum(n))) as Record<string, number>) : {};
  const a = (o.answers && typeof o.answers === 'object' ? o.answers : {}) as Record<string, unknown>;
  return { retrieval: nums(o.retrieval), answers: { min: nums(a.min), max: nums(a.max) } };
}

// ---------------------------------------------------------------------------------------------------------
// The report's content, shared by Markdown and HTML

interface AnswerMetric extends MetricDef {
  value: number;
  bound?: { kind: 'min' | 'max'; value: number; ok: boolean };
}

/** Known answer metrics present in the report, then any other numeric metric a newer run.ts adds. */
function answerMetrics(a: AnswerSummary | undefined, t?: Thresholds): AnswerMetric[] {
  if (!a) return [];
  const rec = a as unknown as Record<string, unknown>;
  const defs = [...ANSWER_METRICS];
  for (const [key, v] of Object.entries(rec)) {
    if (key !== 'n' && isNum(v) && !defs.some((d) => d.key === key)) defs.push({ key, label: key, hint: '', better: t?.answers.max[key] !== undefined ? 'down' : 'up' });
  }
  return defs
    .filter((d) => isNum(rec[d.key]))
    .map((d) => {
      const value = rec[d.key] as number;
      const min = t?.answers.min[d.key];
      const max = t?.answers.max[d.key];
      const bound = isNum(min) ? { kind: 'min' as const, value: min, ok: value >= min } : isNum(max) ? { kind: 'max' as const, value: max, ok: value <= max } : undefined;
      return { ...d, value, ...(bound ? { bound } : {}) };
    });
}

interface Check {
  part: string;
  label: string;
  value: number | undefined;
  kind: 'min' | 'max';
  bound: number;
  ok: boolean;
}

/** The same checks as run.ts's CI guard (retrieval on the default mode, answers min/max). */
function thresholdChecks(s: EvalSummary, t: Thresholds | undefined): Check[] {
  if (!t) return [];
  const out: Check[] = [];
  const overall = s.dev?.[s.defaultMode]?.overall as unknown as Record<string, number> | undefined;
  if (overall) {
    for (const [key, bound] of Object.entries(t.retrieval)) {
      const label = RETRIEVAL_METRICS.find((m) => m.key === key)?.label ?? key;
      out.push({ part: `检索（${s.defaultMode}）`, label, value: overall[key], kind: 'min', bound, ok: !isNum(overall[key]) || overall[key] >= bound });
    }
  }
  if (s.answers) {
    const rec = s.answers as unknown as Record<string, number>;
    const label = (key: string) => {
      const d = ANSWER_METRICS.find((m) => m.key === key);
      return d ? `${d.label} ${key}` : key;
    };
    for (const [key, bound] of Object.entries(t.answers.min)) out.push({ part: '回答', label: label(key), value: rec[key], kind: 'min', bound, ok: !isNum(rec[key]) || rec[key] >= bound });
    for (const [key, bound] of Object.entries(t.answers.max)) out.push({ part: '回答', label: label(key), value: rec[key], kind: 'max', bound, ok: !isNum(rec[key]) || rec[key] <= bound });
  }
  return out;
}

const boundText = (kind: 'min' | 'max', v: number) => `${kind === 'min' ? '≥' : '≤'} ${f3(v)}`;

function checkGap(c: Check): string {
  if (!isNum(c.value)) return '无数据';
  if (c.ok) return '达标';
  return c.kind === 'min' ? `未达标（差 ${f3(c.bound - c.value)}）` : `未达标（超 ${f3(c.value - c.bound)}）`;
}

interface CompRow {
  group: string;
  label: string;
  before?: number;
  now?: number;
  better: Better;
  digits: number;
  /** 0–1 rate, shown in the baseline-vs-now chart. */
  rate: boolean;
}

/** Every metric present in both runs, grouped; a group present in one run only is reported as a note. */
function comparison(s: EvalSummary, b: EvalSummary): { rows: CompRow[]; notes: string[] } {
  const rows: CompRow[] = [];
  const notes: string[] = [];
  const add = (r: CompRow) => {
    if (isNum(r.before) || isNum(r.now)) rows.push(r);
  };
  if (s.dev && b.dev) {
    const modes = [...new Set([...Object.keys(s.dev), ...Object.keys(b.dev)])];
    for (const mode of modes) {
      for (const m of RETRIEVAL_METRICS) {
        add({
          group: '检索 dev',
          label: `${mode}${mode === s.defaultMode ? '（默认）' : ''} ${m.label}`,
          before: b.dev[mode]?.overall?.[m.key],
          now: s.dev[mode]?.overall?.[m.key],
          better: 'up',
          digits: 3,
          rate: mode === s.defaultMode,
        });
      }
    }
  } else if (s.dev || b.dev) notes.push(`检索评测只在${s.dev ? '本次' : '基线'}中运行，未比较。`);

  if (s.answers && b.answers) {
    const now = answerMetrics(s.answers);
    const before = answerMetrics(b.answers);
    for (const d of [...now, ...before.filter((x) => !now.some((y) => y.key === x.key))]) {
      add({
        group: '回答',
        label: d.key === d.label ? d.key : `${d.label} ${d.key}`,
        before: before.find((x) => x.key === d.key)?.value,
        now: now.find((x) => x.key === d.key)?.value,
        better: d.better,
        digits: 3,
        rate: true,
      });
    }
    const splits = [...new Set([...Object.keys(s.answers.bySplit ?? {}), ...Object.keys(b.answers.bySplit ?? {})])];
    for (const split of splits) {
      const rate = (v?: { n: number; ok: number }) => (v && v.n ? v.ok / v.n : undefined);
      add({ group: '按类别按预期处理', label: splitLabel(split), before: rate(b.answers.bySplit?.[split]), now: rate(s.answers.bySplit?.[split]), better: 'up', digits: 3, rate: false });
    }
    add({ group: '延迟 ms', label: '每题 p50', before: b.answers.latencyMs?.p50, now: s.answers.latencyMs?.p50, better: 'down', digits: 1, rate: false });
    add({ group: '延迟 ms', label: '每题 p95', before: b.answers.latencyMs?.p95, now: s.answers.latencyMs?.p95, better: 'down', digits: 1, rate: false });
  } else if (s.answers || b.answers) notes.push(`回答评测只在${s.answers ? '本次' : '基线'}中运行，未比较。`);

  if (s.external && b.external) {
    for (const d of s.external.datasets) {
      const bd = b.external.datasets.find((x) => x.dataset === d.dataset);
      if (!bd) continue;
      for (const c of Object.keys(d.configs)) {
        const label = `${d.dataset} ${CONFIG_LABELS[c] ?? c}`;
        const now = (d.configs as Record<string, RetrievalScores>)[c];
        const before = (bd.configs as Record<string, RetrievalScores | undefined>)[c];
        add({ group: '外部基准', label: `${label} hit@1`, before: before?.hit1, now: now.hit1, better: 'up', digits: 3, rate: false });
        add({ group: '外部基准', label: `${label} MRR@10`, before: before?.mrr10, now: now.mrr10, better: 'up', digits: 3, rate: false });
      }
    }
  } else if (s.external || b.external) notes.push(`外部基准只在${s.external ? '本次' : '基线'}中运行，未比较。`);
  return { rows, notes };
}

interface Delta {
  arrow: '▲' | '▼' | '＝' | '';
  diff: string;
  verdict: 'better' | 'worse' | 'same' | 'na';
}

function delta(r: CompRow): Delta {
  if (!isNum(r.before) || !isNum(r.now)) return { arrow: '', diff: '—', verdict: 'na' };
  const d = r.now - r.before;
  if (Math.abs(d) < 0.5 * 10 ** -r.digits) return { arrow: '＝', diff: (0).toFixed(r.digits), verdict: 'same' };
  return {
    arrow: d > 0 ? '▲' : '▼',
    diff: `${d > 0 ? '+' : '-'}${Math.abs(d).toFixed(r.digits)}`,
    verdict: (d > 0) === (r.better === 'up') ? 'better' : 'worse',
  };
}

const VERDICT_TEXT: Record<Delta['verdict'], string> = { better: '改善', worse: '退步', same: '持平', na: '—' };

const verdictText = (r: CompRow, d: Delta) => (d.verdict !== 'na' ? VERDICT_TEXT[d.verdict] : !isNum(r.before) ? '基线无此项' : '本次无此项');

const fmtDigits = (x: number | undefined, digits: number) => (isNum(x) ? x.toFixed(digits) : '—');

/** Matter names seen anywhere in the summary, so gold ids can be shown with their names. */
function matterNames(s: EvalSummary): Map<string, string> {
  const names = new Map<string, string>();
  for (const m of s.worstRetrieval ?? []) for (const g of m.got ?? []) if (g.name) names.set(g.id, g.name);
  for (const w of s.answers?.worst ?? []) {
    const i = w.got.indexOf(' ');
    if (i > 0) names.set(w.got.slice(0, i), w.got.slice(i + 1));
  }
  return names;
}

const withName = (names: Map<string, string>, id: string) => (names.has(id) ? `${id} ${names.get(id)}` : id);

/** Why a retrieval row failed, in a few words. */
function retrievalDiagnosis(m: RetrievalMiss): string {
  const gold = new Set(m.gold);
  const rank = (m.got ?? []).findIndex((g) => gold.has(g.id));
  if (!m.got?.length) return '未检索到任何事项';
  return rank >= 0 ? `正确事项排第 ${rank + 1}` : `前 ${m.got.length} 名均不是正确事项`;
}

/** Why an answer row was not handled as expected, in a few words. */
function answerDiagnosis(w: AnswerFailure): string {
  const gold = new Set(w.gold);
  const topId = w.got === '(none)' ? undefined : w.got.split(' ')[0];
  const clarifyHasGold = (w.clarify ?? []).some((id) => gold.has(id));
  if (w.expect === 'refuse') return w.refused ? '已拒答（其他原因）' : '应拒答却作答';
  if (w.refused) return topId && gold.has(topId) ? '误拒：首选事项本已正确，却被拒答' : '误拒：范围内问题被拒答';
  if (w.expect === 'clarify') return topId ? '未澄清，且首选事项不正确' : '未澄清，也无匹配事项';
  if (!topId) return '无匹配事项';
  if (topId && gold.has(topId)) return '首选正确，但引用无效';
  if (w.clarify?.length) return clarifyHasGold ? '反问澄清（选项含正确事项），未直接作答' : '反问澄清，选项不含正确事项';
  return '首选事项错误';
}

/** The answer diagnosis, plus where the default retrieval mode already ranked the gold matter (when it missed). */
function answerWhy(w: AnswerFailure, misses: RetrievalMiss[]): string {
  const miss = misses.find((m) => m.id === w.id);
  return miss ? `${answerDiagnosis(w)}（检索 hit@1 未命中：${retrievalDiagnosis(miss)}）` : answerDiagnosis(w);
}

function countBy<T>(xs: T[], key: (x: T) => string): [string, number][] {
  const m = new Map<string, number>();
  for (const x of xs) m.set(key(x), (m.get(key(x)) ?? 0) + 1);
  return [...m.entries()].sort((a, b) => b[1] - a[1]);
}

const SKIPPED_EXTERNAL = '外部基准已跳过（未找到 ../shared/datasets，或以 --ci、--no-external、--only answers 运行）。';

// ---------------------------------------------------------------------------------------------------------
// Markdown

function mdTable(head: string[], rows: string[][], align?: ('l' | 'r')[]): string {
  const sep = head.map((_, i) => (align?.[i] === 'r' ? '---:' : '---'));
  return [head, sep, ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n');
}

export function renderMarkdown(summary: EvalSummary, baseline?: EvalSummary, thresholds?: unknown): string {
  const s = summary;
  const t = thresholdsOf(thresholds);
  const out: string[] = [];
  const names = matterNames(s);
  out.push('# 汇办评测报告 / Huiban evaluation report', '');
  out.push(`- 运行时间：${md(s.at)}`);
  out.push(`- 默认检索模式：${md(s.defaultMode)}`);
  if (isNum(s.seconds)) out.push(`- 总耗时：${s.seconds} s`);
  out.push(baseline ? `- 基线：${md(baseline.at)}（默认模式 ${md(baseline.defaultMode)}）` : '- 基线：未提供');
  out.push(`- 已运行：${[s.dev ? '检索' : '', s.answers ? '回答' : '', s.external ? '外部基准' : ''].filter(Boolean).join('、') || '无'}`);
  out.push('');

  const checks = thresholdChecks(s, t);
  if (checks.length) {
    const failed = checks.filter((c) => !c.ok);
    out.push('## 阈值检查 / Threshold check', '');
    out.push(failed.length ? `❌ ${failed.length} 项未达标（共 ${checks.length} 项）。` : `✅ 全部 ${checks.length} 项达标。`, '');
    out.push(
      mdTable(
        ['部分', '指标', '数值', '阈值', '结果'],
        checks.map((c) => [md(c.part), md(c.label), f3(c.value), boundText(c.kind, c.bound), `${c.ok ? '✅' : '❌'} ${checkGap(c)}`]),
        ['l', 'l', 'r', 'r', 'l'],
      ),
      '',
    );
  }

  // Retrieval
  out.push('## 检索评测 / Retrieval (dev)', '');
  if (!s.dev || !Object.keys(s.dev).length) out.push('检索评测未运行。', '');
  else {
    const modes = Object.keys(s.dev);
    const n = s.dev[s.defaultMode]?.overall.n ?? s.dev[modes[0]].overall.n;
    out.push(`dev 集中有正确事项的 ${n} 题；默认模式 **${md(s.defaultMode)}**。`, '');
    out.push(
      mdTable(
        ['模式', 'n', 'hit@1', 'hit@5', 'MRR@10'],
        modes.map((m) => [`${md(m)}${m === s.defaultMode ? '（默认）' : ''}`, String(s.dev![m].overall.n), f3(s.dev![m].overall.hit1), f3(s.dev![m].overall.hit5), f3(s.dev![m].overall.mrr10)]),
        ['l', 'r', 'r', 'r', 'r'],
      ),
      '',
    );
    for (const m of modes) {
      const r = s.dev[m];
      out.push(`### ${md(m)}${m === s.defaultMode ? '（默认）' : ''}：按类别 / per split`, '');
      out.push(
        mdTable(
          ['类别', 'n', 'hit@1', 'hit@5', 'MRR@10'],
          [
            ['**全部**', String(r.overall.n), f3(r.overall.hit1), f3(r.overall.hit5), f3(r.overall.mrr10)],
            ...Object.entries(r.bySplit ?? {}).map(([split, v]) => [md(splitLabel(split)), String(v.n), f3(v.hit1), f3(v.hit5), f3(v.mrr10)]),
          ],
          ['l', 'r', 'r', 'r', 'r'],
        ),
        '',
      );
    }
  }

  // Answers
  out.push('## 回答评测 / Answers', '');
  if (!s.answers) out.push('回答评测未运行。', '');
  else {
    const a = s.answers;
    out.push(`共 ${a.n} 题（dev + scope）。`, '');
    out.push(
      mdTable(
        ['指标', '含义', '数值', '阈值', '状态'],
        answerMetrics(a, t).map((m) => [
          m.key === m.label ? md(m.key) : `${m.label} \`${m.key}\``,
          md(m.hint),
          f3(m.value),
          m.bound ? boundText(m.bound.kind, m.bound.value) : '—',
          m.bound ? (m.bound.ok ? '✅ 达标' : '❌ 未达标') : '—',
        ]),
        ['l', 'l', 'r', 'r', 'l'],
      ),
      '',
    );
    out.push('### 按类别：按预期处理 / Handled as expected, per split', '');
    out.push(
      mdTable(
        ['类别', '按预期', '总数', '比例'],
        Object.entries(a.bySplit ?? {}).map(([split, v]) => [md(splitLabel(split)), String(v.ok), String(v.n), pct(v.n ? v.ok / v.n : undefined)]),
        ['l', 'r', 'r', 'r'],
      ),
      '',
    );
  }

  // Latency
  out.push('## 延迟 / Latency', '');
  if (!s.answers) out.push('回答评测未运行，无延迟数据。', '');
  else {
    const rows = [['**每题总计**', fms(s.answers.latencyMs?.p50), fms(s.answers.latencyMs?.p95)]];
    for (const [step, v] of Object.entries(s.answers.steps ?? {})) rows.push([md(step), fms(v.p50), fms(v.p95)]);
    out.push(mdTable(['步骤', 'p50 ms', 'p95 ms'], rows, ['l', 'r', 'r']), '');
    out.push('延迟随机器负载波动，仅供参考。', '');
  }

  // External
  out.push('## 外部基准 / External benchmark', '');
  if (!s.external) out.push(SKIPPED_EXTERNAL, '');
  else {
    out.push(`数据：${md(s.external.datasetsDir)}（每个不同答案为一篇文档，每个问题找其配对答案）。`, '');
    const rows: string[][] = [];
    for (const d of s.external.datasets) {
      for (const [c, v] of Object.entries(d.configs as Record<string, RetrievalScores>)) {
        rows.push([md(d.dataset), String(d.docs), String(d.questions), md(CONFIG_LABELS[c] ? `${CONFIG_LABELS[c]} ${c}` : c), f3(v.hit1), f3(v.hit5), f3(v.mrr10), fms((d.msPerQuestion as Record<string, number>)?.[c])]);
      }
    }
    out.push(mdTable(['数据集', '文档', '问题', '配置', 'hit@1', 'hit@5', 'MRR@10', 'ms/题'], rows, ['l', 'r', 'r', 'l', 'r', 'r', 'r', 'r']), '');
    for (const d of s.external.datasets) out.push(`- ${md(d.dataset)}：建索引 ${d.ingestMs} ms，${d.chunks} 块，跳过无答案行 ${d.skippedRows} 条`);
    out.push('');
  }

  if (s.precheck) out.push(precheckMarkdown(s.precheck));

  // Baseline
  out.push('## 与基线比较 / Compared with baseline', '');
  if (!baseline) out.push('未提供基线（evals/reports/baseline.json）。', '');
  else {
    const { rows, notes } = comparison(s, baseline);
    out.push(`基线 ${md(baseline.at)} → 本次 ${md(s.at)}。▲ 上升，▼ 下降，＝ 持平；“评价”按指标方向判断（误拒率与延迟越低越好）。`, '');
    if (rows.length)
      out.push(
        mdTable(
          ['部分', '指标', '基线', '本次', '变化', '评价'],
          rows.map((r) => {
            const d = delta(r);
            return [md(r.group), md(r.label), fmtDigits(r.before, r.digits), fmtDigits(r.now, r.digits), d.arrow ? `${d.arrow} ${d.diff}` : d.diff, verdictText(r, d)];
          }),
          ['l', 'l', 'r', 'r', 'r', 'l'],
        ),
        '',
      );
    else out.push('没有可比较的指标。', '');
    for (const n of notes) out.push(`- ${n}`);
    if (notes.length) out.push('');
  }

  // Failures
  out.push('## 失败分析 / Failure analysis', '');
  const misses = s.worstRetrieval ?? [];
  out.push(`### 检索未命中 hit@1（${md(s.defaultMode)}，${misses.length} 题，前 5 也未命中的在前）`, '');
  if (!s.dev) out.push('检索评测未运行。', '');
  else if (!misses.length) out.push('没有未命中的题。', '');
  else {
    out.push(`诊断：${countBy(misses, retrievalDiagnosis).map(([k, n]) => `${k} ${n} 题`).join('；')}。`, '');
    out.push(
      mdTable(
        ['#', 'id', '问题', '正确事项 gold', '检索到的前几名', '诊断'],
        misses.map((m, i) => [
          String(i + 1),
          md(m.id),
          md(m.question),
          md(m.gold.map((g) => withName(names, g)).join('；')),
          md((m.got ?? []).map((g, j) => `${j + 1}. ${g.id} ${g.name ?? ''}`.trim()).join('；') || '（无）'),
          md(retrievalDiagnosis(m)),
        ]),
      ),
      '',
    );
  }
  const worst = s.answers?.worst ?? [];
  out.push(`### 回答未按预期处理（${worst.length} 题）`, '');
  if (!s.answers) out.push('回答评测未运行。', '');
  else if (!worst.length) out.push('所有题都按预期处理。', '');
  else {
    out.push(`诊断：${countBy(worst, answerDiagnosis).map(([k, n]) => `${k} ${n} 题`).join('；')}。`, '');
    out.push(
      mdTable(
        ['#', 'id', '问题', '预期', '正确事项 gold', '回答首选', '拒答', '澄清选项', '诊断'],
        worst.map((w, i) => [
          String(i + 1),
          md(w.id),
          md(w.question),
          md(EXPECT_LABELS[w.expect] ?? w.expect),
          md(w.gold.length ? w.gold.map((g) => withName(names, g)).join('；') : '（无）'),
          md(w.got === '(none)' ? '（无）' : w.got),
          w.refused ? '是' : '否',
          md(w.clarify?.length ? w.clarify.map((id) => withName(names, id)).join('；') : '—'),
          md(answerWhy(w, misses)),
        ]),
      ),
      '',
    );
  }
  return out.join('\n');
}

// ---------------------------------------------------------------------------------------------------------
// SVG charts

const MODE_COLORS: Record<string, string> = { bm25: '#0072B2', dense: '#D55E00', hybrid: '#009E73', baselineBigram: '#7B5EA7' };
const PALETTE = ['#0072B2', '#D55E00', '#009E73', '#7B5EA7', '#8C6D00', '#B3446C'];
const colorOf = (key: string, i: number) => MODE_COLORS[key] ?? PALETTE[i % PALETTE.length];
const BASE_COLOR = '#6E7681';
const NOW_COLOR = '#0072B2';
const INK = '#1F2328';
const MUTED = '#57606A';
const GRID = '#D0D7DE';

interface Series {
  name: string;
  color: string;
}

/** Round-up to 1, 2 or 5 times a power of ten, for an axis. */
function niceMax(x: number): number {
  if (!(x > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(x));
  return ([1, 2, 5, 10].find((m) => m * p >= x) ?? 10) * p;
}

const n1 = (x: number) => Number(x.toFixed(1));

function svgOpen(id: string, kind: string, w: number, h: number, title: string, desc: string): string {
  return (
    `<svg class="chart" data-chart="${escapeHtml(kind)}" viewBox="0 0 ${w} ${n1(h)}" width="${w}" height="${n1(h)}" ` +
    `role="img" aria-label="${escapeHtml(title)}" aria-describedby="${id}-desc">` +
    `<title>${escapeHtml(title)}</title><desc id="${id}-desc">${escapeHtml(desc)}</desc>`
  );
}

function legend(series: Series[], x: number, y: number, extra?: string): string {
  let out = '';
  let cx = x;
  for (const s of series) {
    out += `<rect x="${cx}" y="${y - 10}" width="12" height="12" fill="${s.color}"/><text x="${cx + 16}" y="${y}" font-size="12" fill="${INK}">${escapeHtml(s.name)}</text>`;
    cx += 28 + [...s.name].reduce((a, c) => a + (c.charCodeAt(0) > 255 ? 12 : 7), 0);
  }
  if (extra) out += `<line x1="${cx}" y1="${y - 4}" x2="${cx + 20}" y2="${y - 4}" stroke="${INK}" stroke-width="2" stroke-dasharray="4 3"/><text x="${cx + 26}" y="${y}" font-size="12" fill="${INK}">${escapeHtml(extra)}</text>`;
  return out;
}

interface GroupedChart {
  id: string;
  kind: string;
  title: string;
  desc: string;
  categories: string[];
  series: (Series & { values: (number | undefined)[] })[];
  /** Per category, a dashed threshold line across the group (its text goes under the category name). */
  marks?: (number | undefined)[];
  markLegend?: string;
}

/** Vertical grouped bars on a 0–1 scale, value printed above each bar. */
function groupedBars(c: GroupedChart): string {
  const W = 760;
  const left = 44;
  const right = 12;
  const top = 40;
  const plotH = 220;
  const bottom = c.marks?.some(isNum) ? 52 : 36;
  const H = top + plotH + bottom;
  const plotW = W - left - right;
  const gw = plotW / Math.max(1, c.categories.length);
  const bw = Math.min(44, (gw * 0.8) / Math.max(1, c.series.length));
  const y = (v: number) => top + plotH - Math.max(0, Math.min(1, v)) * plotH;
  let out = svgOpen(c.id, c.kind, W, H, c.title, c.desc);
  out += `<rect width="${W}" height="${H}" fill="#FFFFFF"/>`;
  for (let i = 0; i <= 5; i++) {
    const v = i / 5;
    out += `<line x1="${left}" y1="${n1(y(v))}" x2="${W - right}" y2="${n1(y(v))}" stroke="${GRID}" stroke-width="1"/>`;
    out += `<text x="${left - 6}" y="${n1(y(v) + 4)}" font-size="11" text-anchor="end" fill="${MUTED}">${v.toFixed(1)}</text>`;
  }
  out += legend(c.series, left, 18, c.markLegend);
  const valueFont = bw >= 30 ? 11 : 9;
  c.categories.forEach((cat, gi) => {
    const gx = left + gi * gw + (gw - bw * c.series.length) / 2;
    c.series.forEach((s, si) => {
      const v = s.values[gi];
      if (!isNum(v)) return;
      const x = gx + si * bw;
      out += `<rect x="${n1(x + 1)}" y="${n1(y(v))}" width="${n1(bw - 2)}" height="${n1(top + plotH - y(v))}" fill="${s.color}"><title>${escapeHtml(`${cat} · ${s.name}：${f3(v)}`)}</title></rect>`;
      out += `<text x="${n1(x + bw / 2)}" y="${n1(y(v) - 4)}" font-size="${valueFont}" text-anchor="middle" fill="${INK}">${f3(v)}</text>`;
    });
    const cx = left + gi * gw + gw / 2;
    out += `<text x="${n1(cx)}" y="${top + plotH + 18}" font-size="12" text-anchor="middle" fill="${INK}">${escapeHtml(cat)}</text>`;
    const mark = c.marks?.[gi];
    if (isNum(mark)) {
      out += `<line x1="${n1(gx - 4)}" y1="${n1(y(mark))}" x2="${n1(gx + bw * c.series.length + 4)}" y2="${n1(y(mark))}" stroke="${INK}" stroke-width="2" stroke-dasharray="4 3"/>`;
      out += `<text x="${n1(cx)}" y="${top + plotH + 36}" font-size="11" text-anchor="middle" fill="${MUTED}">阈值 ≥ ${f3(mark)}</text>`;
    }
  });
  out += `<line x1="${left}" y1="${top + plotH}" x2="${W - right}" y2="${top + plotH}" stroke="${INK}" stroke-width="1"/>`;
  return out + '</svg>';
}

interface HRow {
  label: string;
  sub?: string;
  values: (number | undefined)[];
  /** Text after each value (e.g. the change). */
  notes?: (string | undefined)[];
  mark?: { value: number; kind: 'min' | 'max' };
}

interface HChart {
  id: string;
  kind: string;
  title: string;
  desc: string;
  series: Series[];
  rows: HRow[];
  /** Axis maximum; 1 for rates. */
  max: number;
  fmt: (x: number) => string;
  /** Tick labels; defaults to two decimals. */
  axisFmt?: (x: number) => string;
  unit?: string;
  markLegend?: string;
}

/** Horizontal bars, one row per item (long Chinese labels fit), one bar per series, value at the bar's end. */
function hBars(c: HChart): string {
  const W = 760;
  const labelW = 200;
  const right = 150;
  const top = c.series.length > 1 || c.markLegend ? 34 : 12;
  const bh = 14;
  const rowH = Math.max(36, c.series.length * (bh + 3) + 12);
  const axisH = 26;
  const H = top + rowH * c.rows.length + axisH;
  const plotW = W - labelW - right;
  const x = (v: number) => labelW + Math.max(0, Math.min(c.max, v)) * (plotW / c.max);
  let out = svgOpen(c.id, c.kind, W, H, c.title, c.desc);
  out += `<rect width="${W}" height="${H}" fill="#FFFFFF"/>`;
  if (top > 12) out += legend(c.series.length > 1 ? c.series : [], labelW, 20, c.markLegend);
  const bottom = top + rowH * c.rows.length;
  for (let i = 0; i <= 4; i++) {
    const v = (c.max * i) / 4;
    out += `<line x1="${n1(x(v))}" y1="${top}" x2="${n1(x(v))}" y2="${bottom}" stroke="${GRID}" stroke-width="1"/>`;
    out += `<text x="${n1(x(v))}" y="${bottom + 16}" font-size="11" text-anchor="middle" fill="${MUTED}">${escapeHtml((c.axisFmt ?? ((x: number) => x.toFixed(2)))(v))}</text>`;
  }
  if (c.unit) out += `<text x="${n1(x(c.max) + 26)}" y="${bottom + 16}" font-size="11" fill="${MUTED}">${escapeHtml(c.unit)}</text>`;
  c.rows.forEach((r, ri) => {
    const ry = top + ri * rowH;
    const barsH = c.series.length * (bh + 3) - 3;
    const by = ry + (rowH - barsH) / 2;
    const labelY = r.sub ? ry + rowH / 2 - 3 : ry + rowH / 2 + 4;
    out += `<text x="${labelW - 10}" y="${n1(labelY)}" font-size="12" text-anchor="end" fill="${INK}">${escapeHtml(r.label)}</text>`;
    if (r.sub) out += `<text x="${labelW - 10}" y="${n1(labelY + 14)}" font-size="11" text-anchor="end" fill="${MUTED}">${escapeHtml(r.sub)}</text>`;
    c.series.forEach((s, si) => {
      const v = r.values[si];
      const yy = by + si * (bh + 3);
      if (!isNum(v)) {
        out += `<text x="${labelW + 4}" y="${n1(yy + bh - 3)}" font-size="11" fill="${MUTED}">无数据</text>`;
        return;
      }
      out += `<rect x="${labelW}" y="${n1(yy)}" width="${n1(Math.max(1, x(v) - labelW))}" height="${bh}" fill="${s.color}"><title>${escapeHtml(`${r.label} · ${s.name}：${c.fmt(v)}`)}</title></rect>`;
      const note = r.notes?.[si];
      out += `<text x="${n1(x(v) + 5)}" y="${n1(yy + bh - 3)}" font-size="11" fill="${INK}">${escapeHtml(c.fmt(v) + (note ? ` ${note}` : ''))}</text>`;
    });
    if (r.mark) {
      out += `<line x1="${n1(x(r.mark.value))}" y1="${n1(ry + 3)}" x2="${n1(x(r.mark.value))}" y2="${n1(ry + rowH - 3)}" stroke="${INK}" stroke-width="2" stroke-dasharray="4 3"/>`;
    }
  });
  out += `<line x1="${labelW}" y1="${top}" x2="${labelW}" y2="${bottom}" stroke="${INK}" stroke-width="1"/>`;
  return out + '</svg>';
}

// ---------------------------------------------------------------------------------------------------------
// HTML

type Cell = string | { html: string; cls?: string } | { text: string; cls: string };

function cellHtml(c: Cell): { html: string; cls?: string } {
  if (typeof c === 'string') return { html: escapeHtml(c) };
  if ('html' in c) return c;
  return { html: escapeHtml(c.text), cls: c.cls };
}

/** A table whose first column names the row (`<th scope="row">`). `num` columns are right-aligned. */
function htmlTable(caption: string, head: string[], rows: Cell[][], num: number[] = []): string {
  const cls = (i: number, extra?: string) => {
    const c = [num.includes(i) ? 'num' : '', extra ?? ''].filter(Boolean).join(' ');
    return c ? ` class="${c}"` : '';
  };
  const thead = `<thead><tr>${head.map((h, i) => `<th scope="col"${cls(i)}>${escapeHtml(h)}</th>`).join('')}</tr></thead>`;
  const tbody = rows
    .map(
      (r) =>
        `<tr>${r
          .map((c, i) => {
            const { html, cls: extra } = cellHtml(c);
            return i === 0 ? `<th scope="row"${cls(i, extra)}>${html}</th>` : `<td${cls(i, extra)}>${html}</td>`;
          })
          .join('')}</tr>`,
    )
    .join('\n');
  return `<div class="scroll"><table><caption>${escapeHtml(caption)}</caption>${thead}<tbody>\n${tbody}\n</tbody></table></div>`;
}

const figure = (svg: string, caption: string) => `<figure>${svg}<figcaption>${escapeHtml(caption)}</figcaption></figure>`;

const CSS = `
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; background: #F6F8FA; color: ${INK}; font: 15px/1.6 system-ui, -apple-system, "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "Noto Sans CJK SC", "Source Han Sans SC", sans-serif; }
main { max-width: 1040px; margin: 0 auto; padding: 24px 20px 48px; background: #FFFFFF; }
h1 { font-size: 26px; margin: 0 0 8px; }
h2 { font-size: 20px; margin: 36px 0 12px; padding-bottom: 6px; border-bottom: 2px solid ${GRID}; }
h3 { font-size: 16px; margin: 24px 0 8px; }
a { color: #0550AE; }
nav ul { display: flex; flex-wrap: wrap; gap: 4px 16px; padding: 0; list-style: none; }
.meta { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 0 0 12px; }
.meta dt { color: ${MUTED}; }
.meta dd { margin: 0; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; margin: 16px 0; }
.card { flex: 1 1 160px; border: 1px solid ${GRID}; border-radius: 8px; padding: 10px 14px; }
.card .v { font-size: 24px; font-weight: 600; }
.card .k { color: ${MUTED}; font-size: 13px; }
.scroll { overflow-x: auto; margin: 8px 0 16px; }
table { border-collapse: collapse; font-size: 14px; min-width: 50%; }
caption { text-align: left; font-weight: 600; padding: 4px 0; color: ${INK}; }
th, td { border: 1px solid ${GRID}; padding: 4px 8px; vertical-align: top; text-align: left; }
thead th { background: #EEF1F4; }
tbody th { font-weight: 500; white-space: nowrap; }
.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.ok { color: #116329; }
.bad { color: #A40E26; font-weight: 600; }
.better { color: #116329; }
.worse { color: #A40E26; font-weight: 600; }
.same { color: ${MUTED}; }
.q { min-width: 16em; }
.note { color: ${MUTED}; }
figure { margin: 12px 0 20px; }
figure svg { display: block; width: 100%; max-width: 760px; height: auto; border: 1px solid ${GRID}; border-radius: 6px; }
figcaption { color: ${MUTED}; font-size: 13px; margin-top: 4px; }
code { font-size: 13px; background: #EEF1F4; padding: 0 4px; border-radius: 4px; }
@media print { body { background: #FFFFFF; } main { max-width: none; } }
`;

export function renderHtml(summary: EvalSummary, baseline?: EvalSummary, thresholds?: unknown): string {
  const s = summary;
  const t = thresholdsOf(thresholds);
  const names = matterNames(s);
  let chartNo = 0;
  const cid = () => `chart-${++chartNo}`;
  const body: string[] = [];
  const sections: { id: string; title: string }[] = [];
  const section = (id: string, title: string) => {
    sections.push({ id, title });
    body.push(`<section id="${id}" aria-labelledby="${id}-h"><h2 id="${id}-h">${escapeHtml(title)}</h2>`);
  };
  const end = () => body.push('</section>');
  const p = (text: string, cls = '') => body.push(`<p${cls ? ` class="${cls}"` : ''}>${escapeHtml(text)}</p>`);

  // Headline cards
  const def = s.dev?.[s.defaultMode]?.overall;
  const checks = thresholdChecks(s, t);
  const cards: [string, string][] = [];
  if (def) cards.push([`检索 hit@1（${s.defaultMode}）`, f3(def.hit1)], [`检索 MRR@10（${s.defaultMode}）`, f3(def.mrr10)]);
  if (s.answers) cards.push(['首选事项正确', f3(s.answers.topInGold)], ['每题 p95 延迟', `${f1(s.answers.latencyMs?.p95)} ms`]);
  if (checks.length) cards.push(['阈值检查', checks.every((c) => c.ok) ? `✅ ${checks.length}/${checks.length}` : `❌ ${checks.filter((c) => !c.ok).length} 项未达标`]);
  body.push(`<div class="cards">${cards.map(([k, v]) => `<div class="card"><div class="k">${escapeHtml(k)}</div><div class="v">${escapeHtml(v)}</div></div>`).join('')}</div>`);

  if (checks.length) {
    section('thresholds', '阈值检查 / Threshold check');
    body.push(
      htmlTable(
        'CI 阈值（evals/thresholds.json）',
        ['指标', '部分', '数值', '阈值', '结果'],
        checks.map((c) => [c.label, c.part, f3(c.value), boundText(c.kind, c.bound), { text: `${c.ok ? '✅' : '❌'} ${checkGap(c)}`, cls: c.ok ? 'ok' : 'bad' }]),
        [2, 3],
      ),
    );
    end();
  }

  // Retrieval
  section('retrieval', '检索评测 / Retrieval (dev)');
  if (!s.dev || !Object.keys(s.dev).length) p('检索评测未运行。');
  else {
    const dev = s.dev;
    const modes = Object.keys(dev);
    p(`dev 集中有正确事项的 ${dev[s.defaultMode]?.overall.n ?? dev[modes[0]].overall.n} 题；默认模式 ${s.defaultMode}。`);
    const series = modes.map((m, i) => ({ name: m === s.defaultMode ? `${m}（默认）` : m, color: colorOf(m, i) }));
    body.push(
      figure(
        groupedBars({
          id: cid(),
          kind: 'retrieval',
          title: '检索：各模式 hit@1 / hit@5 / MRR@10',
          desc: modes.map((m) => `${m}：hit@1 ${f3(dev[m].overall.hit1)}，hit@5 ${f3(dev[m].overall.hit5)}，MRR@10 ${f3(dev[m].overall.mrr10)}`).join('；'),
          categories: RETRIEVAL_METRICS.map((m) => m.label),
          series: series.map((se, i) => ({ ...se, values: RETRIEVAL_METRICS.map((m) => dev[modes[i]].overall[m.key]) })),
          marks: t ? RETRIEVAL_METRICS.map((m) => t.retrieval[m.key]) : undefined,
          markLegend: t && Object.keys(t.retrieval).length ? `默认模式阈值` : undefined,
        }),
        `图 ${chartNo}：三种检索模式在 dev 集上的总体得分（纵轴 0–1）；虚线为 CI 阈值（针对默认模式）。`,
      ),
    );
    body.push(
      htmlTable(
        '各模式总体得分',
        ['模式', 'n', 'hit@1', 'hit@5', 'MRR@10'],
        modes.map((m) => [m === s.defaultMode ? `${m}（默认）` : m, String(dev[m].overall.n), f3(dev[m].overall.hit1), f3(dev[m].overall.hit5), f3(dev[m].overall.mrr10)]),
        [1, 2, 3, 4],
      ),
    );
    const splits = [...new Set(modes.flatMap((m) => Object.keys(dev[m].bySplit ?? {})))];
    if (splits.length) {
      body.push(
        figure(
          groupedBars({
            id: cid(),
            kind: 'retrieval-splits',
            title: '检索：各类别 hit@1（按模式）',
            desc: splits.map((sp) => `${splitLabel(sp)}：${modes.map((m) => `${m} ${f3(dev[m].bySplit?.[sp]?.hit1)}`).join('，')}`).join('；'),
            categories: splits.map(splitLabel),
            series: series.map((se, i) => ({ ...se, values: splits.map((sp) => dev[modes[i]].bySplit?.[sp]?.hit1) })),
          }),
          `图 ${chartNo}：按问题类别的 hit@1，看哪类问法最难找到正确事项。`,
        ),
      );
    }
    for (const m of modes) {
      const r = dev[m];
      body.push(
        htmlTable(
          `${m}${m === s.defaultMode ? '（默认）' : ''}：按类别`,
          ['类别', 'n', 'hit@1', 'hit@5', 'MRR@10'],
          [
            ['全部', String(r.overall.n), f3(r.overall.hit1), f3(r.overall.hit5), f3(r.overall.mrr10)],
            ...Object.entries(r.bySplit ?? {}).map(([sp, v]) => [splitLabel(sp), String(v.n), f3(v.hit1), f3(v.hit5), f3(v.mrr10)]),
          ],
          [1, 2, 3, 4],
        ),
      );
    }
  }
  end();

  // Answers
  section('answers', '回答评测 / Answers');
  if (!s.answers) p('回答评测未运行。');
  else {
    const a = s.answers;
    const metrics = answerMetrics(a, t);
    p(`共 ${a.n} 题（dev + scope）。`);
    body.push(
      figure(
        hBars({
          id: cid(),
          kind: 'answers',
          title: '回答指标（含 CI 阈值）',
          desc: metrics.map((m) => `${m.label} ${f3(m.value)}${m.bound ? `（阈值 ${boundText(m.bound.kind, m.bound.value)}，${m.bound.ok ? '达标' : '未达标'}）` : ''}`).join('；'),
          series: [{ name: '本次', color: NOW_COLOR }],
          rows: metrics.map((m) => ({
            label: m.key === m.label ? m.key : m.label,
            sub: m.bound ? `阈值 ${boundText(m.bound.kind, m.bound.value)}` : m.better === 'down' ? '越低越好' : undefined,
            values: [m.value],
            notes: [m.bound && !m.bound.ok ? '✗ 未达标' : undefined],
            ...(m.bound ? { mark: { value: m.bound.value, kind: m.bound.kind } } : {}),
          })),
          max: 1,
          fmt: f3,
          markLegend: metrics.some((m) => m.bound) ? '阈值（≥ 下限 / ≤ 上限）' : undefined,
        }),
        `图 ${chartNo}：回答指标（横轴 0–1）；虚线为 evals/thresholds.json 中的阈值。`,
      ),
    );
    body.push(
      htmlTable(
        '回答指标',
        ['指标', '含义', '数值', '阈值', '状态'],
        metrics.map((m) => [
          { html: m.key === m.label ? escapeHtml(m.key) : `${escapeHtml(m.label)} <code>${escapeHtml(m.key)}</code>` },
          m.hint,
          f3(m.value),
          m.bound ? boundText(m.bound.kind, m.bound.value) : '—',
          m.bound ? { text: m.bound.ok ? '✅ 达标' : '❌ 未达标', cls: m.bound.ok ? 'ok' : 'bad' } : '—',
        ]),
        [2, 3],
      ),
    );
    const splits = Object.entries(a.bySplit ?? {});
    body.push(`<h3>按类别：按预期处理 / Handled as expected, per split</h3>`);
    if (splits.length) {
      body.push(
        figure(
          hBars({
            id: cid(),
            kind: 'answer-splits',
            title: '各类别按预期处理的比例',
            desc: splits.map(([sp, v]) => `${splitLabel(sp)} ${v.ok}/${v.n}`).join('；'),
            series: [{ name: '按预期', color: NOW_COLOR }],
            rows: splits.map(([sp, v]) => ({ label: splitLabel(sp), sub: `${v.ok}/${v.n}`, values: [v.n ? v.ok / v.n : undefined] })),
            max: 1,
            fmt: f3,
          }),
          `图 ${chartNo}：每类问题中按预期处理（作答 / 澄清 / 拒答）的比例。`,
        ),
      );
    }
    body.push(htmlTable('按类别按预期处理', ['类别', '按预期', '总数', '比例'], splits.map(([sp, v]) => [splitLabel(sp), String(v.ok), String(v.n), pct(v.n ? v.ok / v.n : undefined)]), [1, 2, 3]));
  }
  end();

  // Latency
  section('latency', '延迟 / Latency');
  if (!s.answers) p('回答评测未运行，无延迟数据。');
  else {
    const a = s.answers;
    const rows: { label: string; p50?: number; p95?: number }[] = [{ label: '每题总计', p50: a.latencyMs?.p50, p95: a.latencyMs?.p95 }];
    for (const [step, v] of Object.entries(a.steps ?? {})) rows.push({ label: step, p50: v.p50, p95: v.p95 });
    const max = niceMax(Math.max(0, ...rows.flatMap((r) => [r.p50, r.p95].filter(isNum))));
    body.push(
      figure(
        hBars({
          id: cid(),
          kind: 'latency',
          title: '延迟：每题与各步骤 p50 / p95（毫秒）',
          desc: rows.map((r) => `${r.label} p50 ${fms(r.p50)} ms，p95 ${fms(r.p95)} ms`).join('；'),
          series: [
            { name: 'p50', color: '#0072B2' },
            { name: 'p95', color: '#D55E00' },
          ],
          rows: rows.map((r) => ({ label: r.label, values: [r.p50, r.p95] })),
          max,
          fmt: fms,
          axisFmt: (x) => String(Number(x.toFixed(2))),
          unit: 'ms',
        }),
        `图 ${chartNo}：延迟随机器负载波动，仅供参考。`,
      ),
    );
    body.push(htmlTable('延迟（毫秒）', ['步骤', 'p50 ms', 'p95 ms'], rows.map((r) => [r.label, fms(r.p50), fms(r.p95)]), [1, 2]));
  }
  end();

  // External
  section('external', '外部基准 / External benchmark');
  if (!s.external) p(SKIPPED_EXTERNAL);
  else {
    const ext = s.external;
    p(`数据：${ext.datasetsDir}（每个不同答案为一篇文档，每个问题找其配对答案）。`);
    const configs = [...new Set(ext.datasets.flatMap((d) => Object.keys(d.configs)))];
    const cats = ext.datasets.flatMap((d) => [
      { label: `${d.dataset} hit@1`, d, key: 'hit1' as const },
      { label: `${d.dataset} MRR@10`, d, key: 'mrr10' as const },
    ]);
    body.push(
      figure(
        groupedBars({
          id: cid(),
          kind: 'external',
          title: '外部基准：各配置 hit@1 与 MRR@10',
          desc: ext.datasets
            .map((d) => `${d.dataset}：${configs.map((c) => `${c} hit@1 ${f3((d.configs as Record<string, RetrievalScores>)[c]?.hit1)}`).join('，')}`)
            .join('；'),
          categories: cats.map((c) => c.label),
          series: configs.map((c, i) => ({
            name: CONFIG_LABELS[c] ?? c,
            color: colorOf(c, i),
            values: cats.map((cat) => (cat.d.configs as Record<string, RetrievalScores | undefined>)[c]?.[cat.key]),
          })),
        }),
        `图 ${chartNo}：真实政务问答数据上的检索得分；二元组基线为不用词典的 BM25 对照。`,
      ),
    );
    const rows: Cell[][] = [];
    for (const d of ext.datasets) {
      for (const [c, v] of Object.entries(d.configs as Record<string, RetrievalScores>)) {
        rows.push([`${d.dataset} · ${CONFIG_LABELS[c] ? `${CONFIG_LABELS[c]} ${c}` : c}`, String(d.docs), String(d.questions), f3(v.hit1), f3(v.hit5), f3(v.mrr10), fms((d.msPerQuestion as Record<string, number>)?.[c])]);
      }
    }
    body.push(htmlTable('外部基准', ['数据集 · 配置', '文档', '问题', 'hit@1', 'hit@5', 'MRR@10', 'ms/题'], rows, [1, 2, 3, 4, 5, 6]));
    body.push(`<ul>${ext.datasets.map((d) => `<li>${escapeHtml(`${d.dataset}：建索引 ${d.ingestMs} ms，${d.chunks} 块，跳过无答案行 ${d.skippedRows} 条`)}</li>`).join('')}</ul>`);
  }
  end();

  // Baseline
  if (s.precheck) {
    const r = s.precheck;
    section('precheck', '材料预审评测 / Pre-check');
    p(`${r.cases} 个案例，${r.materials} 项材料；每案耗时 p50 ${r.latency.p50} ms / p95 ${r.latency.p95} ms。`);
    body.push(
      htmlTable(
        '预审指标',
        ['状态准确率', '齐全识别率', '误报齐全', '照片/扫描件准确率', '文件归属准确率', '无关文件召回', '无关文件精确'],
        [[f3(r.statusAccuracy), f3(r.completeRecall), String(r.falseComplete), f3(r.photoAccuracy), f3(r.fileAccuracy), f3(r.unmatchedRecall), f3(r.unmatchedPrecision)]],
        [0, 1, 2, 3, 4, 5, 6],
      ),
      htmlTable('按预期状态', ['状态', '数量', '准确率'], Object.entries(r.byStatus).map(([k, v]) => [k, String(v.n), f3(v.accuracy)]), [1, 2]),
    );
    if (r.worst.length) {
      body.push(
        htmlTable(
          '预审未按预期的案例',
          ['案例', '事项', '标签', '不符的材料', '未匹配文件'],
          r.worst.map((w) => [
            w.id,
            w.matterId,
            w.tags.join('、'),
            [...w.wrong.map((x) => `材料${x.index}：预期 ${x.expected}，实得 ${x.got}${x.problems.length ? `（${x.problems.join('、')}）` : ''}`), ...w.misplaced].join('；') || '齐全判断不符',
            w.unmatchedGot.join('、') || '无',
          ]),
        ),
      );
    }
    end();
  }

  section('baseline', '与基线比较 / Compared with baseline');
  if (!baseline) p('未提供基线（evals/reports/baseline.json）。');
  else {
    const { rows, notes } = comparison(s, baseline);
    p(`基线 ${baseline.at} → 本次 ${s.at}。▲ 上升，▼ 下降，＝ 持平；“评价”按指标方向判断（误拒率与延迟越低越好）。`);
    const chartRows = rows.filter((r) => r.rate && isNum(r.before) && isNum(r.now));
    if (chartRows.length) {
      body.push(
        figure(
          hBars({
            id: cid(),
            kind: 'baseline',
            title: '基线与本次对比',
            desc: chartRows.map((r) => `${r.label}：${f3(r.before)} → ${f3(r.now)}（${delta(r).arrow}${delta(r).diff}）`).join('；'),
            series: [
              { name: '基线', color: BASE_COLOR },
              { name: '本次', color: NOW_COLOR },
            ],
            rows: chartRows.map((r) => {
              const d = delta(r);
              return { label: r.label, sub: r.group, values: [r.before, r.now], notes: [undefined, `${d.arrow} ${d.diff}${d.verdict === 'worse' ? ' 退步' : ''}`] };
            }),
            max: 1,
            fmt: f3,
          }),
          `图 ${chartNo}：上条为基线，下条为本次；本次数值后标出变化。`,
        ),
      );
    }
    if (rows.length)
      body.push(
        htmlTable(
          '各指标：基线 → 本次',
          ['指标', '部分', '基线', '本次', '变化', '评价'],
          rows.map((r) => {
            const d = delta(r);
            const cls = d.verdict === 'better' ? 'better' : d.verdict === 'worse' ? 'worse' : 'same';
            return [r.label, r.group, fmtDigits(r.before, r.digits), fmtDigits(r.now, r.digits), { text: d.arrow ? `${d.arrow} ${d.diff}` : d.diff, cls: `num ${cls}` }, { text: verdictText(r, d), cls }];
          }),
          [2, 3, 4],
        ),
      );
    else p('没有可比较的指标。');
    if (notes.length) body.push(`<ul>${notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('')}</ul>`);
  }
  end();

  // Failures
  section('failures', '失败分析 / Failure analysis');
  const misses = s.worstRetrieval ?? [];
  body.push(`<h3>${escapeHtml(`检索未命中 hit@1（${s.defaultMode}，${misses.length} 题，前 5 也未命中的在前）`)}</h3>`);
  if (!s.dev) p('检索评测未运行。');
  else if (!misses.length) p('没有未命中的题。');
  else {
    p(`诊断：${countBy(misses, retrievalDiagnosis).map(([k, n]) => `${k} ${n} 题`).join('；')}。`);
    body.push(
      htmlTable(
        '检索未命中的题',
        ['id', '问题', '正确事项 gold', '检索到的前几名', '诊断'],
        misses.map((m) => {
          const gold = new Set(m.gold);
          return [
            m.id,
            { text: m.question, cls: 'q' },
            m.gold.map((g) => withName(names, g)).join('；'),
            {
              html: m.got?.length
                ? `<ol>${m.got.map((g) => `<li>${gold.has(g.id) ? '<strong>✓ ' : ''}${escapeHtml(`${g.id} ${g.name ?? ''}`.trim())}${gold.has(g.id) ? '</strong>' : ''}</li>`).join('')}</ol>`
                : '（无）',
            },
            retrievalDiagnosis(m),
          ];
        }),
      ),
    );
  }
  const worst = s.answers?.worst ?? [];
  body.push(`<h3>${escapeHtml(`回答未按预期处理（${worst.length} 题）`)}</h3>`);
  if (!s.answers) p('回答评测未运行。');
  else if (!worst.length) p('所有题都按预期处理。');
  else {
    p(`诊断：${countBy(worst, answerDiagnosis).map(([k, n]) => `${k} ${n} 题`).join('；')}。`);
    body.push(
      htmlTable(
        '回答未按预期处理的题',
        ['id', '问题', '预期', '正确事项 gold', '回答首选', '拒答', '澄清选项', '诊断'],
        worst.map((w) => [
          w.id,
          { text: w.question, cls: 'q' },
          EXPECT_LABELS[w.expect] ?? w.expect,
          w.gold.length ? w.gold.map((g) => withName(names, g)).join('；') : '（无）',
          w.got === '(none)' ? '（无）' : w.got,
          w.refused ? '是' : '否',
          w.clarify?.length ? w.clarify.map((id) => withName(names, id)).join('；') : '—',
          answerWhy(w, misses),
        ]),
      ),
    );
  }
  end();

  const meta: [string, string][] = [
    ['运行时间', s.at],
    ['默认检索模式', s.defaultMode],
    ...(isNum(s.seconds) ? [['总耗时', `${s.seconds} s`] as [string, string]] : []),
    ['基线', baseline ? `${baseline.at}（默认模式 ${baseline.defaultMode}）` : '未提供'],
    ['已运行', [s.dev ? '检索' : '', s.answers ? '回答' : '', s.external ? '外部基准' : ''].filter(Boolean).join('、') || '无'],
  ];
  return `<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(`汇办评测报告 · ${s.at}`)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
<header>
<h1>汇办评测报告 <span lang="en">/ Huiban evaluation report</span></h1>
<dl class="meta">${meta.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`).join('')}</dl>
<nav aria-label="目录"><ul>${sections.map((x) => `<li><a href="#${x.id}">${escapeHtml(x.title)}</a></li>`).join('')}</ul></nav>
</header>
${body.join('\n')}
</main>
</body>
</html>
`;
}

// ---------------------------------------------------------------------------------------------------------
// Files

/** Writes latest.json, latest.md and latest.html into `dir` (created if needed) and returns their paths. */
export function writeReports(summary: EvalSummary, dir: string, opts: { baseline?: EvalSummary; thresholds?: unknown } = {}): { json: string; md: string; html: string } {
  fs.mkdirSync(dir, { recursive: true });
  const paths = { json: path.join(dir, 'latest.json'), md: path.join(dir, 'latest.md'), html: path.join(dir, 'latest.html') };
  fs.writeFileSync(paths.json, JSON.stringify(summary, null, 2));
  fs.writeFileSync(paths.md, renderMarkdown(summary, opts.baseline, opts.thresholds));
  fs.writeFileSync(paths.html, renderHtml(summary, opts.baseline, opts.thresholds));
  return paths;
}
