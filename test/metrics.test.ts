import { describe, expect, it } from 'vitest';
import { hitAt, percentile, reciprocalRank, scoreRankings } from '../evals/metrics.ts';

describe('retrieval metrics (CONTRACTS.md scoring)', () => {
  it('counts distinct matters, so repeated chunks of one matter do not push gold out of the top k', () => {
    expect(hitAt(['a', 'a', 'a', 'b'], ['b'], 2)).toBe(1);
    expect(hitAt(['a', 'c', 'b'], ['b'], 2)).toBe(0);
    expect(hitAt(['x', 'y'], ['y', 'x'], 1)).toBe(1);
  });

  it('computes MRR@k and the aggregate scores', () => {
    expect(reciprocalRank(['a', 'b', 'c'], ['c'])).toBeCloseTo(1 / 3);
    expect(reciprocalRank(['a', 'b'], ['z'])).toBe(0);
    const s = scoreRankings([
      { ranked: ['g'], gold: ['g'] },
      { ranked: ['a', 'g'], gold: ['g'] },
    ]);
    expect(s).toEqual({ n: 2, hit1: 0.5, hit5: 1, mrr10: 0.75 });
  });

  it('takes percentiles by nearest rank', () => {
    const xs = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(xs, 50)).toBe(50);
    expect(percentile(xs, 95)).toBe(95);
    expect(percentile([], 95)).toBe(0);
  });
});
