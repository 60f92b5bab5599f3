import { describe, expect, it } from 'vitest';
import { loadKnowledge } from '../ingest/loadKnowledge.ts';
import { readRows } from '../evals/rows.ts';

// The retrieval dev set is frozen (written from the guides, not from the retriever). These rules keep it honest.
const rows = readRows('evals/datasets/dev.jsonl');
const { guides } = loadKnowledge('knowledge');
const byId = new Map(guides.map((g) => [g.id, g]));

describe('retrieval dev set', () => {
  it('has at least 150 in-scope questions over many matters', () => {
    expect(rows.length).toBeGreaterThanOrEqual(150);
    expect(new Set(rows.flatMap((r) => r.gold)).size).toBeGreaterThanOrEqual(150);
    expect(new Set(rows.map((r) => r.id)).size).toBe(rows.length);
  });

  it('refers only to matters that exist', () => {
    const unknown = rows.flatMap((r) => r.gold.filter((id) => !byId.has(id)).map((id) => `${r.id}: ${id}`));
    expect(unknown).toEqual([]);
  });

  it('never contains a gold matter name or alias, nor any matter name, verbatim', () => {
    const leaks: string[] = [];
    for (const r of rows) {
      for (const id of r.gold) {
        const g = byId.get(id)!;
        for (const s of [g.name, ...g.aliases]) if (r.question.includes(s)) leaks.push(`${r.id} contains「${s}」`);
      }
      for (const g of guides) if (r.question.includes(g.name)) leaks.push(`${r.id} contains name「${g.name}」`);
    }
    expect(leaks).toEqual([]);
  });

  it('has atomic gold facts copied exactly from a gold guide', () => {
    const bad: string[] = [];
    for (const r of rows) {
      for (const f of r.facts ?? []) {
        if (f.length > 30 || !r.gold.some((id) => JSON.stringify(byId.get(id)).includes(f))) bad.push(`${r.id}: ${f}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('gives every clarify row at least two variants', () => {
    expect(rows.filter((r) => r.expect === 'clarify' && r.gold.length < 2).map((r) => r.id)).toEqual([]);
  });
});
