import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { describe, expect, it } from 'vitest';
import { GuideSchema, materialKind, type Guide } from '../ingest/guideSchema.ts';
import { guidePath, importGuidesJsonl } from '../ingest/importGuides.ts';
import { loadKnowledge } from '../ingest/loadKnowledge.ts';
import { detectPersonalData } from '../server/answer/guard.ts';
import { copyDir, runCli, tmpDir } from './helpers.ts';

const knowledge = loadKnowledge('knowledge');
const guide = (id: string) => knowledge.guides.find((g) => g.id === id)!;

describe('the knowledge base', () => {
  it('holds the 470 guides, all valid, one YAML file per matter under its domain', () => {
    expect(knowledge.problems).toEqual([]);
    expect(knowledge.guides).toHaveLength(470);
    expect(new Set(knowledge.guides.map((g) => g.id)).size).toBe(470);
    for (const g of knowledge.guides) expect(fs.existsSync(guidePath('knowledge', g.id))).toBe(true);
  });

  it('has everyday phrasings for every guide, short and without personal data', () => {
    for (const g of knowledge.guides) {
      const list = knowledge.phrasings.get(g.id) ?? [];
      expect(list.length, g.id).toBeGreaterThanOrEqual(5);
      for (const p of list) {
        expect(p.length, p).toBeLessThanOrEqual(40);
        expect(detectPersonalData(p), p).toEqual([]);
      }
    }
  });

  it('treats materials as SCHEMA.md says: exempt wins over required; when makes conditional', () => {
    const exemptRequired = guide('qy-039').materials.find((m) => m.exempt && m.required)!;
    expect(materialKind(exemptRequired)).toBe('exempt');
    const conditional = guide('rs-001').materials.find((m) => !m.required && m.when)!;
    expect(materialKind(conditional)).toBe('conditional');
    expect(materialKind({ ...conditional, when: '' })).toBe('optional');
    expect(materialKind({ ...conditional, required: true })).toBe('required');
  });
});

