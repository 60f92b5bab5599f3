import type { Audience } from '../../ingest/guideSchema.ts';
import { sectionAnswers, sectionIntents } from './fields.ts';
import type { DenseIndex, LoadedIndex } from './loadIndex.ts';
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

/**
 * The mode used when none is asked for. With the built-in corpus model, hybrid only ties BM25 on the dev set
 * (and the rule then makes BM25 the default); an operator with a real model (bge…) sets
 * RETRIEVAL_MODE=hybrid. docs/adr/0003-retrieval.md has the figures.
 */
export const DEFAULT_MODE: RetrievalMode = 'bm25';
export const RETRIEVAL_MODES = ['hybrid', 'bm25', 'dense'] as const;

export interface RetrieveOptions {
  /** Distinct matters to return. */
  k?: number;
  audience?: Audience;
  mode?: RetrievalMode;
  /** Pick the section shown for each matter (default); off when only the ranking of matters is needed. */
  sections?: boolean;
  /**
   * A matter whose whole name the query holds leads (default). Off for text that is not one question (a
   * user's message with words of the reply it got: the reply names preconditions, not the subject).
   */
  exactName?: boolean;
}

/** A ranked matter with its best-matching chunks (positions in chunks.json, best first). */
export interface RankedMatter {
  matterId: string;
  name: string;
  score: number;
  chunks: number[];
}

export interface Retrieval {
  matters: RankedMatter[];
  /** One hit per matter (its best chunk), in matter order. */
  hits: Hit[];
  /** Variant intents the question expressed (new, change, renew, cancel, reissue). */
  intents: string[];
  /** Guide sections the question asks about (materials, fee, time-limit…), from fields.yaml. */
  sections: string[];
  /** BM25 score of the best matter (0 when nothing matched lexically): how much the words really matched. */
  lexicalTop: number;
  /**
   * The top matter and the members of its variant family that fit the question about as well (the question
   * did not say which): the answering step asks which one is meant. Empty when there is no such tie.
   */
  variants: string[];
  timings: Record<string, number>;
}

/** Tunables, kept together; chosen on the dev set (evals/datasets/dev.jsonl), see docs/adr/0003-retrieval.md. */
export const RETRIEVAL_PARAMS = {
  /** Matters taken from each recall strategy before fusion. */
  candidates: 50,
  /** Chunks taken from each strategy to pick the section shown for a matter. */
  chunkCandidates: 200,
  /**
   * Chunk BM25 in the section choice, besides the section cues (and the chunk vectors in hybrid or dense
   * mode). On: on the eval sets chunk BM25 and chunk vectors pick sections equally well (no metric moved),
   * and BM25 needs no query embedding, so the default BM25 mode loads no model at all (~90 MB less RSS,
   * ~1 ms less per question). Off: the query is embedded for the section choice in every mode.
   */
  sectionLexical: true,
  /** Reciprocal rank fusion constant (Cormack et al. 2009); small: the top ranks decide. */
  rrfK: 5,
  /** Weight of the dense ranking against the lexical one (0.1: best hybrid on the dev set). */
  denseWeight: 0.1,
  /** Siblings scoring at least this share of the top matter are offered together with it. */
  variantTie: 0.6,
  /** A sibling whose suffix matches what the question says (搬家 → 变更) may take the top from this share. */
  intentTie: 0.3,
  /** A family below a lone top matter counts when its best member has this share of the top's BM25 score. */
  familyLexicalTie: 0.8,
};

type Ranked = { id: string; score: number }[];

/**
 * Hybrid retrieval over a loaded index. Matters are ranked by BM25 over whole guides and by the cosine of
 * their vectors, fused by weighted RRF; chunks (BM25 + HNSW) then pick the section to show for each.
 */
export class Retriever {
  readonly families: VariantFamilies;
  private readonly names: Map<string, string>;
  /** Names of 4 characters or more: a question holding one means that matter (resolveVariants). */
  private readonly longNames: Map<string, string>;
  /** Document of the matter BM25 index of each matter id. */
  private readonly bm25DocOf: Map<string, number>;
  private readonly unitAudienceOk: Map<string, Uint8Array>;
  private readonly chunkAudienceOk: Map<string, Uint8Array>;
  /** Position in `index.units` of each document of the matter BM25 index. */
  private readonly bm25Unit: Int32Array;
  /** Document of the chunk BM25 index of each chunk position. */
  private readonly bm25Chunk: Int32Array;

