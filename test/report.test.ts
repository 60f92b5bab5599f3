import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderHtml, renderMarkdown, writeReports, type EvalSummary } from '../evals/report.ts';

const PLANTED = '<script>alert(1)</script> & "引号" \'单引号\'';

const scores = (n: number, hit1: number, hit5: number, mrr10: number) => ({ n, hit1, hit5, mrr10 });

function makeSummary(): EvalSummary {
  return {
    at: '2026-11-22T06:59:25.265Z',
    defaultMode: 'bm25',
    dev: {
      bm25: { overall: scores(430, 0.9069767, 0.9906977, 0.9430233), bySplit: { colloquial: scores(198, 0.8686869, 0.979798, 0.9173401), field: scores(142, 0.9647887, 1, 0.9788732) } },
      dense: { overall: scores(430, 0.6255814, 0.8697674, 0.7235410), bySplit: { colloquial: scores(198, 0.5757576, 0.8333333, 0.6869148), field: scores(142, 0.7042254, 0.9014085, 0.7887324) } },
      hybrid: { overall: scores(430, 0.9023256, 0.9883721, 0.9401163), bySplit: { colloquial: scores(198, 0.8636364, 0.979798, 0.9151515), field: scores(142, 0.9577465, 1, 0.9748826) } },
    },
    worstRetrieval: [
      { id: 'dev-x-001', question: PLANTED, gold: ['qy-057'], got: [{ id: 'qy-018', name: '股份有限公司变更登记' }, { id: 'qy-031', name: '分公司注销登记' }] },
      { id: 'dev-a-004', question: '公司注册地址要从长宁搬到徐汇来', gold: ['qy-011'], got: [{ id: 'qy-010', name: '有限责任公司变更登记' }, { id: 'qy-011', name: '企业住所跨区迁移登记' }] },
    ],
    answers: {
      n: 629,
      topInGold: 0.8765432,
      clarifyRate: 0.875,
      inScopeRefused: 0.027027,
      oosRefused: 0.9099099,
      citationsValid: 1,
      factRecall: 0.7346154,
      answerAccuracy: 0.7023256,
      citationPrecision: 1,
      citationRecall: 0.7162791,
      refusalPrecision: 0.8782609,
      steps: { retrieve: { p50: 4.61, p95: 14.38 }, total: { p50: 5.88, p95: 15.75 } },
      bySplit: { colloquial: { n: 198, ok: 167 }, oos: { n: 90, ok: 80 } },
      latencyMs: { p50: 5.902, p95: 15.776 },
      worst: [
        { id: 'dev-x-002', question: PLANTED, expect: 'answer', gold: ['qy-011'], got: 'qy-010 有限责任公司变更登记', refused: false, clarify: ['qy-010', 'qy-011'] },
        { id: 'scope-009', question: '帮我写一首诗', expect: 'refuse', gold: [], got: '(none)', refused: false },
      ],
    },
    external: {
      datasetsDir: '/work/shared/datasets',
      workDir: '/tmp/huiban-external',
      datasets: [
        {
          dataset: 'msga-nlu',
          docs: 223,
          questions: 233,
          configs: { bm25: scores(233, 0.412, 0.674, 0.521), dense: scores(233, 0.421, 0.725, 0.547), hybrid: scores(233, 0.412, 0.674, 0.524), baselineBigram: scores(233, 0.442, 0.734, 0.572) },
          ingestMs: 28,
          skippedRows: 0,
          chunks: 259,
          msPerQuestion: { bm25: 7.086, dense: 7.314, hybrid: 6.495, baselineBigram: 0.914 },
        },
      ],
    },
    seconds: 14,
  };
}

/** An older run: lower hit@1, higher topInGold (so this run regressed there), more wrongful refusals. */
function makeBaseline(): EvalSummary {
  const b = makeSummary();
  b.at = '2026-11-20T00:00:00.000Z';
  b.dev!.bm25.overall = scores(430, 0.9046512, 0.9906977, 0.9418605);
  b.answers = { ...b.answers!, topInGold: 0.89, inScopeRefused: 0.0308880, answerAccuracy: undefined, bySplit: { colloquial: { n: 198, ok: 166 }, oos: { n: 90, ok: 80 } } };
  delete b.answers.answerAccuracy;
  return b;
}

const THRESHOLDS = {
  $comment: 'test',
  retrieval: { hit1: 0.87, hit5: 0.97, mrr10: 0.92 },
  answers: { min: { topInGold: 0.85, factRecall: 0.68, oosRefused: 0.87 }, max: { inScopeRefused: 0.03 } },
};

