import MiniSearch from 'minisearch';
import { Bm25Index } from './bm25.ts';
import type { Chunk } from './chunk.ts';
import type { Doc, Guide } from './guideSchema.ts';
import { guideSections } from './sections.ts';
import type { LexicalTokenizer } from './tokenize.ts';

/**
 * BM25 (MiniSearch's BM25+) with the jieba tokenizer, at two levels:
 * - matters: one document per guide (or knowledge document) — ranks which matter a question is about.
 *   Besides jieba words, every Chinese character (field `chars`) and every pair of adjacent characters
 *   (field `bigrams`) is a token too: a colloquial word that jieba keeps whole (烤肠摊) still meets the
 *   guide's words (摊贩) through its characters, and a word jieba splits differently through its bigrams.
 * - chunks: one document per chunk, words only — picks the section within a matter (kept small: it runs on
 *   every question).
 */

const CJK = /\p{Script=Han}/u;

/** Character tokens of the words, marked with '#' so they never collide with a one-character word. */
export function charTokens(words: string[]): string[] {
  const out: string[] = [];
  for (const w of words) if (CJK.test(w)) for (const c of w) if (CJK.test(c)) out.push(`#${c}`);
  return out;
}

/** Bigrams of each run of Chinese characters, marked with '@'. */
export function bigramTokens(text: string): string[] {
  const out: string[] = [];
  for (const run of text.match(/\p{Script=Han}+/gu) ?? []) {
    const cs = [...run];
    for (let i = 0; i + 1 < cs.length; i++) out.push(`@${cs[i]}${cs[i + 1]}`);
  }
  return out;
}

/**
 * Field boosts of the matter index, chosen on the dev set (docs/adr/0003-retrieval.md). Everyday phrasings
 * (knowledge/phrasings) count once, like the body: at 1 they lift retrieval most (dev hit@1
 * 0.912 → 0.953; 0.949 at 3) and raise the scores of out-of-scope questions least.
 */
export const MATTER_BOOST = { name: 3, alias: 3, phrasing: 1, body: 1, chars: 1, bigrams: 1 };
export const CHUNK_BOOST = { name: 1, text: 2 };
const BM25 = { k: 1.2, b: 0.75, d: 0.5 };

function matterTokenizer(tokenizer: LexicalTokenizer) {
  return (text: string, field?: string) => {
    if (field === 'bigrams') return bigramTokens(text);
    const words = tokenizer.tokenize(text);
    if (field === 'chars') return charTokens(words);
    if (field) return words;
    return [...words, ...charTokens(words), ...bigramTokens(text)]; // a query meets every field
  };
}

interface MatterDoc {
  id: string;
  name: string;
  alias: string;
  phrasing: string;
  body: string;
  chars: string;
  bigrams: string;
}

function matterOptions(tokenizer: LexicalTokenizer) {
  return {
    fields: ['name', 'alias', 'phrasing', 'body', 'chars', 'bigrams'],
    storeFields: [] as string[],
    tokenize: matterTokenizer(tokenizer),
    processTerm: (term: string) => term,
    searchOptions: { boost: MATTER_BOOST, combineWith: 'OR' as const, bm25: BM25 },
  };
}

/** A matter as the matter index sees it, with the guide's everyday phrasings (knowledge/phrasings) in their own field. */
export function matterDocOf(unit: { guide?: Guide; doc?: Doc; phrasings?: string[] }): MatterDoc {
  if (unit.guide) {
    const g = unit.guide;
    const body = guideSections(g).map((s) => s.text).join('\n');
    const phrasings = unit.phrasings ?? [];
    const all = [g.name, ...g.aliases, ...phrasings, body].join('\n');
    return { id: g.id, name: g.name, alias: g.aliases.join('\n'), phrasing: phrasings.join('\n'), body, chars: all, bigrams: all };
  }
  const d = unit.doc!;
  const name = d.title ?? '';
  const all = `${name}\n${d.text}`;
  return { id: d.id, name, alias: '', phrasing: '', body: d.text, chars: all, bigrams: all };
}

export function buildMatterIndex(
  guides: Guide[],
  docs: Doc[],
  tokenizer: LexicalTokenizer,
  phrasings: ReadonlyMap<string, string[]> = new Map(),
): MiniSearch<MatterDoc> {
  const ms = new MiniSearch<MatterDoc>(matterOptions(tokenizer));
  ms.addAll([...guides.map((guide) => matterDocOf({ guide, phrasings: phrasings.get(guide.id) })), ...docs.map((doc) => matterDocOf({ doc }))]);
  return ms;
}

export function loadMatterIndex(json: string, tokenizer: LexicalTokenizer): MiniSearch<MatterDoc> {
  return MiniSearch.loadJSON<MatterDoc>(json, matterOptions(tokenizer));
}

/** The matter index for search (ingest/bm25.ts): MiniSearch's ranking, without its per-search cost. */
export function loadMatterBm25(json: string, tokenizer: LexicalTokenizer): Bm25Index<string> {
  const tokenize = matterTokenizer(tokenizer);
  return Bm25Index.fromMiniSearchJSON<string>(json, { tokenize: (text) => tokenize(text), boost: MATTER_BOOST, bm25: BM25 });
}

/** A chunk's id in the chunk index is its position in chunks.json. */
interface ChunkDoc {
  id: number;
  name: string;
  text: string;
}

function chunkOptions(tokenizer: LexicalTokenizer) {
  return {
    fields: ['name', 'text'],
    storeFields: [] as string[],
    tokenize: (text: string) => tokenizer.tokenize(text),
    processTerm: (term: string) => term,
    searchOptions: { boost: CHUNK_BOOST, combineWith: 'OR' as const, bm25: BM25 },
  };
}

export function buildChunkIndex(chunks: Chunk[], tokenizer: LexicalTokenizer): MiniSearch<ChunkDoc> {
  const ms = new MiniSearch<ChunkDoc>(chunkOptions(tokenizer));
  ms.addAll(
    chunks.map((c, id) => {
      return { id, name: c.name, text: `${c.sectionTitle}\n${c.text}` };
    }),
  );
  return ms;
}

export function loadChunkIndex(json: string, tokenizer: LexicalTokenizer): MiniSearch<ChunkDoc> {
  return MiniSearch.loadJSON<ChunkDoc>(json, chunkOptions(tokenizer));
}

/** The chunk index for search; a chunk's id is its position in chunks.json. */
export function loadChunkBm25(json: string, tokenizer: LexicalTokenizer): Bm25Index<number> {
  return Bm25Index.fromMiniSearchJSON<number>(json, { tokenize: (text) => tokenizer.tokenize(text), boost: CHUNK_BOOST, bm25: BM25 });
}