  constructor(
    readonly index: LoadedIndex,
    readonly params = RETRIEVAL_PARAMS,
    readonly defaultMode: RetrievalMode = DEFAULT_MODE,
  ) {
    this.families = new VariantFamilies(index.guides);
    this.names = new Map(index.units.map((u) => [u.id, u.name]));
    this.longNames = new Map([...this.names].filter(([, name]) => [...name].length >= 4));
    this.bm25DocOf = new Map(index.matterBm25.ids.map((id, doc) => [id, doc]));
    this.bm25Unit = Int32Array.from(index.matterBm25.ids, (id) => index.unitPos.get(id) ?? -1);
    this.bm25Chunk = new Int32Array(index.chunks.length).fill(-1);
    index.chunkBm25.ids.forEach((chunk, doc) => (this.bm25Chunk[chunk] = doc));
    // Load the model and HNSW now when every question will need them, not on the first question.
    if (defaultMode !== 'bm25' || !params.sectionLexical) index.dense().catch(() => undefined);
    const fits = (audience: string[], a: string) => audience.length === 0 || audience.includes(a);
    this.unitAudienceOk = new Map();
    this.chunkAudienceOk = new Map();
    for (const a of ['个人', '法人']) {
      this.unitAudienceOk.set(a, Uint8Array.from(index.units, (u) => (fits(u.audience, a) ? 1 : 0)));
      this.chunkAudienceOk.set(a, Uint8Array.from(index.chunks, (c) => (fits(c.audience, a) ? 1 : 0)));
    }
  }

  private unitFilter(audience?: Audience): ((label: number) => boolean) | undefined {
    const mask = audience && this.unitAudienceOk.get(audience);
    return mask ? (i) => mask[i] === 1 : undefined;
  }

  private chunkFilter(audience?: Audience): ((label: number) => boolean) | undefined {
    const mask = audience && this.chunkAudienceOk.get(audience);
    return mask ? (i) => mask[i] === 1 : undefined;
  }

  /** The candidate whose whole name (4 characters or more) the query holds, the longest such name. */
  private wholeNameHeld(query: string, candidates: Ranked): { id: string; score: number } | undefined {
    let best: { id: string; score: number } | undefined;
    for (const m of candidates) {
      const name = this.longNames.get(m.id);
      if (name && query.includes(name) && (!best || name.length > this.longNames.get(best.id)!.length)) best = m;
    }
    return best;
  }

