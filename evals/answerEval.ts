import { citationHolds } from '../server/answer/citations.ts';
import type { AnswerPipeline } from '../server/answer/pipeline.ts';
import type { Answer } from '../server/answer/schema.ts';
import { mean, percentile } from './metrics.ts';
import type { QuestionRow } from './rows.ts';

export interface AnswerRowResult {
  row: QuestionRow;
  answer: Answer;
  topInGold: boolean;
  clarified: boolean;
  refused: boolean;
  citationsOk: boolean;
  factsFound: number;
  factsTotal: number;
  ms: number;
}

export interface AnswerReport {
  n: number;
  /** In-scope rows (expect answer): the answer's top matter is in the gold set. */
  topInGold: number;
  /** Rows expecting a clarification that got one (or whose top matter is gold, which also helps the citizen). */
  clarifyRate: number;
  /** In-scope rows wrongly refused. */
  inScopeRefused: number;
  /** Out-of-scope and abuse rows refused. */
  oosRefused: number;
  /** Answers (not refused) with at least one citation, each quote ≤ 120 chars and inside its section. */
  citationsValid: number;
  /** Gold facts found verbatim in the answer text, over rows that have facts. */
  factRecall: number;
  bySplit: Record<string, { n: number; ok: number }>;
  latencyMs: { p50: number; p95: number };
  worst: { id: string; question: string; expect: string; gold: string[]; got: string; refused: boolean; clarify?: string[] }[];
}

/** Whether a row was handled as it expects (used per split and for the failure list). */
function rowOk(r: AnswerRowResult): boolean {
  if (r.row.expect === 'refuse') return r.refused;
  if (r.row.expect === 'clarify') return r.clarified || r.topInGold;
  return !r.refused && r.topInGold && r.citationsOk;
}

export async function evalAnswers(pipeline: AnswerPipeline, rows: QuestionRow[]): Promise<{ report: AnswerReport; results: AnswerRowResult[] }> {
  const results: AnswerRowResult[] = [];
  for (const row of rows) {
    const t = performance.now();
    const { answer } = await pipeline.ask({ question: row.question, history: row.history, audience: row.audience });
    const ms = performance.now() - t;
    const gold = new Set(row.gold);
    const facts = row.facts ?? [];
    results.push({
      row,
      answer,
      topInGold: !!answer.matters[0] && gold.has(answer.matters[0].id) && !answer.refused,
      clarified: !!answer.clarify,
      refused: answer.refused,
      citationsOk:
        answer.citations.length > 0 &&
        answer.citations.every((c) => {
          const g = pipeline.index.guideById.get(c.matterId);
          return !!g && citationHolds(c, g);
        }),
      factsFound: facts.filter((f) => answer.answer.includes(f)).length,
      factsTotal: facts.length,
      ms,
    });
  }
  const answerRows = results.filter((r) => r.row.expect === 'answer');
  const clarifyRows = results.filter((r) => r.row.expect === 'clarify');
  const refuseRows = results.filter((r) => r.row.expect === 'refuse');
  const answered = results.filter((r) => !r.refused);
  const withFacts = results.filter((r) => r.factsTotal > 0);
  const bySplit: AnswerReport['bySplit'] = {};
  for (const r of results) {
    const s = (bySplit[r.row.split] ??= { n: 0, ok: 0 });
    s.n++;
    if (rowOk(r)) s.ok++;
  }
  const report: AnswerReport = {
    n: results.length,
    topInGold: mean(answerRows.map((r) => (r.topInGold ? 1 : 0))),
    clarifyRate: mean(clarifyRows.map((r) => (r.clarified ? 1 : 0))),
    inScopeRefused: mean([...answerRows, ...clarifyRows].map((r) => (r.refused ? 1 : 0))),
    oosRefused: mean(refuseRows.map((r) => (r.refused ? 1 : 0))),
    citationsValid: mean(answered.map((r) => (r.citationsOk ? 1 : 0))),
    factRecall: withFacts.length ? withFacts.reduce((a, r) => a + r.factsFound, 0) / withFacts.reduce((a, r) => a + r.factsTotal, 0) : 0,
    bySplit,
    latencyMs: { p50: percentile(results.map((r) => r.ms), 50), p95: percentile(results.map((r) => r.ms), 95) },
    worst: results
      .filter((r) => !rowOk(r))
      .slice(0, 40)
      .map((r) => ({
        id: r.row.id,
        question: r.row.question,
        expect: r.row.expect,
        gold: r.row.gold,
        got: r.answer.matters[0] ? `${r.answer.matters[0].id} ${r.answer.matters[0].name}` : '(none)',
        refused: r.refused,
        ...(r.answer.clarify ? { clarify: r.answer.clarify.options.map((o) => o.id) } : {}),
      })),
  };
  return { report, results };
}
