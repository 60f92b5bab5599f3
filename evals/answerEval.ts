import { citationHolds } from '../server/answer/citations.ts';
import { factsOf } from '../server/answer/llm/checkFacts.ts';
import { DISCLAIMER } from '../server/answer/composeExtractive.ts';
import { guideSections } from '../ingest/sections.ts';
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
  /** Facts stated in the answer (times, fees, amounts, names) that no gold guide holds. */
  contradictions: string[];
  /** Citations whose quote stands in its section and is what the citing sentence says. */
  citationsSupported: number;
  /** The answer cites the gold section (field rows: the field asked about, of a gold matter). */
  citesGoldSection: boolean | null;
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
  /** Rows with gold facts answered with all of them, about a gold matter, and with no contradicting fact. */
  answerAccuracy: number;
  /** Cited sections that really contain what they are cited for (quote in section and in the citing sentence). */
  citationPrecision: number;
  /** Field rows whose answer cites the section asked about of a gold matter. */
  citationRecall: number;
  /** Of the refused answers, the share that should have been refused. */
  refusalPrecision: number;
  /** p50 / p95 of each pipeline step (ms). */
  steps: Record<string, { p50: number; p95: number }>;
  bySplit: Record<string, { n: number; ok: number }>;
  latencyMs: { p50: number; p95: number };
  worst: { id: string; question: string; expect: string; gold: string[]; got: string; refused: boolean; clarify?: string[] }[];
}

/** For each citation number, the statements it is attached to (text back to the previous marker or line start). */
export function citedStatements(answer: string): Map<number, string[]> {
  const out = new Map<number, string[]>();
  for (const line of answer.split('\n')) {
    let from = 0;
    for (const m of line.matchAll(/\[(\d{1,3})\]/g)) {
      const n = Number(m[1]);
      out.set(n, [...(out.get(n) ?? []), line.slice(from, m.index)]);
      from = m.index! + m[0].length;
    }
  }
  return out;
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
    // Facts are compared with the gold guides as rendered (sections with their labels: 1份, 到现场0次).
    const goldText = row.gold
      .flatMap((id) => {
        const g = pipeline.index.guideById.get(id);
        return g ? guideSections(g).map((x) => x.text) : [];
      })
      .join('\n')
      .replace(/\s+/g, '');
    const stated = answer.refused || answer.clarify ? [] : factsOf(answer.answer.replace(DISCLAIMER, ''));
    const contradictions = stated.filter((f) => f !== '〈免费〉' && !goldText.includes(f));
    // What a marker is cited for: the statement before it, back to the previous marker or the line start.
    const statements = citedStatements(answer.answer);
    const citationsSupported = answer.citations.filter((c) => {
      const g = pipeline.index.guideById.get(c.matterId);
      const head = [...c.quote].slice(0, 12).join('');
      return !!g && citationHolds(c, g) && (statements.get(c.n) ?? []).some((t) => t.includes(head));
    }).length;
    const want = row.field === 'materials' ? /^materials?(-\d+)?$/ : row.field ? new RegExp(`^${row.field}$`) : null;
    const citesGoldSection = want && row.expect === 'answer' ? answer.citations.some((c) => gold.has(c.matterId) && want.test(c.section)) : null;
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
      contradictions,
      citationsSupported,
      citesGoldSection,
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
  const refusedAll = results.filter((r) => r.refused);
  const fieldRows = results.filter((r) => r.citesGoldSection !== null);
  const citationsAll = answered.reduce((a, r) => a + r.answer.citations.length, 0);
  const stepNames = [...new Set(results.flatMap((r) => Object.keys(r.answer.timings)))];
  const report: AnswerReport = {
    n: results.length,
    topInGold: mean(answerRows.map((r) => (r.topInGold ? 1 : 0))),
    clarifyRate: mean(clarifyRows.map((r) => (r.clarified ? 1 : 0))),
    inScopeRefused: mean([...answerRows, ...clarifyRows].map((r) => (r.refused ? 1 : 0))),
    oosRefused: mean(refuseRows.map((r) => (r.refused ? 1 : 0))),
    citationsValid: mean(answered.map((r) => (r.citationsOk ? 1 : 0))),
    factRecall: withFacts.length ? withFacts.reduce((a, r) => a + r.factsFound, 0) / withFacts.reduce((a, r) => a + r.factsTotal, 0) : 0,
    answerAccuracy: mean(
      withFacts.map((r) => (r.factsFound === r.factsTotal && r.topInGold && r.contradictions.length === 0 ? 1 : 0)),
    ),
    citationPrecision: citationsAll ? answered.reduce((a, r) => a + r.citationsSupported, 0) / citationsAll : 0,
    citationRecall: mean(fieldRows.map((r) => (r.citesGoldSection ? 1 : 0))),
    refusalPrecision: refusedAll.length ? refusedAll.filter((r) => r.row.expect === 'refuse').length / refusedAll.length : 0,
    steps: Object.fromEntries(
      stepNames.map((s) => {
        const xs = results.map((r) => r.answer.timings[s]).filter((x) => x !== undefined);
        return [s, { p50: Number(percentile(xs, 50).toFixed(2)), p95: Number(percentile(xs, 95).toFixed(2)) }];
      }),
    ),
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
