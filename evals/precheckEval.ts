import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { MaterialStatus, Prechecker, PrecheckReport } from '../server/precheck/precheck.ts';

const STATUSES = ['provided', 'missing', 'problem', 'exempt', 'conditional', 'optional'] as const;

/** A pre-check case (CONTRACTS.md "Evaluation rows"), plus optional tags (complete, photo, expired …). */
export const PrecheckCase = z.object({
  id: z.string(),
  matterId: z.string(),
  files: z.array(z.string()).min(1),
  situations: z.array(z.number().int().min(1)).optional(),
  expected: z.array(z.object({ index: z.number().int().min(1), status: z.enum(STATUSES) })),
  unmatched: z.array(z.string()).optional(),
  tags: z.array(z.string()).optional(),
});
export type PrecheckCase = z.infer<typeof PrecheckCase>;

export function readPrecheckCases(file: string): PrecheckCase[] {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l, i) => {
      const r = PrecheckCase.safeParse(JSON.parse(l));
      if (!r.success) throw new Error(`${file}:${i + 1}: ${r.error.issues[0].path.join('.')} ${r.error.issues[0].message}`);
      return r.data;
    });
}

export interface PrecheckCaseResult {
  id: string;
  matterId: string;
  tags: string[];
  ms: number;
  wrong: { index: number; expected: MaterialStatus; got: MaterialStatus; problems: string[]; files: string[] }[];
  unmatchedExpected: string[];
  unmatchedGot: string[];
  expectedComplete: boolean;
  reportedComplete: boolean;
}

export interface PrecheckEvalReport {
  cases: number;
  materials: number;
  /** Share of material statuses right, over every material of every case. */
  statusAccuracy: number;
  /** Per expected status: how many, and the share reported right. */
  byStatus: Record<string, { n: number; accuracy: number }>;
  /** Complete sets (nothing missing or wrong expected) reported complete. */
  completeRecall: number;
  /** Incomplete sets reported complete: must be 0. */
  falseComplete: number;
  /** Status accuracy in cases with a photo or a scan (OCR). */
  photoAccuracy: number;
  /** Files expected unmatched that were reported unmatched, and unmatched reports that were expected. */
  unmatchedRecall: number;
  unmatchedPrecision: number;
  latency: { p50: number; p95: number };
  worst: PrecheckCaseResult[];
}

const pct = (xs: number[], p: number) => {
  if (!xs.length) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};
const ratio = (a: number, b: number) => (b ? a / b : 1);

