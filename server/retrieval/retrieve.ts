import type { Audience } from '../../ingest/guideSchema.ts';
import type { LoadedIndex } from './loadIndex.ts';
import { VariantFamilies } from './variants.ts';

/** A search hit (CONTRACTS.md): for a document, matterId is the document id. */
export interface Hit {
  matterId: string;
  name: string;
  section: string;
  score: number;
  text: string;
}

export type RetrievalMode = 'hybrid' | 'bm25' | 'dense';

export interface RetrieveOptions {
  /** Distinct matters to return. */
  k?: number;
  audience?: Audience;
  mode?: RetrievalMode;
}

/** A ranked matter with the chunks that brought it up (best first). */
export interface RankedMatter {
  matterId: string;
  name: string;
  score: number;
  chunks: { index: number; score: number }[];
}

export interface Retrieval {
  matters: RankedMatter[];
  /** One hit per matter (its best chunk), in matter order. */
  hits: Hit[];
  /** Variant intents the question expressed (new, change, renew, cancel, reissue). */
  intents: string[];
  /**
   * Members of the top matter's variant family that fit the question about equally (the question did not
   * say which): the answering step asks which one is meant.
   */
  variants: string[];
  timings: Record<string, number>;
}

/** Tunables, kept together; chosen on the dev set (evals/datasets), see docs/adr. */
export const RETRIEVAL_PARAMS = {
  /** Chunks taken from each recall strategy before fusion. */
  candidates: 100,
  /** Reciprocal rank fusion constant (Cormack et al. 2009). */
  rrfK: 60,
  /** A matter's score: its best chunks, weighted. */
  chunkWeights: [1, 0.5, 0.25],
  /** Boost of a variant whose intent the question states; penalty of a sibling that contradicts it. */
  intentBoost: 1.5,
  intentPenalty: 0.7,
  /** Siblings scoring at least this share of the top matter are offered together with it. */
  variantTie: 0.6,
};

/** Hybrid retrieval over a loaded index: BM25 and dense recall, fused by RRF, ranked by matter. */
export class Retriever {
  readonly families: VariantFamilies;
  private readonly audienceOk: (audience: Audience | undefined) => (i: number) => boolean;

  constructor(readonly index: LoadedIndex, readonly params = RETRIEVAL_PARAMS) {
    this.families = new VariantFamilies(index.guides);
    const byAudience = new Map<string, Uint8Array>();
    for (const a of ['个人', '法人'] as const) {
      byAudience.set(a, Uint8Array.from(index.chunks, (c) => (c.audience.length === 0 || c.audience.includes(a) ? 1 : 0)));
    }
    this.audienceOk = (a) => {
      if (!a) return () => true;
      const mask = byAudience.get(a)!;
      return (i) => mask[i] === 1;
    };
  }

  /** Lexical recall: chunk indices by BM25 score. */
  bm25(query: string, audience?: Audience, n = this.params.candidates): { index: number; score: number }[] {
    const ok = this.audienceOk(audience);
    const res = this.index.bm25.search(query, { filter: (r) => ok(r.id as number) });
    return res.slice(0, n).map((r) => ({ index: r.id as number, score: r.score }));
  }

  /** Dense recall: chunk indices by cosine similarity in the HNSW index. */
  async dense(query: string, audience?: Audience, n = this.params.candidates): Promise<{ index: number; score: number }[]> {
    const [vec] = await this.index.embedder.embed([query]);
    const count = this.index.hnsw.getCurrentCount();
    const res = this.index.hnsw.searchKnn(Array.from(vec), Math.min(n, count), audience ? this.audienceOk(audience) : undefined);
    return res.neighbors.map((index, i) => ({ index, score: 1 - res.distances[i] }));
  }

  async retrieve(query: string, opts: RetrieveOptions = {}): Promise<Retrieval> {
    const timings: Record<string, number> = {};
    const mode = opts.mode ?? 'hybrid';
    const k = opts.k ?? 5;
    let t = performance.now();
    const lists: { index: number; score: number }[][] = [];
    if (mode !== 'dense') {
      lists.push(this.bm25(query, opts.audience));
      timings.bm25 = performance.now() - t;
      t = performance.now();
    }
    if (mode !== 'bm25') {
      lists.push(await this.dense(query, opts.audience));
      timings.dense = performance.now() - t;
      t = performance.now();
    }

    // Reciprocal rank fusion over chunks (a single list keeps its rank order the same way).
    const fused = new Map<number, number>();
    for (const list of lists) {
      list.forEach((r, rank) => fused.set(r.index, (fused.get(r.index) ?? 0) + 1 / (this.params.rrfK + rank + 1)));
    }
    const byMatter = new Map<string, { index: number; score: number }[]>();
    for (const [index, score] of fused) {
      const id = this.index.chunks[index].matterId;
      byMatter.set(id, [...(byMatter.get(id) ?? []), { index, score }]);
    }
    const intents = this.families.questionIntents(query);
    let matters: RankedMatter[] = [...byMatter].map(([matterId, chunks]) => {
      chunks.sort((a, b) => b.score - a.score);
      let score = 0;
      this.params.chunkWeights.forEach((w, i) => (score += w * (chunks[i]?.score ?? 0)));
      // A variant whose suffix says what the question asks for (搬家 → 变更) goes up; a contradicting one down.
      if (intents.size && this.families.familyOf.has(matterId)) {
        const own = this.families.intentsOf.get(matterId)!;
        if ([...own].some((i) => intents.has(i))) score *= this.params.intentBoost;
        else if (own.size) score *= this.params.intentPenalty;
      }
      return { matterId, name: this.index.chunks[chunks[0].index].name, score, chunks };
    });
    matters.sort((a, b) => b.score - a.score || (a.matterId < b.matterId ? -1 : 1));

    // Variants the question does not tell apart are kept together, right after the top matter.
    let variants: string[] = [];
    if (matters.length) {
      const top = matters[0];
      const close = this.families
        .siblings(top.matterId)
        .map((id) => matters.find((m) => m.matterId === id))
        .filter((m): m is RankedMatter => !!m && m.score >= top.score * this.params.variantTie);
      if (close.length) {
        variants = [top.matterId, ...close.map((m) => m.matterId)];
        const rest = matters.filter((m) => m !== top && !close.includes(m));
        matters = [top, ...close, ...rest];
      }
    }
    timings.fuse = performance.now() - t;

    const top = matters.slice(0, k);
    const hits: Hit[] = top.map((m) => {
      const c = this.index.chunks[m.chunks[0].index];
      return { matterId: m.matterId, name: m.name, section: c.section, score: Number(m.score.toFixed(6)), text: c.text };
    });
    return { matters: top, hits, intents: [...intents], variants, timings };
  }
}
