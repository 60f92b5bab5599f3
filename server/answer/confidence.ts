import { guideSections } from '../../ingest/sections.ts';
import type { LexicalTokenizer } from '../../ingest/tokenize.ts';
import type { LoadedIndex } from '../retrieval/loadIndex.ts';
import fs from 'node:fs';
import YAML from 'yaml';

/**
 * How much of a question a matter's guide actually covers: the share of the question's content words
 * (jieba words of two or more characters, without stopwords and without the generic words of asking, such as
 * 材料 or 多久) that occur in the guide. Retrieval always returns something; this says whether it is an
 * answer. Generic words are data (confidence.yaml).
 */
const generic: Set<string> = new Set(
  (YAML.parse(fs.readFileSync(new URL('./confidence.yaml', import.meta.url), 'utf8')) as { generic: string[] }).generic,
);

const CJK = /\p{Script=Han}/u;
/** A question of at most this many content words can be a keyword query for a matter (namedMatters). */
const MAX_NAME_QUERY_WORDS = 2;

export class CoverageScorer {
  private readonly vocab = new Map<string, { words: Set<string>; text: string }>();
  /** Each guide's name and aliases, lower-cased (namedMatters). */
  private readonly guideNames: { id: string; names: string[] }[];
  /** The names and aliases of 4 characters or more, lower-cased (mentionsMatter). */
  private readonly wholeNames: string[];

  constructor(private readonly index: LoadedIndex, private readonly tokenizer: LexicalTokenizer = index.tokenizer) {
    this.guideNames = index.guides.map((g) => ({ id: g.id, names: [g.name, ...g.aliases].map((n) => n.toLowerCase()) }));
    this.wholeNames = [...new Set(this.guideNames.flatMap((g) => g.names).filter((n) => [...n].length >= 4))];
  }

  /** The question's content words: what must be found in a guide for it to answer the question. */
  contentWords(question: string): string[] {
    return [...new Set(this.tokenizer.tokenize(question).filter((w) => [...w].length >= 2 && CJK.test(w) && !generic.has(w)))];
  }

  /** The content words as written: a word jieba also cut into parts (第一次 → 第一, 一次) counts once. */
  wordsOf(question: string): string[] {
    const words = this.contentWords(question);
    return words.filter((w) => !words.some((o) => o !== w && o.includes(w)));
  }

  private vocabOf(matterId: string) {
    let v = this.vocab.get(matterId);
    if (!v) {
      const g = this.index.guideById.get(matterId);
      const text = g
        ? [g.name, ...g.aliases, ...guideSections(g).map((s) => s.text)].join('\n')
        : (this.index.docs.find((d) => d.id === matterId)?.text ?? '');
      // The raw text is kept too, so a question word that jieba cuts differently in the guide still counts.
      v = { words: new Set(this.tokenizer.tokenize(text)), text };
      this.vocab.set(matterId, v);
    }
    return v;
  }

  /**
   * The matters a keyword query names: when the question is one or two content words (居住证, 低保, 个税怎么办,
   * 补办社保卡), the guides whose name or an alias holds every one of them; otherwise none. Such a question
   * is about those matters however low its BM25 score (a short question matches few terms, and BM25 as
   * MiniSearch scores it multiplies by the number of matched terms).
   */
  namedMatters(question: string): string[] {
    // Latin words count too (KTV, HIV, Livehouse), compared without case.
    const latin = [...new Set(this.tokenizer.tokenize(question).filter((w) => /^[a-z][a-z0-9]+$/i.test(w)).map((w) => w.toLowerCase()))];
    const words = [...this.wordsOf(question), ...latin];
    if (words.length === 0 || words.length > MAX_NAME_QUERY_WORDS) return [];
    return this.guideNames.filter(({ names }) => words.every((w) => names.some((n) => n.includes(w)))).map(({ id }) => id);
  }

  /** Whether the question holds a matter's whole name or one of its aliases (4 characters or more). */
  mentionsMatter(question: string): boolean {
    const q = question.toLowerCase();
    return this.wholeNames.some((n) => q.includes(n));
  }

  /** Share (0–1) of the content words found in the matter's guide; null when the question has none. */
  coverage(question: string, matterId: string): number | null {
    const words = this.contentWords(question);
    if (!words.length) return null;
    const { words: known, text } = this.vocabOf(matterId);
    const found = words.filter((w) => known.has(w) || text.includes(w)).length;
    return found / words.length;
  }
}