/** Runs every case through the pre-check (files read from disk, relative to `root`) and scores the statuses. */
export async function evalPrecheck(prechecker: Prechecker, cases: PrecheckCase[], opts: { root?: string; today: Date }): Promise<PrecheckEvalReport> {
  const results: PrecheckCaseResult[] = [];
  for (const c of cases) {
    const files = c.files.map((f) => ({ name: path.basename(f), data: new Uint8Array(fs.readFileSync(path.join(opts.root ?? '.', f))) }));
    const t = performance.now();
    const report: PrecheckReport = await prechecker.check(c.matterId, files, { situations: c.situations, today: opts.today });
    const ms = performance.now() - t;
    const got = new Map(report.materials.map((m) => [m.index, m]));
    const wrong = c.expected
      .filter((e) => got.get(e.index)?.status !== e.status)
      .map((e) => {
        const g = got.get(e.index);
        return { index: e.index, expected: e.status, got: (g?.status ?? 'missing') as MaterialStatus, problems: g?.problems.map((p) => p.code) ?? [], files: g?.files ?? [] };
      });
    results.push({
      id: c.id,
      matterId: c.matterId,
      tags: c.tags ?? [],
      ms,
      wrong,
      unmatchedExpected: c.unmatched ?? [],
      unmatchedGot: report.unmatched.map((u) => `${u.file}:${u.reason}`),
      expectedComplete: c.expected.every((e) => e.status !== 'missing' && e.status !== 'problem'),
      reportedComplete: report.complete,
    });
  }
  const byStatus: Record<string, { n: number; accuracy: number }> = {};
  for (const s of STATUSES) {
    let n = 0;
    let ok = 0;
    cases.forEach((c, i) => {
      for (const e of c.expected.filter((x) => x.status === s)) {
        n++;
        if (!results[i].wrong.some((w) => w.index === e.index)) ok++;
      }
    });
    if (n) byStatus[s] = { n, accuracy: ratio(ok, n) };
  }
  const total = cases.reduce((a, c) => a + c.expected.length, 0);
  const wrongTotal = results.reduce((a, r) => a + r.wrong.length, 0);
  const photo = cases.map((c, i) => ({ c, r: results[i] })).filter(({ c }) => (c.tags ?? []).some((t) => t === 'photo' || t === 'scanned-pdf'));
  const photoTotal = photo.reduce((a, { c }) => a + c.expected.length, 0);
  const photoWrong = photo.reduce((a, { r }) => a + r.wrong.length, 0);
  const complete = results.filter((r) => r.expectedComplete);
  let uExp = 0;
  let uHit = 0;
  let uGot = 0;
  let uRight = 0;
  for (const r of results) {
    const gotNames = r.unmatchedGot.map((u) => u.slice(0, u.lastIndexOf(':')));
    uExp += r.unmatchedExpected.length;
    uHit += r.unmatchedExpected.filter((f) => gotNames.includes(f)).length;
    uGot += gotNames.length;
    uRight += gotNames.filter((f) => r.unmatchedExpected.includes(f)).length;
  }
  return {
    cases: cases.length,
    materials: total,
    statusAccuracy: ratio(total - wrongTotal, total),
    byStatus,
    completeRecall: ratio(complete.filter((r) => r.reportedComplete).length, complete.length),
    falseComplete: results.filter((r) => !r.expectedComplete && r.reportedComplete).length,
    photoAccuracy: ratio(photoTotal - photoWrong, photoTotal),
    unmatchedRecall: ratio(uHit, uExp),
    unmatchedPrecision: ratio(uRight, uGot),
    latency: { p50: Math.round(pct(results.map((r) => r.ms), 50)), p95: Math.round(pct(results.map((r) => r.ms), 95)) },
    worst: results.filter((r) => r.wrong.length || r.expectedComplete !== r.reportedComplete).sort((a, b) => b.wrong.length - a.wrong.length),
  };
}

/** The pre-check part of the Markdown report. */
export function precheckMarkdown(r: PrecheckEvalReport): string {
  const f = (x: number) => x.toFixed(3);
  const out = [
    '## 材料预审评测 / Pre-check',
    '',
    `${r.cases} 个案例，${r.materials} 项材料；每案耗时 p50 ${r.latency.p50} ms / p95 ${r.latency.p95} ms。`,
    '',
    '| 状态准确率 | 齐全识别率 | 误报齐全 | 照片/扫描件准确率 | 无关文件召回 | 无关文件精确 |',
    '|---|---|---|---|---|---|',
    `| ${f(r.statusAccuracy)} | ${f(r.completeRecall)} | ${r.falseComplete} | ${f(r.photoAccuracy)} | ${f(r.unmatchedRecall)} | ${f(r.unmatchedPrecision)} |`,
    '',
    '| 预期状态 | 数量 | 准确率 |',
    '|---|---:|---:|',
    ...Object.entries(r.byStatus).map(([s, v]) => `| ${s} | ${v.n} | ${f(v.accuracy)} |`),
    '',
  ];
  if (r.worst.length) {
    out.push(`### 预审未按预期的案例（${r.worst.length}）`, '');
    for (const w of r.worst.slice(0, 20)) {
      const wrong = w.wrong.map((x) => `材料${x.index} 预期 ${x.expected} 实得 ${x.got}${x.problems.length ? `（${x.problems.join('、')}）` : ''}${x.files.length ? ` ← ${x.files.join('、')}` : ''}`);
      out.push(`- \`${w.id}\`（${w.matterId}；${w.tags.join('、')}）：${wrong.join('；') || '齐全判断不符'}；未匹配：${w.unmatchedGot.join('、') || '无'}`);
    }
    out.push('');
  }
  return out.join('\n');
}
