import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadKnowledge } from '../ingest/loadKnowledge.ts';
import { readRows } from '../evals/rows.ts';

// Every eval file obeys the row rules: known gold ids, facts copied exactly, no matter name or own alias in a
// question, audience rows whose gold serves that audience. (dev.jsonl has its own, stricter test.)
const { guides } = loadKnowledge('knowledge');
const byId = new Map(guides.map((g) => [g.id, g]));
const files = fs.readdirSync('evals/datasets').filter((f) => f.endsWith('.jsonl') && f !== 'precheck.jsonl'); // pre-check cases have their own shape (test/precheck-fixtures.test.ts)

describe.each(files)('evals/datasets/%s', (file) => {
  const rows = readRows(`evals/datasets/${file}`);

  it('has unique ids and only known gold matters', () => {
    expect(new Set(rows.map((r) => r.id)).size).toBe(rows.length);
    expect(rows.flatMap((r) => r.gold.filter((id) => !byId.has(id)))).toEqual([]);
  });

  it('copies every fact exactly from a gold guide', () => {
    const bad = rows.flatMap((r) => (r.facts ?? []).filter((f) => !r.gold.some((id) => JSON.stringify(byId.get(id)).includes(f))).map((f) => `${r.id}: ${f}`));
    expect(bad).toEqual([]);
  });

  it('never names the gold matter or one of its aliases in a citizen-worded question', () => {
    // Injection rows wrap real questions as attackers write them; the rule is for the citizen-worded splits.
    const worded = rows.filter((r) => ['colloquial', 'field', 'variant', 'followup'].includes(r.split));
    const leaks = worded.flatMap((r) =>
      r.gold.flatMap((id) => [byId.get(id)!.name, ...byId.get(id)!.aliases].filter((s) => r.question.includes(s)).map((s) => `${r.id}: ${s}`)),
    );
    expect(leaks).toEqual([]);
  });

  it('gives audience rows gold matters that serve that audience', () => {
    const bad = rows.filter((r) => r.audience && !r.gold.every((id) => byId.get(id)!.audience.includes(r.audience!))).map((r) => r.id);
    expect(bad).toEqual([]);
  });

  it('expects a refusal exactly when there is no gold', () => {
    expect(rows.filter((r) => (r.expect === 'refuse') !== (r.gold.length === 0)).map((r) => r.id)).toEqual([]);
  });
});
