/**
 * Query-time BM25+ over an index that MiniSearch built and serialised (`JSON.stringify(miniSearch)`,
 * serializationVersion 2), scoring exactly as `MiniSearch#search` does with `combineWith: 'OR'`, no prefix
 * or fuzzy matching, no document boost: per query term, the field-boosted BM25+ of every field the term
 * occurs in, summed over the query's terms, times the number of distinct query terms the document matched.
 *
 * Why not MiniSearch's own search: a question becomes ~50 terms (words, characters, bigrams), and
 * MiniSearch builds a Map entry with match details per term, field and document on every search; that was
 * half of the /api/ask CPU time and most of its garbage (scripts/benchHttp.ts). Every BM25 weight here only
 * depends on the index, so it is computed once at load: a search is a pass over typed-array postings.
 * MiniSearch still builds and writes the index (lexicalIndex.ts); test/bm25.test.ts checks that both
 * rank alike on the eval questions.
 */

export interface Bm25Params {
  k: number;
  b: number;
  d: number;
}

interface SerializedMiniSearch {
  documentCount: number;
  documentIds: Record<string, string | number>;
  fieldIds: Record<string, number>;
  fieldLength: Record<string, number[]>;
  averageFieldLength: number[];
  index: [string, Record<string, Record<string, number>>][];
  serializationVersion: number;
}

export interface Bm25Hit<Id> {
  /** The document's id as it was given to MiniSearch. */
  id: Id;
  /** Position of the document in `ids`. */
  doc: number;
  score: number;
}

interface Postings {
  docs: Int32Array;
  /** Sum over the fields of boost × BM25+ of this term in that document. */
  weights: Float64Array;
}

export class Bm25Index<Id extends string | number = string> {
  /** Document ids by position. */
  readonly ids: Id[];
  private readonly postings: Map<string, Postings>;
  private readonly score: Float64Array;
  private readonly matched: Int32Array;
  private readonly firstSeen: Int32Array;

  private constructor(
    ids: Id[],
    postings: Map<string, Postings>,
    private readonly tokenize: (text: string) => string[],
  ) {
    this.ids = ids;
    this.postings = postings;
    this.score = new Float64Array(ids.length);
    this.matched = new Int32Array(ids.length);
    this.firstSeen = new Int32Array(ids.length);
  }

  /**
   * `tokenize` and `boost` (field name → boost; fields left out count 1) as given to MiniSearch for search.
   */
  static fromMiniSearchJSON<Id extends string | number = string>(
    json: string,
    opts: { tokenize: (text: string) => string[]; boost: Record<string, number>; bm25: Bm25Params },
  ): Bm25Index<Id> {
    const data = JSON.parse(json) as SerializedMiniSearch;
    if (data.serializationVersion !== 2) throw new Error(`unsupported MiniSearch serialisation ${data.serializationVersion}`);
    const shortIds = Object.keys(data.documentIds);
    const pos = new Map<string, number>(shortIds.map((s, i) => [s, i]));
    const ids = shortIds.map((s) => data.documentIds[s] as Id);
    // MiniSearch numbers its fields in the order it was given them and adds a term's field scores in that order.
    const fields = Object.entries(data.fieldIds)
      .sort((x, y) => x[1] - y[1])
      .map(([name, fieldId]) => ({ key: String(fieldId), fieldId, boost: opts.boost[name] || 1 }));
    const { k, b, d } = opts.bm25;
    const n = data.documentCount;
    const weight = new Float64Array(ids.length);
    const isTouched = new Uint8Array(ids.length);
    const touched: number[] = [];
    const postings = new Map<string, Postings>();
    for (const [term, byField] of data.index) {
      touched.length = 0;
      for (const field of fields) {
        const freqs = byField[field.key];
        if (!freqs) continue;
        const live = Object.keys(freqs).filter((s) => pos.has(s));
        const idf = Math.log(1 + (n - live.length + 0.5) / (live.length + 0.5));
        const avg = data.averageFieldLength[field.fieldId];
        for (const s of live) {
          const p = pos.get(s)!;
          const tf = freqs[s];
          const len = data.fieldLength[s][field.fieldId];
          const w = field.boost * (idf * (d + (tf * (k + 1)) / (tf + k * (1 - b + (b * len) / avg))));
          if (!isTouched[p]) {
            isTouched[p] = 1;
            touched.push(p);
            weight[p] = w;
          } else weight[p] += w;
        }
      }
      if (!touched.length) continue;
      touched.sort((x, y) => x - y);
      const docs = Int32Array.from(touched);
      const weights = Float64Array.from(touched, (p) => weight[p]);
      for (const p of touched) {
        weight[p] = 0;
        isTouched[p] = 0;
      }
      postings.set(term, { docs, weights });
    }
    return new Bm25Index<Id>(ids, postings, opts.tokenize);
  }

