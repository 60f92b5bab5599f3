import pLimit from 'p-limit';
import { materialKind, type Guide } from '../../ingest/guideSchema.ts';
import { ApiError } from '../errors.ts';
import { applicantOf, checkDocument, type Parties, type Problem } from './checks.ts';
import { DEFAULT_LIMITS, FileProblem, type ExtractLimits, type Extracted, type FileReason } from './limits.ts';
import { assignDocuments, profileDocument, scoreMaterials, type DocProfile } from './match.ts';
import { ExtractorPool } from './workerPool.ts';

export type MaterialStatus = 'provided' | 'missing' | 'problem' | 'exempt' | 'conditional' | 'optional';

export interface UploadedFile {
  name: string;
  data: Uint8Array;
}

export interface MaterialRow {
  index: number;
  name: string;
  status: MaterialStatus;
  files: string[];
  problems: Problem[];
  citation: { n: number; matterId: string; matterName: string; section: string; quote: string; url: string };
  form: string;
  copies: number;
  requirements: string;
  /** The situation in which a conditional material is needed. */
  when?: string;
  /** For a conditional material nobody declared: the question to ask the citizen. */
  question?: string;
  /** What the status means for this material, in a sentence. */
  note: string;
}

export interface UnmatchedFile {
  file: string;
  reason: FileReason | 'no-match';
  /** What to do about it, in Chinese. */
  advice: string;
}

export interface PrecheckReport {
  matterId: string;
  matterName: string;
  summary: string;
  complete: boolean;
  materials: MaterialRow[];
  unmatched: UnmatchedFile[];
  /** Which file was read how (pdf-text, pdf-ocr, docx, text, ocr): no document text. */
  files: { file: string; via?: Extracted['via']; material?: number }[];
  disclaimer: string;
  timings: { totalMs: number; perFileMs: number[] };
}

export interface PrecheckOptions {
  /** 1-based indices of conditional materials whose situation applies. */
  situations?: number[];
  /** The day validity is judged against (evals and tests fix it); today by default. */
  today?: Date;
}

export const PRECHECK_DISCLAIMER = '预审结果仅供参考，以窗口工作人员审核和上海“一网通办”官方办事指南为准。';

const NOTE: Record<MaterialStatus, string> = {
  provided: '已收到，未发现问题。',
  missing: '还没有上传这项材料。',
  problem: '已上传，但需要修改后重新提供。',
  exempt: '免于提交：通过电子证照或数据共享核验，无需上传。',
  conditional: '视情形提交：如果您属于所述情形，需要提供这项材料。',
  optional: '可选材料：不是必须提交的。',
};

const NO_MATCH_ADVICE = '这个文件看起来不是本事项需要的材料，请确认是否传错了文件。';

/**
 * Material pre-check: reads each uploaded file (text layer, DOCX, OCR), matches it to the matter's materials by
 * title and content, runs the checks the guide's requirements imply, and reports one row per material.
 * At most `concurrency` pre-checks run at once; up to `maxQueued` more wait; beyond that the service is busy.
 */
export class Prechecker {
  private readonly limit: ReturnType<typeof pLimit>;

  constructor(
    private readonly guideById: Map<string, Guide>,
    private readonly opts: { extractors?: ExtractorPool; limits?: ExtractLimits; concurrency?: number; maxQueued?: number } = {},
  ) {
    this.limit = pLimit(opts.concurrency ?? 2);
    this.extractors = opts.extractors ?? new ExtractorPool(1, 1);
  }

  private readonly extractors: ExtractorPool;

  /** Pre-checks waiting for a slot. */
  get queued() {
    return this.limit.pendingCount;
  }

  async close() {
    await this.extractors.close();
  }

  check(matterId: string, files: UploadedFile[], options: PrecheckOptions = {}): Promise<PrecheckReport> {
    const guide = this.guideById.get(matterId);
    if (!guide) throw new ApiError(404, 'matter_not_found', '没有找到这个事项，请检查事项编号。');
    const maxQueued = this.opts.maxQueued ?? (this.opts.concurrency ?? 2) * 4;
    if (this.limit.pendingCount >= maxQueued) {
      throw new ApiError(503, 'precheck_busy', '当前预审的人较多，请稍等一分钟后再试。');
    }
    return this.limit(() => this.run(guide, files, options));
  }