  /**
   * These matters in BM25 order for the query (only those open to the audience): scores just them (a
   * keyword query's few candidates), not the whole index.
   */
  rankLexically(query: string, ids: string[], audience?: Audience): string[] {
    const ok = this.unitFilter(audience);
    const open = ids.filter((id) => this.bm25DocOf.has(id) && (!ok || ok(this.index.unitPos.get(id)!)));
    const scores = this.index.matterBm25.scoreDocs(query, open.map((id) => this.bm25DocOf.get(id)!));
    return open.map((id, i) => [id, scores[i]] as const).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([id]) => id);
  }

  /** Lexical ranking of matters. */
  lexicalMatters(query: string, audience?: Audience): Ranked {
    const ok = this.unitFilter(audience);
    const res = this.index.matterBm25.search(query, { filter: ok && ((doc) => ok(this.bm25Unit[doc])), limit: this.params.candidates });
    return res.map((r) => ({ id: r.id, score: r.score }));
  }

  /** Dense ranking of matters by their vectors. */
  denseMatters(vec: Float32Array, dense: DenseIndex, audience?: Audience): Ranked {
    const n = Math.min(this.params.candidates, dense.matterHnsw.getCurrentCount());
    const res = dense.matterHnsw.searchKnn(Array.from(vec), n, this.unitFilter(audience));
    return res.neighbors
      .map((label, i) => ({ id: this.index.units[label].id, score: 1 - res.distances[i] }))
      .sort((a, b) => b.score - a.score);
  }

  /** Chunk positions by fused BM25 and dense rank: which section of a matter answers the question. */
  private rankChunks(query: string, vec: Float32Array | null, dense: DenseIndex | undefined, matters: string[], audience?: Audience): Map<number, number> {
    const fused = new Map<number, number>();
    const add = (list: number[]) =>
      list.forEach((i, rank) => fused.set(i, (fused.get(i) ?? 0) + 1 / (this.params.rrfK + rank + 1)));
    const ok = this.chunkFilter(audience);
    const bm25 = this.index.chunkBm25;
    if (!vec) {
      // BM25 alone: only the chunks of the matters being shown compete (a hundred, not all 8,861).
      const own = matters.flatMap((id) => this.index.chunksOf.get(id) ?? []).filter((i) => !ok || ok(i));
      const scores = bm25.scoreDocs(query, own.map((i) => this.bm25Chunk[i]));
      add(own.map((i, j) => [i, scores[j]] as const).filter(([, x]) => x > 0).sort((a, b) => b[1] - a[1] || a[0] - b[0]).map(([i]) => i));
    } else if (this.params.sectionLexical) {
      const lex = bm25.search(query, { filter: ok && ((doc) => ok(bm25.ids[doc])), limit: this.params.chunkCandidates });
      add(lex.map((r) => r.id));
    }
    if (vec && dense) {
      const n = Math.min(this.params.chunkCandidates, dense.chunkHnsw.getCurrentCount());
      const res = dense.chunkHnsw.searchKnn(Array.from(vec), n, ok);
      add(res.neighbors.map((label, i) => [label, res.distances[i]] as const).sort((a, b) => a[1] - b[1]).map(([l]) => l));
    }
    return fused;
  }

  /**
   * Near-duplicate variants (新办/变更/延续/注销/补证…). Only the top matter's own family is considered, so
   * cue words never lift a family above an unrelated matter. When the question says which variant it means,
   * that sibling goes first; when it does not, the siblings that score about as well are kept right after
   * the top one and reported as `variants` (the answer step asks which is meant).
   */
  resolveVariants(query: string, scored: Ranked, lexical: Map<string, number> = new Map(), exactName = true): { ranked: Ranked; intents: string[]; variants: string[] } {
    const intents = this.families.questionIntents(query);
    if (!scored.length) return { ranked: scored, intents: [...intents], variants: [] };
    // A question holding a matter's whole name (临时居民身份证申领, 营业执照换发) means that matter, whatever its
    // words say about variants (申领 reads as "new", 换发 as "reissue"): the longest such name leads.
    const named = exactName ? this.wholeNameHeld(query, scored.slice(0, this.params.candidates)) : undefined;
    if (named) return { ranked: [named, ...scored.filter((m) => m !== named)], intents: [...intents], variants: [] };
    const p = this.params;
    let top = scored[0];
    // A family right below a top matter of its own (居住证积分申请 above 居住证申领/签注/变更…): when two or more
    // members sit in the next three places and match about as well lexically, the family is what the
    // question is about, and the top matter becomes one more option.
    let outsider: { id: string; score: number } | undefined;
    const second = scored[1];
    if (!this.families.familyOf.has(top.id) && second && this.families.familyOf.has(second.id)) {
      const fam = new Set([second.id, ...this.families.siblings(second.id)]);
      const near = scored.slice(1, 4).filter((m) => fam.has(m.id));
      // Three members right below the top say more than two: they need less of the top's lexical score.
      const tie = near.length >= 3 ? p.familyLexicalTie - 0.2 : p.familyLexicalTie;
      if (near.length >= 2 && (lexical.get(second.id) ?? 0) >= tie * (lexical.get(top.id) ?? Infinity)) {
        outsider = top;
        top = second;
      }
    }
    const siblings = new Set(this.families.siblings(top.id));
    const family = scored.filter((m) => m === top || siblings.has(m.id));
    let lead = top;
    let tied = family.filter((m) => m !== top && m.score >= scored[0].score * p.variantTie);
    if (intents.size && family.length > 1) {
      const fits = (m: { id: string }) => [...this.families.intentsOf.get(m.id)!].some((i) => intents.has(i));
      const matching = family.filter((m) => fits(m) && m.score >= scored[0].score * p.intentTie);
      if (matching.length) {
        lead = matching[0];
        tied = matching.slice(1).filter((m) => m.score >= lead.score * p.variantTie);
        outsider = undefined;
      }
    }
    const bare = this.families.bareBase.get(this.families.familyOf.get(top.id) ?? '');
    if (bare && tied.length && lead === top) {
      // A matter and its one variant, the question saying neither: the better match of the two is meant,
      // with no question back (one registers before one changes or cancels; the ranking already weighs it).
      tied = [];
    }
    if (tied.length) {
      // The question may still name one of them by what its name says beyond the variant words
      // (法定代表人要改 → （法定代表人）; 股东把股份转给别人 → （股东及股权转让））: then there is no tie.
      const options = [...(outsider ? [outsider] : []), lead, ...tied];
      const named = this.families.echoedName(query, options.map((m) => m.id), this.names);
      if (named) {
        lead = options.find((m) => m.id === named)!;
        tied = [];
        outsider = undefined;
      }
    }
    if (outsider && !tied.length) outsider = undefined;
    const front = outsider ? [outsider, lead, ...tied] : [lead, ...tied];
    const ranked = [...front, ...scored.filter((m) => !front.includes(m))];
    return { ranked, intents: [...intents], variants: tied.length ? front.map((m) => m.id) : [] };
  }


  async retrieve(query: string, opts: RetrieveOptions = {}): Promise<Retrieval> {
    const timings: Record<string, number> = {};
    const mode = opts.mode ?? this.defaultMode;
    const k = opts.k ?? 5;
    const p = this.params;
    let t = performance.now();
    const lap = (name: string) => {
      const now = performance.now();
      timings[name] = Number((now - t).toFixed(3));
      t = now;
    };

    const lists: { ranked: Ranked; weight: number }[] = [];
    const lexical = this.lexicalMatters(query, opts.audience);
    if (mode !== 'dense') lists.push({ ranked: lexical, weight: 1 });
    lap('bm25');
    let vec: Float32Array | null = null;
    let dense: DenseIndex | undefined;
    if (mode !== 'bm25') {
      dense = await this.index.dense();
      [vec] = await dense.embedder.embed([query]);
      lap('embed');
      // A question the model has no vector for (no known token) contributes no dense ranking.
      if (!vec.some((x) => x !== 0)) vec = null;
      if (vec) lists.push({ ranked: this.denseMatters(vec, dense, opts.audience), weight: mode === 'dense' ? 1 : p.denseWeight });
      lap('dense');
    }

    const fused = new Map<string, number>();
    for (const { ranked, weight } of lists) {
      ranked.forEach((r, rank) => fused.set(r.id, (fused.get(r.id) ?? 0) + weight / (p.rrfK + rank + 1)));
    }
    let scored = [...fused].map(([id, score]) => ({ id, score }));
    scored.sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1));
    const resolved = this.resolveVariants(query, scored, new Map(lexical.map((r) => [r.id, r.score])), opts.exactName ?? true);
    const { intents, variants } = resolved;
    scored = resolved.ranked;
    lap('fuse');

    const top = scored.slice(0, k);
    if (opts.sections !== false && !vec && !this.params.sectionLexical) {
      dense = await this.index.dense();
      [vec] = await dense.embedder.embed([query]);
      if (!vec.some((x) => x !== 0)) vec = null;
    }
    const chunkScores = opts.sections === false ? new Map<number, number>() : this.rankChunks(query, vec, dense, top.map((m) => m.id), opts.audience);
    // Within a matter, a chunk of the section the question asks about (材料 → materials) comes first.
    const sections = sectionIntents(query);
    const rank = (i: number) => (sectionAnswers(this.index.chunks[i].section, sections) ? 1 : 0) + (chunkScores.get(i) ?? 0);
    const matters: RankedMatter[] = top.map(({ id, score }) => {
      const own = this.index.chunksOf.get(id) ?? [];
      const best = own.filter((i) => chunkScores.has(i) || sectionAnswers(this.index.chunks[i].section, sections)).sort((a, b) => rank(b) - rank(a));
      return { matterId: id, name: this.index.units[this.index.unitPos.get(id)!].name, score, chunks: best.length ? best : own.slice(0, 1) };
    });
    lap('sections');

    const hits: Hit[] = matters.map((m) => {
      const c = this.index.chunks[m.chunks[0]];
      return { matterId: m.matterId, name: m.name, section: c.section, score: Number(m.score.toFixed(6)), text: c.text };
    });
    return { matters, hits, intents, sections, variants, lexicalTop: lexical[0]?.score ?? 0, timings };
  }
}
