/** Retrieval metrics over ranked lists of distinct matter ids (CONTRACTS.md "Scoring retrieval"). */

/** Distinct ids in first-seen order (a ranking of chunks becomes a ranking of matters). */
export function distinct(ids: string[]): string[] {
  return [...new Set(ids)];
}

/** 1 when one of the first k distinct matters is in the gold set. */
export function hitAt(ranked: string[], gold: string[], k: number): number {
  const g = new Set(gold);
  return distinct(ranked).slice(0, k).some((id) => g.has(id)) ? 1 : 0;
}

/** Reciprocal rank of the first gold matter within the first k, else 0. */
export function reciprocalRank(ranked: string[], gold: string[], k = 10): number {
  const g = new Set(gold);
  const i = distinct(ranked).slice(0, k).findIndex((id) => g.has(id));
  return i < 0 ? 0 : 1 / (i + 1);
}

export function mean(xs: number[]): number {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0;
}

/** The p-th percentile (0–100) by nearest rank. */
export function percentile(xs: number[], p: number): number {
  if (!xs.length) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

export interface RetrievalScores {
  n: number;
  hit1: number;
  hit5: number;
  mrr10: number;
}

export function scoreRankings(rows: { ranked: string[]; gold: string[] }[]): RetrievalScores {
  return {
    n: rows.length,
    hit1: mean(rows.map((r) => hitAt(r.ranked, r.gold, 1))),
    hit5: mean(rows.map((r) => hitAt(r.ranked, r.gold, 5))),
    mrr10: mean(rows.map((r) => reciprocalRank(r.ranked, r.gold, 10))),
  };
}
