import fs from 'node:fs';
import { Jieba } from '@node-rs/jieba';
import { dict } from '@node-rs/jieba/dict.js';

const STOPWORDS = new Set(
  fs
    .readFileSync(new URL('./config/stopwords.txt', import.meta.url), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#')),
);

/**
 * Full-width ASCII (ＡＢＣ１２３) to half-width and lower case, so "ＩＤ" and "id" are one token. Only that range
 * is touched: NFKC on the whole text would also rewrite Chinese punctuation.
 */
export function normalizeText(text: string): string {
  return text.replace(/[\uFF01-\uFF5E]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0)).toLowerCase();
}

const WORD = /[\p{L}\p{N}]/u;

/** A Chinese tokenizer for lexical search: jieba search mode, plus domain words, minus stopwords. */
export interface LexicalTokenizer {
  tokenize(text: string): string[];
}

/** Strips the variant suffix: 食品经营许可（新办） → 食品经营许可. */
export function baseName(name: string): string {
  return name.replace(/[（(][^（）()]*[）)]\s*$/, '').trim();
}

/**
 * Builds the tokenizer. `domainWords` (matter names without variant suffix, aliases) are added to jieba's
 * dictionary so that 居住证, 食品经营许可 and similar come out whole as well as in pieces.
 */
export function createLexicalTokenizer(domainWords: Iterable<string> = []): LexicalTokenizer {
  const jieba = Jieba.withDict(dict);
  const lines: string[] = [];
  for (const w of new Set(domainWords)) {
    const word = normalizeText(w).replace(/\s+/g, '');
    if (word.length >= 2 && word.length <= 20) lines.push(`${word} 20000 n`);
  }
  if (lines.length) jieba.loadDict(Buffer.from(lines.join('\n') + '\n'));
  return {
    tokenize(text: string): string[] {
      const out: string[] = [];
      for (const t of jieba.cutForSearch(normalizeText(text), true)) {
        if (!WORD.test(t) || STOPWORDS.has(t)) continue;
        out.push(t);
      }
      return out;
    },
  };
}
