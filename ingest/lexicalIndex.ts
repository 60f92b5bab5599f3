import MiniSearch from 'minisearch';
import type { Chunk } from './chunk.ts';
import type { LexicalTokenizer } from './tokenize.ts';

/** What the BM25 index stores per chunk: its position in chunks.json is the document id. */
interface LexDoc {
  id: number;
  name: string;
  text: string;
}

/** Field boosts: a word of the matter's name counts more than one in the body. Tuned on the dev set. */
export const BM25_BOOST = { name: 2, text: 1 };

function options(tokenizer: LexicalTokenizer) {
  return {
    fields: ['name', 'text'],
    storeFields: [] as string[],
    tokenize: (text: string) => tokenizer.tokenize(text),
    processTerm: (term: string) => term,
    searchOptions: { boost: BM25_BOOST, combineWith: 'OR' as const, bm25: { k: 1.2, b: 0.75, d: 0.5 } },
  };
}

/** BM25 (MiniSearch's BM25+) over the chunks, with the jieba tokenizer. */
export function buildLexicalIndex(chunks: Chunk[], tokenizer: LexicalTokenizer): MiniSearch<LexDoc> {
  const ms = new MiniSearch<LexDoc>(options(tokenizer));
  ms.addAll(chunks.map((c, id) => ({ id, name: c.name, text: `${c.sectionTitle}\n${c.text}` })));
  return ms;
}

export function loadLexicalIndex(json: string, tokenizer: LexicalTokenizer): MiniSearch<LexDoc> {
  return MiniSearch.loadJSON<LexDoc>(json, options(tokenizer));
}
