import type { Audience } from '../ingest/guideSchema.ts';
import type { Retriever, RetrievalMode } from '../server/retrieval/retrieve.ts';
import { hitAt, scoreRankings, type RetrievalScores } from './metrics.ts';
import type { QuestionRow } from './rows.ts';

export interface RetrievalReport {
  mode: RetrievalMode;
  overall: RetrievalScores;
  bySplit: Record<string, RetrievalScores>;
  /** Rows whose gold is not first, worst first: what a person reads to see why. */
  misses: { id: string; question: string; gold: string[]; got: { id: string; name: string }[] }[];
}

/** Scores retrieval on the in-scope rows of a question set (rows with a gold set). */
export async function evalRetrieval(retriever: Retriever, rows: QuestionRow[], mode: RetrievalMode): Promise<RetrievalReport> {
  const scored: { row: QuestionRow; ranked: string[]; names: string[] }[] = [];
  for (const row of rows.filter((r) => r.gold.length && r.expect !== 'refuse')) {
    const query = [...(row.history ?? []).filter((h) => h.role === 'user').map((h) => h.content), row.question].join(' ');
    const res = await retriever.retrieve(query, { k: 10, mode, audience: row.audience as Audience | undefined, sections: false });
    scored.push({ row, ranked: res.matters.map((m) => m.matterId), names: res.matters.map((m) => m.name) });
  }
  const bySplit: Record<string, RetrievalScores> = {};
  for (const split of new Set(scored.map((s) => s.row.split))) {
    bySplit[split] = scoreRankings(scored.filter((s) => s.row.split === split).map((s) => ({ ranked: s.ranked, gold: s.row.gold })));
  }
  const misses = scored
    .filter((s) => !hitAt(s.ranked, s.row.gold, 1))
    .sort((a, b) => hitAt(a.ranked, a.row.gold, 5) - hitAt(b.ranked, b.row.gold, 5))
    .map((s) => ({
      id: s.row.id,
      question: s.row.question,
      gold: s.row.gold,
      got: s.ranked.slice(0, 3).map((id, i) => ({ id, name: s.names[i] })),
    }));
  return {
    mode,
    overall: scoreRankings(scored.map((s) => ({ ranked: s.ranked, gold: s.row.gold }))),
    bySplit,
    misses,
  };
}
