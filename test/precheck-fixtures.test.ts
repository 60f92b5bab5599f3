import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import mammoth from 'mammoth';
import { loadKnowledge } from '../ingest/loadKnowledge.ts';
import { findIds, findUsccs, isValidId, isValidUscc } from '../scripts/fixtures/precheckIds.ts';

// Integrity of the material pre-check eval set (evals/datasets/precheck.jsonl + evals/fixtures/precheck/), checked
// without the engine: files exist, expected statuses follow the guide semantics, printed identifiers are valid
// exactly where the manifest says so. Regenerate with `npx tsx scripts/fixtures/precheck.ts`.
const DATASET = 'evals/datasets/precheck.jsonl';
const DIR = 'evals/fixtures/precheck';
const STATUSES = ['provided', 'missing', 'problem', 'exempt', 'conditional', 'optional'] as const;
type Status = (typeof STATUSES)[number];
interface Row {
  id: string; matterId: string; files: string[]; situations?: number[];
  expected: { index: number; status: Status }[]; unmatched?: string[]; tags?: string[];
  fileMaterials?: Record<string, number>; photoOnlyMaterials?: number[];
}
interface ManifestFile { file: string; kind: string; ids?: string[]; usccs?: string[]; badIds?: string[]; badUsccs?: string[]; unreadable?: string; defects?: string[]; bytes: number }