/** The Markdown table row whose cells start with the given text. */
const mdRow = (md: string, start: string) => md.split('\n').find((l) => l.startsWith(`| ${start}`));

describe('renderMarkdown', () => {
  const md = renderMarkdown(makeSummary(), makeBaseline(), THRESHOLDS);

  it('shows the retrieval, answer, split, latency and external figures', () => {
    expect(mdRow(md, 'bm25（默认） | 430')).toContain('| 0.907 | 0.991 | 0.943 |');
    expect(mdRow(md, 'dense | 430')).toContain('| 0.626 | 0.870 | 0.724 |');
    expect(mdRow(md, '要素 field | 142 | 0.965')).toBeDefined();
    expect(mdRow(md, '首选事项正确')).toMatch(/0\.877 \| ≥ 0\.850 \| ✅/);
    expect(mdRow(md, '范围内误拒')).toMatch(/0\.027 \| ≤ 0\.030 \| ✅/);
    expect(mdRow(md, '口语 colloquial | 167 | 198')).toContain('84.3%');
    expect(mdRow(md, '**每题总计**')).toContain('5.90 | 15.8');
    expect(mdRow(md, 'msga-nlu | 223 | 233 | 二元组基线 baselineBigram')).toContain('0.442');
  });

  it('compares each metric with the baseline: before → now, arrow, signed difference, verdict by direction', () => {
    const cmp = md.slice(md.indexOf('## 与基线比较'), md.indexOf('## 失败分析'));
    expect(mdRow(cmp, '检索 dev | bm25（默认） hit@1')).toContain('| 0.905 | 0.907 | ▲ +0.002 | 改善 |');
    expect(mdRow(cmp, '检索 dev | bm25（默认） hit@5')).toContain('| 0.991 | 0.991 | ＝ 0.000 | 持平 |');
    expect(mdRow(cmp, '回答 | 首选事项正确')).toContain('| 0.890 | 0.877 | ▼ -0.013 | 退步 |');
    // Fewer wrongful refusals is a decrease and an improvement.
    expect(mdRow(cmp, '回答 | 范围内误拒')).toContain('| 0.031 | 0.027 | ▼ -0.004 | 改善 |');
    expect(mdRow(cmp, '回答 | 回答准确')).toContain('基线无此项');
    expect(mdRow(cmp, '按类别按预期处理 | 口语 colloquial')).toContain('▲ +0.005');
  });

  it('lists the worst questions with gold, what was retrieved or answered, and why', () => {
    const miss = mdRow(md, '2 | dev-a-004')!;
    expect(miss).toContain('qy-011 企业住所跨区迁移登记');
    expect(miss).toContain('1. qy-010 有限责任公司变更登记');
    expect(miss).toContain('正确事项排第 2');
    const ans = mdRow(md, '1 | dev-x-002')!;
    expect(ans).toContain('qy-010 有限责任公司变更登记');
    expect(ans).toContain('反问澄清（选项含正确事项）');
    expect(mdRow(md, '2 | scope-009')).toContain('应拒答却作答');
  });

  it('keeps planted markup and table breaks out of the Markdown', () => {
    expect(md).not.toContain('<script>');
    expect(md).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    const bad = renderMarkdown({ ...makeSummary(), worstRetrieval: [{ id: 'x', question: 'a | b\nc', gold: ['g'], got: [] }] });
    expect(mdRow(bad, '1 | x')).toContain('a \\| b c');
  });

  it('flags a metric past its threshold', () => {
    const s = makeSummary();
    s.answers!.topInGold = 0.8;
    const out = renderMarkdown(s, undefined, THRESHOLDS);
    expect(out).toContain('❌ 1 项未达标');
    expect(mdRow(out, '回答 | 首选事项正确')).toContain('未达标（差 0.050）');
  });

  it('says what was skipped instead of failing', () => {
    const s = makeSummary();
    s.external = null;
    delete s.answers;
    const out = renderMarkdown(s);
    expect(out).toContain('外部基准已跳过');
    expect(out).toContain('回答评测未运行');
    expect(out).toContain('未提供基线');
    expect(out).not.toMatch(/[▲▼]/);
    const onlyAnswers = makeSummary();
    delete onlyAnswers.dev;
    delete onlyAnswers.worstRetrieval;
    expect(renderMarkdown(onlyAnswers, makeBaseline())).toContain('检索评测只在基线中运行');
  });
});