  private async run(guide: Guide, files: UploadedFile[], options: PrecheckOptions): Promise<PrecheckReport> {
    const t0 = performance.now();
    const today = options.today ?? new Date();
    const situations = new Set(options.situations ?? []);
    const limits = this.opts.limits ?? DEFAULT_LIMITS;

    // 1. Text of every file, one after the other, in the extraction worker process (a shared, bounded resource).
    const read: ({ text: string; via: Extracted['via']; profile: DocProfile } | { problem: FileProblem })[] = [];
    const perFileMs: number[] = [];
    for (const f of files) {
      const t = performance.now();
      try {
        const x = await this.extractors.extract(f.data, limits);
        read.push({ text: x.text, via: x.via, profile: profileDocument(x.text) });
      } catch (e) {
        if (!(e instanceof FileProblem)) throw e;
        read.push({ problem: e });
      }
      perFileMs.push(Math.round(performance.now() - t));
    }

    // 2. Which material each readable file is.
    const scores = read.map((r) => ('profile' in r ? scoreMaterials(r.profile, guide.materials) : []));
    // Among equally good materials, a file goes to one the citizen must hand in before a conditional, optional or exempt one.
    const rank = (index: number) => {
      const kind = materialKind(guide.materials[index - 1]);
      if (kind === 'required' || (kind === 'conditional' && situations.has(index))) return 0;
      return kind === 'conditional' ? 1 : kind === 'optional' ? 2 : 3;
    };
    const assigned = assignDocuments(scores, rank);

    // 3. The applicant, as the application form names it, for the name checks.
    let applicant: Parties = {};
    read.forEach((r, i) => {
      const m = assigned[i];
      if (!('text' in r) || !m) return;
      if (/申请书|申请表|登记表|申报表|申请报告/.test(guide.materials[m.index - 1].name) && !applicant.person && !applicant.organisation) {
        applicant = applicantOf(r.text);
      }
    });

    // 4. Checks and one row per material.
    const byMaterial = new Map<number, { files: string[]; problems: Problem[] }>();
    const unmatched: UnmatchedFile[] = [];
    read.forEach((r, i) => {
      const name = files[i].name;
      if ('problem' in r) {
        unmatched.push({ file: name, reason: r.problem.reason, advice: r.problem.advice });
        return;
      }
      const m = assigned[i];
      if (!m) {
        unmatched.push({ file: name, reason: 'no-match', advice: NO_MATCH_ADVICE });
        return;
      }
      const material = guide.materials[m.index - 1];
      const entry = byMaterial.get(m.index) ?? { files: [], problems: [] };
      entry.files.push(name);
      for (const p of checkDocument(r.text, r.profile, material, { today, applicant, ocr: r.via === 'ocr' || r.via === 'pdf-ocr' })) {
        if (!entry.problems.some((q) => q.code === p.code)) entry.problems.push(p);
      }
      byMaterial.set(m.index, entry);
    });

    const materials: MaterialRow[] = guide.materials.map((m, i) => {
      const index = i + 1;
      const got = byMaterial.get(index);
      const kind = materialKind(m);
      let status: MaterialStatus;
      if (kind === 'exempt') status = 'exempt';
      else if (got) status = got.problems.length ? 'problem' : 'provided';
      else if (kind === 'required') status = 'missing';
      else if (kind === 'conditional') status = situations.has(index) ? 'missing' : 'conditional';
      else status = 'optional';
      const section = `material-${index}`;
      return {
        index,
        name: m.name,
        status,
        files: got?.files ?? [],
        problems: status === 'exempt' ? [] : (got?.problems ?? []),
        citation: { n: index, matterId: guide.id, matterName: guide.name, section, quote: m.name.slice(0, 120), url: `/matters/${guide.id}#${section}` },
        form: m.form,
        copies: m.copies,
        requirements: m.requirements,
        ...(m.when ? { when: m.when } : {}),
        ...(status === 'conditional' ? { question: `您是否属于“${m.when}”的情形？如果是，需要提交这项材料。` } : {}),
        note: status === 'exempt' && got ? `${NOTE.exempt}您上传的文件不必提交。` : NOTE[status],
      };
    });

    const missing = materials.filter((m) => m.status === 'missing').length;
    const problems = materials.filter((m) => m.status === 'problem').length;
    const conditional = materials.filter((m) => m.status === 'conditional').length;
    const complete = missing === 0 && problems === 0;
    const parts: string[] = [];
    if (complete) parts.push('必须提交的材料已齐全，未发现问题');
    else {
      if (missing) parts.push(`还缺 ${missing} 项材料`);
      if (problems) parts.push(`${problems} 项需要修改`);
    }
    if (conditional) parts.push(`另有 ${conditional} 项视情形提交，请确认是否适用`);
    if (unmatched.length) parts.push(`${unmatched.length} 个文件未能对应到材料`);
    return {
      matterId: guide.id,
      matterName: guide.name,
      summary: `${parts.join('，')}。`,
      complete,
      materials,
      unmatched,
      files: read.map((r, i) => ({ file: files[i].name, ...('via' in r ? { via: r.via } : {}), ...(assigned[i] ? { material: assigned[i]!.index } : {}) })),
      disclaimer: PRECHECK_DISCLAIMER,
      timings: { totalMs: Math.round(performance.now() - t0), perFileMs },
    };
  }
}