describe('knowledge:import', () => {
  const jsonl = ['qy-039', 'wh-044'].map((id) => JSON.stringify(guide(id))).join('\n');

  it('writes one YAML per guide that loads back to the same guide, and is idempotent', () => {
    const dir = tmpDir();
    const first = importGuidesJsonl(jsonl, 'export.jsonl', dir);
    expect(first.written.sort()).toEqual(['qy-039', 'wh-044']);
    expect(first.problems).toEqual([]);
    const back = loadKnowledge(dir);
    expect(back.guides.find((g) => g.id === 'qy-039')).toEqual(guide('qy-039'));
    const again = importGuidesJsonl(jsonl, 'export.jsonl', dir);
    expect(again.written).toEqual([]);
    expect(again.unchanged.sort()).toEqual(['qy-039', 'wh-044']);
  });

  it('reports a bad line with its line number and field, and still imports the others', () => {
    const dir = tmpDir();
    const broken = { ...guide('wh-041'), fee: 42 };
    const text = [JSON.stringify(guide('qy-039')), '{not json', JSON.stringify(broken), JSON.stringify(guide('wh-044'))].join('\n');
    const r = importGuidesJsonl(text, 'export.jsonl', dir);
    expect(r.written.sort()).toEqual(['qy-039', 'wh-044']);
    expect(r.problems.map((p) => [p.file, p.field])).toEqual([
      ['export.jsonl:2', '(行)'],
      ['export.jsonl:3', 'fee'],
    ]);
    expect(fs.existsSync(guidePath(dir, 'wh-041'))).toBe(false);
  });

  it('runs as a CLI and exits non-zero when a line was bad', () => {
    const dir = tmpDir();
    const file = path.join(dir, 'export.jsonl');
    fs.writeFileSync(file, `${JSON.stringify(guide('qy-039'))}\n{"id":"qy-999"}\n`);
    const r = runCli('ingest/importCli.ts', [file, '--knowledge', path.join(dir, 'kb')]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('写入 1');
    expect(r.stderr).toContain('export.jsonl:2');
    expect(fs.existsSync(path.join(dir, 'kb', 'matters', 'qy', 'qy-039.yaml'))).toBe(true);
  });
});

describe('loadKnowledge', () => {
  it('reports each bad file with file, field and reason, and loads the rest', () => {
    const dir = tmpDir();
    copyDir('test/fixtures/knowledge', dir);
    const file = path.join(dir, 'matters', 'qy', 'qy-040.yaml');
    const g = YAML.parse(fs.readFileSync(file, 'utf8')) as Guide;
    fs.writeFileSync(file, YAML.stringify({ ...g, audience: ['游客'] }));
    fs.writeFileSync(path.join(dir, 'matters', 'qy', 'qy-041.yaml'), 'name: [unclosed');
    fs.copyFileSync(path.join(dir, 'matters', 'qy', 'qy-039.yaml'), path.join(dir, 'matters', 'qy', 'qy-777.yaml'));
    const k = loadKnowledge(dir);
    expect(k.guides.map((x) => x.id).sort()).toEqual(['qy-039', 'qy-042', 'qy-043', 'wh-040', 'wh-041', 'wh-044']);
    const byFile = Object.fromEntries(k.problems.map((p) => [p.file, p]));
    expect(byFile['matters/qy/qy-040.yaml'].field).toBe('audience.0');
    expect(byFile['matters/qy/qy-041.yaml'].field).toBe('(文件)');
    expect(byFile['matters/qy/qy-777.yaml'].reason).toContain('文件名');
    expect(k.docs.map((d) => d.id).sort()).toEqual(['faq-parking', 'faq-proxy', 'notice']);
    expect(k.docs.find((d) => d.id === 'notice')!.title).toBe('徐汇区行政服务中心周末服务安排');
  });

  it('reads phrasings/*.yaml: merged per matter, a bad phrasing or an unknown id reported and left out', () => {
    const dir = tmpDir();
    copyDir('test/fixtures/knowledge', dir);
    fs.mkdirSync(path.join(dir, 'phrasings'));
    fs.writeFileSync(path.join(dir, 'phrasings', 'a.yaml'), YAML.stringify({ 'qy-039': ['街角开个糖水铺子'], 'xx-999': ['没有这个事项'] }));
    fs.writeFileSync(
      path.join(dir, 'phrasings', 'b.yaml'),
      YAML.stringify({ 'qy-039': ['街角开个糖水铺子', '卖奶茶的小店', 'x'.repeat(41), 7], 'wh-040': '不是列表' }),
    );
    fs.writeFileSync(path.join(dir, 'phrasings', 'c.yaml'), '- 不是映射');
    const k = loadKnowledge(dir);
    expect(k.phrasings.get('qy-039')).toEqual(['街角开个糖水铺子', '卖奶茶的小店']);
    expect(k.phrasings.has('xx-999')).toBe(false);
    expect(k.phrasings.has('wh-040')).toBe(false);
    expect(k.guides).toHaveLength(8); // the guides themselves are untouched
    const fields = k.problems.map((p) => `${p.file} ${p.field}`);
    expect(fields).toEqual(
      expect.arrayContaining(['phrasings/a.yaml xx-999', 'phrasings/b.yaml qy-039.2', 'phrasings/b.yaml qy-039.3', 'phrasings/b.yaml wh-040']),
    );
    expect(k.problems.find((p) => p.field === 'qy-039.2')!.reason).toContain('40');
    expect(k.problems.find((p) => p.field === 'qy-039.3')!.reason).toBe('说法应为文字');
    expect(k.problems.some((p) => p.file === 'phrasings/c.yaml')).toBe(true);
  });

  it('accepts the schema of SCHEMA.md and rejects an unknown material form', () => {
    const g = guide('qy-039');
    expect(GuideSchema.safeParse(g).success).toBe(true);
    const bad = { ...g, materials: [{ ...g.materials[0], form: '扫描件' }] };
    const r = GuideSchema.safeParse(bad);
    expect(r.success).toBe(false);
    expect(r.error!.issues[0].path).toEqual(['materials', 0, 'form']);
  });
});
