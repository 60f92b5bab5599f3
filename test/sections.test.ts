import { describe, expect, it } from 'vitest';
import { chunkGuide, MAX_CHUNK_CHARS } from '../ingest/chunk.ts';
import { loadKnowledge } from '../ingest/loadKnowledge.ts';
import { guideSections } from '../ingest/sections.ts';

const { guides } = loadKnowledge('test/fixtures/knowledge');
const food = guides.find((g) => g.id === 'qy-039')!;

/** Every string value of a guide, however deep. */
function stringValues(x: unknown): string[] {
  if (typeof x === 'string') return [x];
  if (Array.isArray(x)) return x.flatMap(stringValues);
  if (x && typeof x === 'object') return Object.values(x).flatMap(stringValues);
  return [];
}

describe('guide sections', () => {
  it('uses the section ids of CONTRACTS.md, one material-<n> per material in the guide order', () => {
    const ids = guideSections(food).map((s) => s.id);
    expect(ids.slice(0, 3)).toEqual(['overview', 'conditions', 'materials']);
    expect(ids.filter((id) => id.startsWith('material-'))).toEqual(food.materials.map((_, i) => `material-${i + 1}`));
    for (const id of ['process', 'time-limit', 'fee', 'online', 'location', 'result', 'basis', 'faq-1']) expect(ids).toContain(id);
    expect(ids.includes('notes')).toBe(food.notes !== '');
  });

  it('keeps as section values only the guide’s own text, so a quote can always be checked against it', () => {
    const own = new Set(stringValues(food).concat(food.audience.join('、')));
    for (const s of guideSections(food)) for (const v of s.values) expect(own.has(v), `${s.id}: ${v}`).toBe(true);
    const fee = guideSections(food).find((s) => s.id === 'fee')!;
    expect(fee.values).toEqual([food.fee]);
  });

  it('says in the material text whether it is exempt or conditional', () => {
    const exempt = food.materials.findIndex((m) => m.exempt);
    const s = guideSections(food).find((x) => x.id === `material-${exempt + 1}`)!;
    expect(s.text).toContain('免于提交');
  });
});

describe('chunking', () => {
  it('gives each section one chunk, and splits a long one into pieces that keep its section id', async () => {
    const long = { ...food, conditions: Array.from({ length: 12 }, (_, i) => `第${i + 1}项条件：${'经营场所应当符合食品安全要求并保持整洁，'.repeat(3)}。`) };
    const chunks = await chunkGuide(long);
    const cond = chunks.filter((c) => c.section === 'conditions');
    expect(cond.length).toBeGreaterThan(1);
    expect(cond.map((c) => c.id)).toEqual(cond.map((_, i) => (i === 0 ? 'qy-039#conditions' : `qy-039#conditions~${i + 1}`)));
    for (const c of cond) expect(c.text.length).toBeLessThanOrEqual(MAX_CHUNK_CHARS);
    expect(chunks.filter((c) => c.section === 'fee')).toHaveLength(1);
  });

  it('changes a chunk hash only when its own text changes', async () => {
    const a = await chunkGuide(food);
    const b = await chunkGuide({ ...food, fee: '收取工本费10元' });
    const changed = a.filter((c, i) => c.hash !== b[i].hash).map((c) => c.section);
    expect(changed).toEqual(['fee']);
  });
});
