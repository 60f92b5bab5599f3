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
  /** File name → the material it is (for scoring which file went where). */
  fileMaterials: z.record(z.string(), z.number().int()).optional(),
  /** Materials provided only as photos or scans (OCR): photo accuracy is scored on these. */
  photoOnlyMaterials: z.array(z.number().int()).optional(),
  note: z.string().optional(),
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
  /** Files the case assigns to a material: how many, and how many the pre-check put there. */
  filesNamed: number;
  filesRight: number;
  /** Files put on the wrong material: name → [expected, got]. */
  misplaced: string[];
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
  /** Status accuracy of the materials provided only as photos or scans (OCR). */
  photoAccuracy: number;
  /** Files expected unmatched that were reported unmatched, and unmatched reports that were expected. */
  unmatchedRecall: number;
  unmatchedPrecision: number;
  /** Files whose material the case names (fileMaterials) that were matched to it. */
  fileAccuracy: number;
  photoMaterials: number;
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
export async function evalPrecheck(prechecker: Prechecker, cases: PrecheckCase[], opts: { root?: string; today: Date; parallel?: number }): Promise<PrecheckEvalReport> {
  const results: PrecheckCaseResult[] = new Array(cases.length);
  // Cases run `parallel` at a time (the pre-checker's own slots and worker pool bound the real concurrency).
  let next = 0;
  const lane = async () => {
    while (next < cases.length) {
      const i = next++;
      results[i] = await runCase(prechecker, cases[i], opts);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, opts.parallel ?? 1) }, lane));
  return score(cases, results);
}

async function runCase(prechecker: Prechecker, c: PrecheckCase, opts: { root?: string; today: Date }): Promise<PrecheckCaseResult> {
  {
    const files = c.files.map((f) => ({ name: path.basename(f), data: new Uint8Array(fs.readFileSync(path.join(opts.root ?? '.', f))) }));
    const t = performance.now();
    const report: PrecheckReport = await prechecker.check(c.matterId, files, { situations: c.situations, today: opts.today });
    const ms = performance.now() - t;
    const got = new Map(report.materials.map((m) => [m.index, m]));
    const placed = new Map(report.files.map((f) => [f.file, f.material]));
    const named = Object.entries(c.fileMaterials ?? {});
    const misplaced = named.filter(([f, m]) => placed.get(f) !== m).map(([f, m]) => `${f}→预期材料${m}，实得${placed.get(f) ?? '未匹配'}`);
    const wrong = c.expected
      .filter((e) => got.get(e.index)?.status !== e.status)
      .map((e) => {
        const g = got.get(e.index);
        return { index: e.index, expected: e.status, got: (g?.status ?? 'missing') as MaterialStatus, problems: g?.problems.map((p) => p.code) ?? [], files: g?.files ?? [] };
      });
    return {
      id: c.id,
      matterId: c.matterId,
      tags: c.tags ?? [],
      ms,
      wrong,
      unmatchedExpected: c.unmatched ?? [],
      unmatchedGot: report.unmatched.map((u) => `${u.file}:${u.reason}`),
      expectedComplete: c.expected.every((e) => e.status !== 'missing' && e.status !== 'problem'),
      reportedComplete: report.complete,
      filesNamed: named.length,
      filesRight: named.length - misplaced.length,
      misplaced,
    };
  }
}

function score(cases: PrecheckCase[], results: PrecheckCaseResult[]): PrecheckEvalReport {
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
  // Photo accuracy: the statuses of materials provided only as photos or scans (OCR), where a case says which.
  let photoTotal = 0;
  let photoWrong = 0;
  cases.forEach((c, i) => {
    for (const m of c.photoOnlyMaterials ?? []) {
      photoTotal++;
      if (results[i].wrong.some((w) => w.index === m)) photoWrong++;
    }
  });
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
    photoMaterials: photoTotal,
    fileAccuracy: ratio(results.reduce((a, r) => a + r.filesRight, 0), results.reduce((a, r) => a + r.filesNamed, 0)),
    unmatchedRecall: ratio(uHit, uExp),
    unmatchedPrecision: ratio(uRight, uGot),
    latency: { p50: Math.round(pct(results.map((r) => r.ms), 50)), p95: Math.round(pct(results.map((r) => r.ms), 95)) },
    worst: results.filter((r) => r.wrong.length || r.misplaced.length || r.expectedComplete !== r.reportedComplete).sort((a, b) => b.wrong.length - a.wrong.length),
  };
}

/** The pre-check part of the Markdown report. */
export function precheckMarkdown(r: PrecheckEvalReport): string {
  const f = (x: number) => x.toFixed(3);
  const out = [
    '## 材料预审评测 / Pre-check',
    '',
    `${r.cases} 个案例，${r.materials} 项材料；每案耗时 p50 ${r.latency.p50} ms / p95 ${r.latency.p95} ms（两案并行，同一文件只读取一次：耗时仅供参考，冷启动耗时见 npm run bench）。`,
    '',
    '| 状态准确率 | 齐全识别率 | 误报齐全 | 照片/扫描件准确率 | 文件归属准确率 | 无关文件召回 | 无关文件精确 |',
    '|---|---|---|---|---|---|---|',
    `| ${f(r.statusAccuracy)} | ${f(r.completeRecall)} | ${r.falseComplete} | ${f(r.photoAccuracy)}（${r.photoMaterials} 项） | ${f(r.fileAccuracy)} | ${f(r.unmatchedRecall)} | ${f(r.unmatchedPrecision)} |`,
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
      out.push(`- \`${w.id}\`（${w.matterId}；${w.tags.join('、')}）：${wrong.join('；') || '状态无误'}；${w.misplaced.length ? `文件归属：${w.misplaced.join('、')}；` : ''}未匹配：${w.unmatchedGot.join('、') || '无'}`);
    }
    out.push('');
  }
  return out.join('\n');
}
