import MiniSearch from 'minisearch';
import type { Chunk } from './chunk.ts';
import type { Doc, Guide } from './guideSchema.ts';
import { guideSections } from './sections.ts';
import type { LexicalTokenizer } from './tokenize.ts';

/**
 * BM25 (MiniSearch's BM25+) with the jieba tokenizer, at two levels:
 * - matters: one document per guide (or knowledge document) — ranks which matter a question is about;
 * - chunks: one document per chunk — picks the section within a matter.
 * Besides jieba words, every Chinese character is indexed as a token of its own (field `chars`): a
 * colloquial word that jieba keeps whole (烤肠摊) still meets the guide's words (摊贩) through its characters.
 */

const CJK = /\p{Script=Han}/u;

/** Character tokens of the words, marked with '#' so they never collide with a one-character word. */
export function charTokens(words: string[]): string[] {
  const out: string[] = [];
  for (const w of words) if (CJK.test(w)) for (const c of w) if (CJK.test(c)) out.push(`#${c}`);
  return out;
}

/** Field boosts of the matter index, chosen on the dev set (docs/adr/0003-retrieval.md). */
export const MATTER_BOOST = { name: 3, alias: 3, body: 1, chars: 1.5 };
export const CHUNK_BOOST = { name: 1, text: 2, chars: 1 };
const BM25 = { k: 1.2, b: 0.75, d: 0.5 };

function fieldTokenizer(tokenizer: LexicalTokenizer) {
  return (text: string, field?: string) => {
    const words = tokenizer.tokenize(text);
    if (field === 'chars') return charTokens(words);
    if (field) return words;
    return [...words, ...charTokens(words)]; // a query meets every field
  };
}

interface MatterDoc {
  id: string;
  name: string;
  alias: string;
  body: string;
  chars: string;
}

function matterOptions(tokenizer: LexicalTokenizer) {
  return {
    fields: ['name', 'alias', 'body', 'chars'],
    storeFields: [] as string[],
    tokenize: fieldTokenizer(tokenizer),
    processTerm: (term: string) => term,
    searchOptions: { boost: MATTER_BOOST, combineWith: 'OR' as const, bm25: BM25 },
  };
}

export function matterDocOf(unit: { guide?: Guide; doc?: Doc }): MatterDoc {
  if (unit.guide) {
    const g = unit.guide;
    const body = guideSections(g).map((s) => s.text).join('\n');
    return { id: g.id, name: g.name, alias: g.aliases.join('\n'), body, chars: [g.name, ...g.aliases, body].join('\n') };
  }
  const d = unit.doc!;
  const name = d.title ?? '';
  return { id: d.id, name, alias: '', body: d.text, chars: `${name}\n${d.text}` };
}

export function buildMatterIndex(guides: Guide[], docs: Doc[], tokenizer: LexicalTokenizer): MiniSearch<MatterDoc> {
  const ms = new MiniSearch<MatterDoc>(matterOptions(tokenizer));
  ms.addAll([...guides.map((guide) => matterDocOf({ guide })), ...docs.map((doc) => matterDocOf({ doc }))]);
  return ms;
}

export function loadMatterIndex(json: string, tokenizer: LexicalTokenizer): MiniSearch<MatterDoc> {
  return MiniSearch.loadJSON<MatterDoc>(json, matterOptions(tokenizer));
}

/** A chunk's id in the chunk index is its position in chunks.json. */
interface ChunkDoc {
  id: number;
  name: string;
  text: string;
  chars: string;
}

function chunkOptions(tokenizer: LexicalTokenizer) {
  return {
    fields: ['name', 'text', 'chars'],
    storeFields: [] as string[],
    tokenize: fieldTokenizer(tokenizer),
    processTerm: (term: string) => term,
    searchOptions: { boost: CHUNK_BOOST, combineWith: 'OR' as const, bm25: BM25 },
  };
}

export function buildChunkIndex(chunks: Chunk[], tokenizer: LexicalTokenizer): MiniSearch<ChunkDoc> {
  const ms = new MiniSearch<ChunkDoc>(chunkOptions(tokenizer));
  ms.addAll(
    chunks.map((c, id) => {
      const text = `${c.sectionTitle}\n${c.text}`;
      return { id, name: c.name, text, chars: text };
    }),
  );
  return ms;
}

export function loadChunkIndex(json: string, tokenizer: LexicalTokenizer): MiniSearch<ChunkDoc> {
  return MiniSearch.loadJSON<ChunkDoc>(json, chunkOptions(tokenizer));
}