describe('renderHtml', () => {
  const html = renderHtml(makeSummary(), makeBaseline(), THRESHOLDS);
  const svgs = [...html.matchAll(/<svg\b[^>]*>/g)].map((m) => m[0]);
  const charts = (h: string) => [...h.matchAll(/data-chart="([^"]+)"/g)].map((m) => m[1]);

  it('is one self-contained, accessible page', () => {
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).toContain('<html lang="zh-CN">');
    expect(html).toMatch(/<title>[^<]*汇办评测报告[^<]*<\/title>/);
    expect(html).not.toMatch(/<link\b/i);
    expect(html).not.toMatch(/<script\b/i);
    expect(html).not.toMatch(/<(img|iframe|object|embed)\b/i);
    expect(html).not.toMatch(/\b(src|href)\s*=\s*["']?\s*(https?:)?\/\//i);
    expect(html).not.toMatch(/@import|url\(/i);
    // Every header cell says what it heads.
    const ths = [...html.matchAll(/<th\b[^>]*>/g)].map((m) => m[0]);
    expect(ths.length).toBeGreaterThan(20);
    for (const th of ths) expect(th).toMatch(/scope="(col|row)"/);
  });

  it('draws each chart as one inline SVG with role="img", a label and a title', () => {
    expect(charts(html)).toEqual(['retrieval', 'retrieval-splits', 'answers', 'answer-splits', 'latency', 'external', 'baseline']);
    expect(svgs).toHaveLength(7);
    expect(html).not.toContain('外部基准已跳过');
    for (const svg of svgs) {
      expect(svg).toContain('role="img"');
      expect(svg).toMatch(/aria-label="[^"]+"/);
    }
    expect(html.match(/<svg\b[^>]*>\s*<title>[^<]+<\/title>/g)).toHaveLength(7);
  });

  it('puts the figures in the charts: bars per mode, threshold lines, baseline vs now', () => {
    const svgOf = (kind: string) => html.match(new RegExp(`<svg[^>]*data-chart="${kind}"[\\s\\S]*?</svg>`))![0];
    const retrieval = svgOf('retrieval');
    expect(retrieval.match(/<rect [^>]*fill="#0072B2"/g)!.length).toBeGreaterThanOrEqual(3);
    for (const v of ['0.907', '0.626', '0.902']) expect(retrieval).toContain(`>${v}<`);
    // One dashed line per metric with a bound (4 answer thresholds), plus the legend's sample.
    expect(svgOf('answers').match(/stroke-dasharray/g)).toHaveLength(5);
    expect(svgOf('answers')).toContain('阈值 ≤ 0.030');
    const base = svgOf('baseline');
    expect(base).toContain('>0.905<');
    expect(base).toContain('0.907 ▲ +0.002');
  });

  it('escapes data text', () => {
    expect(html).not.toContain('<script>alert(1)</script>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;引号&quot; &#39;单引号&#39;');
    const s = makeSummary();
    s.defaultMode = 'bm25"><b>x</b>';
    expect(renderHtml(s)).not.toContain('<b>x</b>');
  });

  it('renders when the external benchmark was skipped', () => {
    const s = makeSummary();
    s.external = null;
    const out = renderHtml(s, makeBaseline(), THRESHOLDS);
    expect(out).toContain('外部基准已跳过');
    expect(charts(out)).not.toContain('external');
    expect(charts(out)).toHaveLength(6);
  });

  it('renders when the answers are missing, and without a baseline or thresholds', () => {
    const s = makeSummary();
    delete s.answers;
    const out = renderHtml(s, makeBaseline());
    expect(out).toContain('回答评测未运行');
    expect(charts(out)).toEqual(['retrieval', 'retrieval-splits', 'external', 'baseline']);
    const bare = renderHtml({ at: 'now', defaultMode: 'bm25', external: null });
    expect(bare).toContain('检索评测未运行');
    expect(bare).toContain('未提供基线');
    expect(charts(bare)).toEqual([]);
  });
});

describe('writeReports', () => {
  it('writes latest.json, latest.md and latest.html and returns their paths', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'huiban-report-'));
    try {
      const summary = makeSummary();
      const out = writeReports(summary, path.join(dir, 'nested'), { baseline: makeBaseline(), thresholds: THRESHOLDS });
      expect(out).toEqual({ json: path.join(dir, 'nested', 'latest.json'), md: path.join(dir, 'nested', 'latest.md'), html: path.join(dir, 'nested', 'latest.html') });
      expect(JSON.parse(fs.readFileSync(out.json, 'utf8'))).toEqual(summary);
      expect(fs.readFileSync(out.md, 'utf8')).toContain('▲ +0.002');
      expect(fs.readFileSync(out.html, 'utf8')).toContain('data-chart="baseline"');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