  /**
   * The postings of each query term found in the index, in query order (a repeated term counts again, as in
   * MiniSearch); `distinct` is false for a repeat (the matched-terms factor counts a term once).
   */
  private queryPostings(query: string): { p: Postings; distinct: boolean }[] {
    const seen = new Set<string>();
    const out: { p: Postings; distinct: boolean }[] = [];
    for (const term of this.tokenize(query)) {
      const p = term ? this.postings.get(term) : undefined;
      if (!p) continue;
      out.push({ p, distinct: !seen.has(term) });
      seen.add(term);
    }
    return out;
  }

  get size(): number {
    return this.ids.length;
  }

  /**
   * The scores `search` would give these documents (0 for a document matching no term), looked up in the
   * postings by binary search: for a few dozen documents, far cheaper than scoring the whole index.
   */
  scoreDocs(query: string, docs: readonly number[]): Float64Array {
    const out = new Float64Array(docs.length);
    const matched = new Int32Array(docs.length);
    for (const { p, distinct } of this.queryPostings(query)) {
      docs.forEach((doc, j) => {
        let lo = 0;
        let hi = p.docs.length - 1;
        while (lo <= hi) {
          const mid = (lo + hi) >> 1;
          if (p.docs[mid] < doc) lo = mid + 1;
          else if (p.docs[mid] > doc) hi = mid - 1;
          else {
            out[j] += p.weights[mid];
            if (distinct) matched[j]++;
            return;
          }
        }
      });
    }
    for (let j = 0; j < docs.length; j++) out[j] *= matched[j];
    return out;
  }

  /**
   * Documents matching any term of the query, best first (equal scores: the first matched first, as in
   * MiniSearch). With `limit`, only the best `limit` (and any tied with the last of them).
   */
  search(query: string, opts: { filter?: (doc: number) => boolean; limit?: number } = {}): Bm25Hit<Id>[] {
    const { score, matched, firstSeen } = this;
    const { filter, limit = Infinity } = opts;
    const hitDocs: number[] = [];
    for (const { p, distinct } of this.queryPostings(query)) {
      const { docs, weights } = p;
      for (let i = 0; i < docs.length; i++) {
        const doc = docs[i];
        if (matched[doc] === 0) {
          firstSeen[doc] = hitDocs.length;
          hitDocs.push(doc);
          score[doc] = weights[i];
          matched[doc] = 1;
        } else {
          score[doc] += weights[i];
          if (distinct) matched[doc]++;
        }
      }
    }
    // Scores out and the shared scratch arrays reset before any caller code (the filter) runs.
    const all = new Float64Array(hitDocs.length);
    hitDocs.forEach((doc, i) => {
      all[i] = score[doc] * matched[doc];
      score[doc] = 0;
      matched[doc] = 0;
    });
    const kept: number[] = [];
    const final = new Float64Array(hitDocs.length);
    hitDocs.forEach((doc, i) => {
      if (filter && !filter(doc)) return;
      final[kept.length] = all[i];
      kept.push(doc);
    });
    // The score a document needs to be among the best `limit`: a native numeric sort of the scores is much
    // cheaper than sorting thousands of hit objects (a common word matches most chunks).
    let bar = -Infinity;
    if (kept.length > limit) bar = final.subarray(0, kept.length).slice().sort()[kept.length - limit];
    const out: Bm25Hit<Id>[] = [];
    kept.forEach((doc, i) => {
      if (final[i] >= bar) out.push({ id: this.ids[doc], doc, score: final[i] });
    });
    out.sort((a, b) => b.score - a.score || firstSeen[a.doc] - firstSeen[b.doc]);
    return out.length > limit ? out.slice(0, limit) : out;
  }
}
