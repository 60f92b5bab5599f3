import { beforeAll, describe, expect, it } from 'vitest';
import { readRows } from '../evals/rows.ts';
import { AnswerPipeline } from '../server/answer/pipeline.ts';
import { loadIndex } from '../server/retrieval/loadIndex.ts';
import { Retriever } from '../server/retrieval/retrieve.ts';
import { TEST_INDEX } from './globalSetup.ts';

// Clarification and follow-ups over the repo's eval rows: many variant families and matters, not one
// matter's keywords. The rates are floors a regression would break; evals/ reports the exact figures.
let pipeline: AnswerPipeline;
beforeAll(async () => {
  const index = await loadIndex(TEST_INDEX);
  pipeline = new AnswerPipeline(index, new Retriever(index));
});

describe('clarification across variant families', () => {
  const rows = [...readRows('evals/datasets/dev.jsonl'), ...readRows('evals/datasets/scope.jsonl')].filter((r) => r.expect === 'clarify');

  it('covers at least 30 cases from at least 10 families', () => {
    expect(rows.length).toBeGreaterThanOrEqual(30);
    const families = new Set(rows.map((r) => pipeline.retriever.families.familyOf.get(r.gold[0]) ?? r.gold.join()));
    expect(families.size).toBeGreaterThanOrEqual(10);
  });

  it('asks back on at least 80 % of them, offering only matters of the gold set or its family', async () => {
    let asked = 0;
    for (const r of rows) {
      const { answer } = await pipeline.ask({ question: r.question, history: r.history });
      if (!answer.clarify) continue;
      asked++;
      const ids = answer.clarify.options.map((o) => o.id);
      expect(ids.some((id) => r.gold.includes(id)), r.id).toBe(true);
      expect(answer.citations.length).toBe(ids.length);
    }
    expect(asked / rows.length).toBeGreaterThanOrEqual(0.8);
  });
});

describe('follow-ups', () => {
  const rows = readRows('evals/datasets/scope.jsonl').filter((r) => r.split === 'followup' && r.expect === 'answer');

  it('covers many matters', () => {
    expect(rows.length).toBeGreaterThanOrEqual(30);
    expect(new Set(rows.flatMap((r) => r.gold)).size).toBeGreaterThanOrEqual(30);
  });

  it('answers about the conversation’s matter for at least 80 % of them, with the asked facts', async () => {
    let right = 0;
    let facts = 0;
    let found = 0;
    for (const r of rows) {
      const { answer } = await pipeline.ask({ question: r.question, history: r.history });
      if (!answer.refused && r.gold.includes(answer.matters[0]?.id)) right++;
      for (const f of r.facts ?? []) {
        facts++;
        if (answer.answer.includes(f)) found++;
      }
    }
    expect(right / rows.length).toBeGreaterThanOrEqual(0.8);
    expect(found / facts).toBeGreaterThanOrEqual(0.6);
  });
});