const rows: Row[] = fs.readFileSync(DATASET, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
const manifest: { today: string; files: ManifestFile[] } = JSON.parse(fs.readFileSync(path.join(DIR, 'manifest.json'), 'utf8'));
const byFile = new Map(manifest.files.map((f) => [f.file, f]));
const { guides } = loadKnowledge('knowledge');
const guideById = new Map(guides.map((g) => [g.id, g]));

describe('precheck dataset', () => {
  it('has well-formed rows with unique ids', () => {
    expect(rows.length).toBeGreaterThanOrEqual(30);
    expect(new Set(rows.map((r) => r.id)).size).toBe(rows.length);
    for (const r of rows) {
      expect(typeof r.matterId).toBe('string');
      expect(r.files.length).toBeGreaterThan(0);
      for (const e of r.expected) expect(STATUSES).toContain(e.status);
    }
  });

  it('points at files that exist, are small, and are listed in the manifest', () => {
    const missing = rows.flatMap((r) => r.files.filter((f) => !fs.existsSync(f)).map((f) => `${r.id}: ${f}`));
    expect(missing).toEqual([]);
    for (const r of rows) for (const f of r.files) expect(byFile.has(path.basename(f)), f).toBe(true);
    const bigImages = manifest.files.filter((f) => /\.(png|jpe?g)$/i.test(f.file) && f.bytes > 160 * 1024).map((f) => f.file);
    expect(bigImages).toEqual([]);
    const total = fs.readdirSync(DIR).reduce((s, f) => s + fs.statSync(path.join(DIR, f)).size, 0);
    expect(total).toBeLessThan(6.5 * 1024 * 1024);
  });

  it('refers only to known matters, and lists every material of the guide exactly once', () => {
    for (const r of rows) {
      const g = guideById.get(r.matterId);
      expect(g, r.matterId).toBeDefined();
      const idx = r.expected.map((e) => e.index).sort((a, b) => a - b);
      expect(idx, r.id).toEqual(g!.materials.map((_, i) => i + 1));
    }
    expect(new Set(rows.map((r) => r.matterId)).size).toBeGreaterThanOrEqual(10);
  });

  it('gives statuses that follow the guide semantics', () => {
    const bad: string[] = [];
    for (const r of rows) {
      const g = guideById.get(r.matterId)!;
      const declared = new Set(r.situations ?? []);
      const filed = new Set(Object.values(r.fileMaterials ?? {}));
      for (const i of declared) {
        const m = g.materials[i - 1];
        if (!m || m.required || !m.when) bad.push(`${r.id}: situation ${i} is not a conditional material`);
      }
      for (const { index, status } of r.expected) {
        const m = g.materials[index - 1];
        const conditional = !m.required && m.when.trim() !== '';
        const optional = !m.required && m.when.trim() === '';
        const ok =
          m.exempt ? status === 'exempt'
          : status === 'exempt' ? false
          : status === 'conditional' ? conditional && !declared.has(index) && !filed.has(index)
          : status === 'optional' ? optional && !filed.has(index)
          : status === 'missing' ? !filed.has(index) && (m.required || (conditional && declared.has(index)))
          : filed.has(index); // provided | problem
        if (!ok) bad.push(`${r.id}: material ${index} (${m.name}) cannot be ${status}`);
        // A non-exempt material that is neither uploaded nor optional/conditional must be missing.
        if (!m.exempt && !filed.has(index) && (m.required || declared.has(index)) && status !== 'missing') bad.push(`${r.id}: material ${index} should be missing`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('maps each file to one material or lists it as unmatched', () => {
    for (const r of rows) {
      const names = r.files.map((f) => path.basename(f));
      const unmatched = new Set(r.unmatched ?? []);
      for (const u of unmatched) expect(names, r.id).toContain(u);
      for (const n of names) expect(unmatched.has(n) !== (r.fileMaterials?.[n] !== undefined), `${r.id}: ${n}`).toBe(true);
    }
  });

  it('covers complete sets, every defect, missing items, unrelated and unreadable files, and photos', () => {
    const count = (t: string) => rows.filter((r) => r.tags?.includes(t)).length;
    expect(count('complete')).toBeGreaterThanOrEqual(10);
    for (const t of ['expired', 'bad-id-checksum', 'bad-uscc-checksum', 'name-mismatch', 'unsigned', 'missing', 'unrelated', 'unreadable', 'scanned-pdf', 'docx'])
      expect(count(t), t).toBeGreaterThan(0);
    expect(rows.filter((r) => r.photoOnlyMaterials?.length).length).toBeGreaterThanOrEqual(8);
    // complete = every required, non-exempt material provided and nothing wrong
    for (const r of rows.filter((x) => x.tags?.includes('complete'))) {
      expect(r.expected.filter((e) => e.status === 'missing' || e.status === 'problem'), r.id).toEqual([]);
    }
    // each defect tag shows up as a problem in its case
    for (const r of rows.filter((x) => x.tags?.some((t) => ['expired', 'bad-id-checksum', 'bad-uscc-checksum', 'name-mismatch', 'unsigned'].includes(t))))
      expect(r.expected.some((e) => e.status === 'problem'), r.id).toBe(true);
  });

  it('includes the walk-through from the issue (食品经营许可（新办）)', () => {
    const w = rows.find((r) => r.tags?.includes('walkthrough'));
    expect(w?.matterId).toBe('qy-039');
    expect(w!.expected.map((e) => e.status)).toEqual(['provided', 'exempt', 'provided', 'provided', 'conditional', 'conditional']);
    expect(w!.unmatched).toHaveLength(1);
  });
});

describe('identifiers printed on the fixture documents', () => {
  it('are valid exactly where the manifest says so', () => {
    for (const f of manifest.files) {
      for (const id of f.ids ?? []) expect(isValidId(id), `${f.file}: ${id}`).toBe(true);
      for (const c of f.usccs ?? []) expect(isValidUscc(c), `${f.file}: ${c}`).toBe(true);
      for (const id of f.badIds ?? []) expect(isValidId(id), `${f.file}: ${id}`).toBe(false);
      for (const c of f.badUsccs ?? []) expect(isValidUscc(c), `${f.file}: ${c}`).toBe(false);
      if (f.badIds?.length) expect(f.defects).toContain('bad-id-checksum');
      if (f.badUsccs?.length) expect(f.defects).toContain('bad-uscc-checksum');
    }
  });

  it('in text and DOCX files match the manifest (only the planted ones fail the checksum)', async () => {
    const readable = manifest.files.filter((f) => f.kind === 'txt' || f.kind === 'docx');
    expect(readable.length).toBeGreaterThan(0);
    for (const f of readable) {
      const p = path.join(DIR, f.file);
      const text = f.kind === 'txt' ? fs.readFileSync(p, 'utf8') : (await mammoth.extractRawText({ path: p })).value;
      const ids = findIds(text);
      const usccs = findUsccs(text);
      expect(ids.filter((id) => !isValidId(id)).sort(), f.file).toEqual([...new Set(f.badIds ?? [])].sort());
      expect(usccs.filter((c) => !isValidUscc(c)).sort(), f.file).toEqual([...new Set(f.badUsccs ?? [])].sort());
      for (const id of f.ids ?? []) expect(text, f.file).toContain(id);
    }
  });

  // Text-layer PDFs, when poppler's pdftotext is installed (it is in CI; locally the check says so and skips).
  const hasPdftotext = (() => {
    try {
      execFileSync('pdftotext', ['-v'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();
  it.skipIf(!hasPdftotext && process.env.CI !== 'true')('in text-layer PDFs match the manifest (needs poppler-utils)', () => {
    for (const f of manifest.files.filter((x) => x.kind === 'pdf')) {
      const text = execFileSync('pdftotext', ['-raw', path.join(DIR, f.file), '-'], { encoding: 'utf8' });
      expect(findIds(text).filter((id) => !isValidId(id)).sort(), f.file).toEqual([...new Set(f.badIds ?? [])].sort());
      expect(findUsccs(text).filter((c) => !isValidUscc(c)).sort(), f.file).toEqual([...new Set(f.badUsccs ?? [])].sort());
      for (const id of [...(f.ids ?? []), ...(f.usccs ?? [])]) expect(text, f.file).toContain(id);
    }
  });
});
